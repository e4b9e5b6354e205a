"""全程证通 and 免提交: find a holder's e-licences here and at the other nodes, with the holder's consent,
and let a verified licence satisfy a case's material instead of a paper copy.

Every look-up is recorded at the node asked and at the node asking (who, for what, with which consent,
how many found). The node that uses a licence verifies it itself — the seal's signature against the
trust list and the issuance against the issuing node's signed log — whatever the other node said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.catalog.guide import LICENSE_TYPE_CODE
from tongban.core.codes import CodeError, validate_uscc
from tongban.core.errors import DomainError, NotFound
from tongban.federation import node, queries
from tongban.federation.envelope import Envelope
from tongban.federation.handlers import handles
from tongban.identity import ids
from tongban.identity.actor import Actor
from tongban.identity.denied import require
from tongban.licenses import document
from tongban.licenses.models import License, LicenseLookup, LicenseStatus

LOOKUP = "license.lookup"
STATUS = "license.status"
MAX_TEXT = 300


def _fail(field: str, code: str, zh: str, en: str, status: int | None = None) -> DomainError:
    return DomainError.single(field, code, zh, en, status)


def _holder_code(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) == 18 and code[:17].isdigit():
        try:
            return ids.validate_resident_id(code)
        except CodeError as exc:
            raise _fail(
                "holder_code", "invalid_id_number", f"公民身份号码无效：{exc.text.zh}", f"the ID number: {exc.text.en}"
            ) from exc
    try:
        return validate_uscc(code)
    except CodeError as exc:
        raise _fail(
            "holder_code",
            "invalid_code",
            "持证主体代码应为公民身份号码或统一社会信用代码",
            "the holder code must be a resident ID number or a USCC",
        ) from exc


def _type_codes(values: Any) -> list[str]:
    if not isinstance(values, list | tuple) or not values:
        raise _fail("type_codes", "required", "请指明要查找的证照类型", "name the licence types to look for")
    codes = [str(v) for v in values]
    for code in codes:
        if not LICENSE_TYPE_CODE.match(code):
            raise _fail("type_codes", "malformed", f"证照类型代码“{code}”格式不正确", f"'{code}' is not a type code")
    return codes


def _short(field: str, value: str, zh: str, en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise _fail(field, "required", f"请填写{zh}", f"{en} is required")
    if len(text) > MAX_TEXT:
        raise _fail(field, "too_long", f"{zh}不得超过{MAX_TEXT}字", f"{en} may have at most {MAX_TEXT} characters")
    return text


def _asker(actor: Actor) -> str:
    if actor.system:
        return "system"
    who = actor.user.get_username() if actor.user_id else "anonymous"
    return f"{who} ({actor.assignment})" if actor.assignment else who


@dataclass(frozen=True)
class Found:
    """A licence found for a holder: where, the document with its log proof, and this node's verification."""

    node: str
    document: dict[str, Any]
    report: document.Report
    status: str

    def as_dict(self) -> dict[str, Any]:
        lic = self.document.get("license", {})
        return {
            "node": self.node,
            "identifier": lic.get("identifier"),
            "name": lic.get("name"),
            "issuer": (lic.get("issuer") or {}).get("name"),
            "valid_to": lic.get("valid_to"),
            "status": self.status,
            "verification": self.report.as_dict(),
            "document": self.document,
        }


def _held(holder_code: str, type_codes: list[str]) -> list[License]:
    return list(
        License.objects.filter(holder_code=holder_code, license_type__code__in=type_codes)
        .exclude(status=LicenseStatus.SUPERSEDED)
        .select_related("license_type")
        .order_by("-signed_at")
    )


@dataclass(frozen=True)
class Lookup:
    """What a look-up found, and which nodes did not answer (down, unreachable, or refused the question)."""

    found: list[Found]
    unanswered: list[str]


def find(actor: Actor, **kwargs: Any) -> list[Found]:
    """The holder's licences (see :func:`lookup`), without the nodes that did not answer."""
    return lookup(actor, **kwargs).found


def _may_look_up(actor: Actor, holder_code: str) -> None:
    """Staff look up anyone's licences (with consent); an applicant only their own and their organisations'."""
    if actor.system or actor.assignment is not None:
        return
    from tongban.identity.policy import own_organisations

    own = set(own_organisations(actor).values_list("uscc", flat=True))
    if actor.person is not None:
        own.add(actor.person.id_number)
    if holder_code not in own:
        raise _fail(
            "holder_code",
            "not_own",
            "只能查找本人或本人代表的组织的电子证照",
            "you may look up only your own licences and those of organisations you act for",
            403,
        )


def lookup(
    actor: Actor,
    *,
    holder_code: str,
    type_codes: list[str],
    purpose: str,
    consent: str,
    case: Case | None = None,
    ask_others: bool = True,
) -> Lookup:
    """The holder's licences of these types, here and (``ask_others``) at every other node, each verified
    here. ``consent`` says how the holder agreed (e.g. "本人到场签字同意"); without it nothing is looked up."""
    from tongban.licenses.services import status_of, with_proof

    require(actor, "license.lookup", case)
    holder_code = _holder_code(holder_code)
    _may_look_up(actor, holder_code)
    type_codes = _type_codes(type_codes)
    purpose = _short("purpose", purpose, "查询用途", "the purpose")
    consent = _short("consent", consent, "持证人授权", "the holder's consent")
    found: list[Found] = []
    unanswered: list[str] = []
    trust = node.trust_list()
    me = node.node_id()
    for lic in _held(holder_code, type_codes):
        doc = with_proof(lic)
        found.append(Found(me, doc, document.verify(doc, trust, status=status_of), lic.status))
    body = {
        "holder_code": holder_code,
        "type_codes": type_codes,
        "purpose": purpose,
        "consent": consent,
        "case": case.number if case is not None else "",
        "asked_by": _asker(actor),
    }
    if ask_others:
        for answer in queries.ask_all(LOOKUP, body):
            if answer.ok:
                found += _remote(answer.node, answer.result, trust)
            else:
                unanswered.append(answer.node)
    LicenseLookup.objects.create(
        holder_code=holder_code,
        type_codes=type_codes,
        purpose=purpose,
        consent=consent,
        case_number=body["case"],
        asked_by=body["asked_by"],
        node="",
        found=len(found),
    )
    return Lookup(found, unanswered)


def _remote(node_id: str, result: dict[str, Any], trust: Any) -> list[Found]:
    out = []
    for item in result.get("licenses") or []:
        if not isinstance(item, dict) or not isinstance(item.get("document"), dict):
            continue
        state, reason = str(item.get("status", "")), str(item.get("status_reason", ""))
        doc = item["document"]
        report = document.verify(doc, trust, status=lambda _ident, s=state, r=reason: (s, r))
        out.append(Found(node_id, doc, report, state))
    return out


@handles(LOOKUP)
def answer_lookup(envelope: Envelope) -> dict[str, Any]:
    """Another node asks for a holder's licences: recorded, then answered with the documents and proofs."""
    from tongban.licenses.services import with_proof

    body = envelope.body
    holder_code = _holder_code(str(body.get("holder_code", "")))
    type_codes = _type_codes(body.get("type_codes"))
    purpose = _short("purpose", str(body.get("purpose", "")), "查询用途", "the purpose")
    consent = _short("consent", str(body.get("consent", "")), "持证人授权", "the holder's consent")
    held = _held(holder_code, type_codes)
    LicenseLookup.objects.create(
        holder_code=holder_code,
        type_codes=type_codes,
        purpose=purpose,
        consent=consent,
        case_number=str(body.get("case", ""))[:40],
        asked_by=str(body.get("asked_by", ""))[:200],
        node=envelope.sender,
        found=len(held),
    )
    return {
        "licenses": [
            {"document": with_proof(lic), "status": lic.status, "status_reason": lic.status_reason} for lic in held
        ]
    }


@handles(STATUS)
def answer_status(envelope: Envelope) -> dict[str, Any]:
    """Another node asks whether a licence it verified is still in force: the status and nothing else."""
    from tongban.licenses.services import status_of

    found = status_of(str(envelope.body.get("identifier", "")))
    return {"known": found is not None, "status": found[0] if found else "", "reason": found[1] if found else ""}


def _status_lookup(doc: dict[str, Any]) -> document.StatusLookup:
    """This node's status for its own licences; the issuing node's, asked now, for the others'."""
    from tongban.licenses.services import status_of

    issuer_node = str((doc.get("license") or {}).get("node", ""))
    if issuer_node in ("", node.node_id()):
        return status_of

    def remote(identifier: str) -> tuple[str, str] | None:
        answer = queries.ask(issuer_node, STATUS, {"identifier": identifier})
        if not answer.ok or not answer.result.get("known"):
            return None
        return str(answer.result.get("status", "")), str(answer.result.get("reason", ""))

    return remote


# --- using a licence for a material ----------------------------------------------------------------


def _applicant_codes(case: Case) -> set[str]:
    codes = set()
    if case.applicant_person_id:
        codes.add(case.applicant_person.id_number)
    if case.applicant_organisation_id:
        codes.add(case.applicant_organisation.uscc)
    return codes


def _concerns_applicant(lic: dict[str, Any], codes: set[str]) -> bool:
    """The applicant holds the licence, or is named in it (a spouse on a 结婚证, a parent on a 出生医学证明)."""
    holder = (lic.get("holder") or {}).get("code")
    named = {str(v) for v in (lic.get("data") or {}).values() if isinstance(v, str)}
    return bool(codes & ({holder} | named))


def use_license(
    actor: Actor,
    case: Case | int,
    *,
    material_id: int,
    license_document: dict[str, Any],
    consent: str,
    version: int | None = None,
) -> Any:
    """免提交: a verified e-licence satisfies a material. Verified here, in full, before anything is written;
    the case command then records it (the document, with its log proof, kept with the material).

    The verification may ask the issuing node for the status over the network, so it runs before the
    case's row is locked: the lock is held only for the write, which checks the version again."""
    if not isinstance(case, Case):
        found = Case.objects.filter(pk=case).first()
        if found is None:
            raise NotFound.single("case", "not_found", "办件不存在", "no such case")
        case = found
    cases.check_materials_may_change(actor, case)
    material = cases.material_of(case, material_id)
    consent = _short("consent", consent, "持证人授权", "the holder's consent")
    if not isinstance(license_document, dict):
        raise _fail("license_document", "not_an_object", "证照文件应为对象", "the licence document must be an object")
    lic = license_document.get("license") if isinstance(license_document.get("license"), dict) else {}
    _check_fits(lic, material, case)
    trust = node.trust_list()
    report = document.verify(license_document, trust)
    if report.valid:  # only a licence that is sound in itself is worth asking its issuer about
        report = document.verify(license_document, trust, status=_status_lookup(license_document))
    if not report.valid:
        failed = report.failed[0]
        raise _fail(
            "license_document",
            f"license_{failed.code}",
            f"电子证照核验未通过：{failed.text.zh}",
            f"the e-licence does not verify: {failed.text.en}",
            422,
        )
    return cases.use_license(
        actor,
        case,
        material_id=material_id,
        identifier=str(lic.get("identifier")),
        license_document=license_document,
        note=f"{lic.get('name', '')} {lic.get('number', '')}".strip(),
        details={
            "issuer_node": lic.get("node"),
            "consent": consent,
            "checks": [c.name for c in report.checks if c.ok],
        },
        version=version,
    )


def _check_fits(lic: dict[str, Any], material: Any, case: Case) -> None:
    """The licence is of a type the material accepts, and the applicant's."""
    accepted = list(material.requirement.license_types) if material.requirement_id else []
    type_code = (lic.get("type") or {}).get("code")
    if type_code not in accepted:
        raise _fail(
            "license_document",
            "type_not_accepted",
            f"该材料不接受“{lic.get('name', type_code)}”电子证照",
            f"this material does not accept a '{type_code}' licence",
        )
    if not _concerns_applicant(lic, _applicant_codes(case)):
        raise _fail(
            "license_document",
            "not_the_applicants",
            "该电子证照的持证人不是本办件的申请人",
            "the licence is not the applicant's",
        )


def document_for(given: Any, identifier: str = "") -> dict[str, Any]:
    """The document a request names: given in full (another node's licence), or this node's by identifier."""
    if isinstance(given, dict):
        return given
    if identifier:
        from tongban.licenses.services import get, with_proof

        return with_proof(get(identifier))
    raise _fail(
        "license_document",
        "required",
        "请提供电子证照文件或本节点签发的证照标识",
        "give the licence document, or the identifier of a licence this node issued",
    )
