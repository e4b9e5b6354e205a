"""The signed licence document (电子证照文件) and its verification, online or offline.

One JSON document carries the licence and its seal's signature::

    {"format": "tongban-license/1",
     "license": {GB/T 36903 metadata and the licence's own data},
     "signature": {"alg": "SM3withSM2", "oid": "1.2.156.10197.1.501",
                   "seal": {"id", "kind", "name", "organisation_code", "key_id"},
                   "signed_at": "…", "content_sm3": "<SM3 of the canonical licence>", "value": "<base64 DER>"},
     "log": {"index", "leaf", "tree_head", "proof"}}          (added when the document is handed out)

As in GB/T 38540 the seal signs a small structure, not the content itself: the signature object without
``value`` (algorithm, seal, time, SM3 of the content), in RFC 8785 canonical form. ``log`` is not
signed: it is the proof, from the issuing node's transparency log, that the issuance was recorded; it is
refreshed each time the document is downloaded.

:func:`verify` needs nothing but the document and a trust list (the seals and node keys); a node adds
the licence's status when it knows it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from tongban.core.errors import DomainError
from tongban.core.messages import Text
from tongban.federation.canonical import canonical
from tongban.federation.sm2 import sm3
from tongban.federation.trust import TrustError, TrustList
from tongban.licenses import identifiers, merkle

FORMAT = "tongban-license/1"
ALGORITHM = "SM3withSM2"
ALGORITHM_OID = "1.2.156.10197.1.501"


def content_digest(license: dict[str, Any]) -> str:
    return sm3(canonical(license)).hex()


def to_be_signed(signature: dict[str, Any]) -> bytes:
    return canonical({k: v for k, v in signature.items() if k != "value"})


def signature_block(license: dict[str, Any], seal: dict[str, Any], signed_at: datetime) -> dict[str, Any]:
    """The signature object before its value: what the seal signs."""
    return {
        "alg": ALGORITHM,
        "oid": ALGORITHM_OID,
        "seal": seal,
        "signed_at": signed_at.isoformat(),
        "content_sm3": content_digest(license),
    }


def assemble(license: dict[str, Any], block: dict[str, Any], value: bytes) -> dict[str, Any]:
    return {"format": FORMAT, "license": license, "signature": {**block, "value": base64.b64encode(value).decode()}}


# --- verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One step of a verification: ``ok`` None when it could not be made here (e.g. status offline)."""

    name: str
    ok: bool | None
    code: str
    text: Text

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "ok": self.ok,
            "code": self.code,
            "message": str(self.text),
            "message_zh": self.text.zh,
            "message_en": self.text.en,
        }


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    license: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(c.ok is not False for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    def add(self, name: str, ok: bool | None, code: str, zh: str, en: str) -> bool:
        self.checks.append(Check(name, ok, code, Text(zh, en)))
        return ok is not False

    def as_dict(self) -> dict[str, Any]:
        lic = self.license or {}
        return {
            "valid": self.valid,
            "identifier": lic.get("identifier"),
            "checks": [c.as_dict() for c in self.checks],
        }


# Status of a licence by identifier, when the verifier knows it (the issuing node does): (status, reason).
StatusLookup = Callable[[str], tuple[str, str] | None]
_STATUS_TEXT = {
    "suspended": ("证照已中止", "the licence is suspended"),
    "revoked": ("证照已撤销", "the licence is revoked"),
    "superseded": ("证照已被新版本替代", "the licence has been replaced by a new version"),
}


def parse(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The document from JSON text; DomainError when it is not one."""
    if isinstance(raw, dict):
        return raw
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError.single(
            "file", "not_json", "文件不是有效的 JSON 证照文件", "the file is not a JSON licence"
        ) from exc
    if not isinstance(data, dict):
        raise DomainError.single("file", "not_a_license", "文件不是证照文件", "the file is not a licence document")
    return data


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def verify(document: dict[str, Any], trust: TrustList, status: StatusLookup | None = None) -> Report:
    """Check a licence document step by step and say what failed; stops at the first broken step whose
    failure makes the later ones meaningless (a wrong shape, an unknown seal)."""
    report = Report()
    lic, sig = document.get("license"), document.get("signature")
    if document.get("format") != FORMAT or not isinstance(lic, dict) or not isinstance(sig, dict):
        report.add(
            "format", False, "not_a_license", "不是可识别的电子证照文件", "not a licence document this system reads"
        )
        return report
    report.license = lic
    _check_identifier(report, lic)
    digest_ok = _check_content(report, lic, sig)
    seal_entry = _check_seal(report, lic, sig, trust)
    if seal_entry is None:
        return report
    node_entry, seal = seal_entry
    _check_signature(report, sig, seal)
    _check_log(report, document.get("log"), lic, sig, node_entry.node_id, seal, trust, digest_ok)
    _check_status(report, lic, status)
    return report


def _check_identifier(report: Report, lic: dict[str, Any]) -> None:
    try:
        identifiers.parse(str(lic.get("identifier", "")))
    except DomainError as exc:
        p = exc.problems[0]
        report.add("identifier", False, p.code, f"证照标识无效：{p.text.zh}", f"the identifier is invalid: {p.text.en}")
        return
    report.add("identifier", True, "ok", "证照标识格式及校验位正确", "the identifier and its check character are right")


def _check_content(report: Report, lic: dict[str, Any], sig: dict[str, Any]) -> bool:
    if content_digest(lic) != sig.get("content_sm3"):
        return report.add(
            "content",
            False,
            "content_changed",
            "证照内容与签名时的摘要不符：内容已被改动",
            "the content does not match the digest that was signed: it was changed",
        )
    return report.add("content", True, "ok", "证照内容未被改动", "the content is as signed")


def _check_seal(report: Report, lic: dict[str, Any], sig: dict[str, Any], trust: TrustList) -> Any:
    seal_info = sig.get("seal") if isinstance(sig.get("seal"), dict) else {}
    seal_id = str(seal_info.get("id", ""))
    found = trust.seal(seal_id)
    if found is None:
        report.add(
            "seal",
            False,
            "unknown_seal",
            f"印章“{seal_id}”不在信任列表中：签发机构不可信",
            f"seal '{seal_id}' is not on the trust list: the issuer is not trusted",
        )
        return None
    node_entry, seal = found
    signed_at = _time(sig.get("signed_at"))
    issuer = lic.get("issuer") if isinstance(lic.get("issuer"), dict) else {}
    if seal.key_id != seal_info.get("key_id"):
        report.add(
            "seal",
            False,
            "wrong_key",
            "签名所称的印章密钥与信任列表不符",
            "the seal key named by the signature is not the one on the trust list",
        )
        return None
    if seal.organisation_code != issuer.get("code"):
        report.add(
            "seal",
            False,
            "not_issuers_seal",
            "签名印章不属于证照上的颁发机构",
            "the seal does not belong to the issuer named on the licence",
        )
        return None
    if signed_at is None:
        report.add("seal", False, "no_time", "签名时间无效", "the signing time is not valid")
        return None
    problem = seal.problem_at(signed_at)
    if problem is not None:
        report.add(
            "seal",
            False,
            problem.code,
            f"印章在签名时不可用：{problem.text.zh}",
            f"the seal could not sign at that time: {problem.text.en}",
        )
        return None
    report.add(
        "seal",
        True,
        "ok",
        f"印章“{seal.name}”（{node_entry.name}）在签名时有效",
        f"seal '{seal.name}' ({node_entry.node_id}) was valid when it signed",
    )
    return found


def _check_signature(report: Report, sig: dict[str, Any], seal: Any) -> None:
    try:
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
    except (ValueError, binascii.Error):
        value = b""
    if not seal.public_key.verify(to_be_signed(sig), value):
        report.add("signature", False, "bad_signature", "电子印章签名无效", "the seal's signature does not verify")
        return
    report.add("signature", True, "ok", "电子印章签名有效（SM2/SM3）", "the seal's signature verifies (SM2/SM3)")


def _check_log(
    report: Report,
    proof: Any,
    lic: dict[str, Any],
    sig: dict[str, Any],
    node_id: str,
    seal: Any,
    trust: TrustList,
    digest_ok: bool,
) -> None:
    if not isinstance(proof, dict):
        report.add(
            "log", False, "no_log_proof", "文件不含签发记录的存证证明", "the file carries no proof of the log entry"
        )
        return
    leaf_text = str(proof.get("leaf", ""))
    try:
        leaf = json.loads(leaf_text)
        head = proof["tree_head"]
        path = [bytes.fromhex(h) for h in proof.get("proof") or []]
        index = int(proof["index"])
    except (ValueError, KeyError, TypeError):
        report.add("log", False, "malformed_proof", "存证证明格式无效", "the log proof is malformed")
        return
    if leaf.get("identifier") != lic.get("identifier") or leaf.get("content_sm3") != sig.get("content_sm3"):
        report.add(
            "log",
            False,
            "not_this_license",
            "存证记录不是这份证照的签发记录",
            "the log entry is not the issuance of this licence",
        )
        return
    try:
        verified_head(head, trust)
    except TrustError as exc:
        report.add(
            "log", False, exc.code, f"日志树头无效：{exc.text.zh}", f"the log's tree head is not valid: {exc.text.en}"
        )
        return
    if head.get("node") != node_id:
        report.add(
            "log",
            False,
            "wrong_log",
            "存证证明不是颁发机构所在节点的日志",
            "the proof is not from the log of the issuer's node",
        )
        return
    ok = merkle.verify_inclusion(
        merkle.leaf_hash(leaf_text.encode()), index, int(head["size"]), path, bytes.fromhex(head["root"])
    )
    if not ok:
        report.add(
            "log",
            False,
            "not_included",
            "签发记录不在日志中：包含证明不成立",
            "the issuance is not in the log: the inclusion proof fails",
        )
        return
    revoked_at = seal.revoked_at
    logged_at = _time(leaf.get("at"))
    if revoked_at is not None and (logged_at is None or logged_at >= revoked_at):
        report.add(
            "log",
            False,
            "logged_after_revocation",
            "签发记录晚于印章吊销时间",
            "the issuance was logged after the seal was revoked",
        )
        return
    report.add(
        "log",
        True,
        "ok",
        f"签发记录已存证（第{index}条，日志共{head['size']}条）",
        f"the issuance is in the log (entry {index} of {head['size']})",
    )


# A signed tree head is checked once per process: many licences share one head.
_HEADS: dict[tuple[Any, ...], bool] = {}
_HEAD_FIELDS = ("node", "size", "root", "timestamp", "key_id", "signature")


def verified_head(head: dict[str, Any], trust: TrustList) -> None:
    from tongban.licenses.ledger import verify_head

    key = (trust.version, *(str(head.get(name)) for name in _HEAD_FIELDS))
    if key in _HEADS:
        return
    verify_head(head, trust)
    if len(_HEADS) > 1024:
        _HEADS.clear()
    _HEADS[key] = True


def _check_status(report: Report, lic: dict[str, Any], status: StatusLookup | None) -> None:
    today = timezone.localdate().isoformat()  # the node's day (Asia/Shanghai), not the machine's
    valid_to = lic.get("valid_to")
    if valid_to and str(valid_to) < today:
        report.add(
            "validity", False, "expired", f"证照有效期至{valid_to}，已过期", f"the licence expired on {valid_to}"
        )
    if status is None:
        report.add(
            "status",
            None,
            "not_checked",
            "离线核验无法得知证照是否已被中止或撤销，请在线查询",
            "offline, whether the licence was suspended or revoked is unknown: check online",
        )
        return
    found = status(str(lic.get("identifier")))
    if found is None:
        report.add(
            "status", None, "unknown_here", "本节点不掌握该证照的状态", "this node does not hold the licence's status"
        )
        return
    state, reason = found
    if state in _STATUS_TEXT:
        zh, en = _STATUS_TEXT[state]
        suffix = f"（{reason}）" if reason else ""
        report.add("status", False, state, zh + suffix, en + (f" ({reason})" if reason else ""))
        return
    report.add("status", True, "ok", "证照状态正常", "the licence is in force")
