"""The federation's trust list (信任列表): which nodes exist, the regions each serves, where to reach it,
and its SM2 signing keys with their validity — signed by the federation operator.

A node trusts nothing but this document and the operator's public key it was configured with (the trust
anchor). A message is accepted only from a node on the list, signed with a key of that node that was
valid at the message's time and is not revoked. Lists carry a version; a node never goes back to an
older version than the one it holds (a downgrade would resurrect revoked keys).

The list also publishes the electronic seals (电子印章, GB/T 38540) of each node's issuing departments:
their public keys and validity, so anyone holding the list can verify a sealed licence offline. Revoked
and ended seals stay on the list, so what they signed before stays verifiable as of its time.

The document (JSON)::

    {"body": {"format": 1, "version": 7, "issued_at": "…", "next_update": "…",
              "nodes": [{"node_id": "xinyang", "name": "信阳市", "regions": ["411500"],
                         "base_url": "http://127.0.0.1:8001",
                         "keys": [{"key_id": "<SM3 of the key>", "public_key": "-----BEGIN PUBLIC KEY…",
                                   "valid_from": "…", "valid_to": "…", "revoked_at": null}],
                         "seals": [{"seal_id": "<department USCC>0001", "kind": 1, "name": "信阳市市场监督管理局",
                                    "organisation_name": "信阳市市场监督管理局",
                                    "organisation_code": "<department USCC>",
                                    "key_id": "<SM3 of the seal's key>", "public_key": "-----BEGIN PUBLIC KEY…",
                                    "valid_from": "…", "valid_to": "…", "revoked_at": null,
                                    "picture": {"type": "svg", "data": "<base64>",
                                                "width_mm": 42, "height_mm": 42}}]}]},
     "signature": {"alg": "SM2-SM3", "key_id": "<operator key id>", "value": "<base64 DER>"}}

``seals`` may be left out (a node that issues nothing). The signature covers the RFC 8785 canonical form
of ``body``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tongban.core.messages import Text
from tongban.federation.canonical import canonical
from tongban.federation.sm2 import PrivateKey, PublicKey, SM2Error

FORMAT = 1
ALGORITHM = "SM2-SM3"


class TrustError(Exception):
    """A trust list, or a message judged by one, is refused: ``code`` says why in a word, ``text`` in full."""

    def __init__(self, code: str, text: Text) -> None:
        super().__init__(f"{code}: {text.en}")
        self.code = code
        self.text = text


def _time(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise TrustError(
            "malformed", Text(f"信任列表的{where}不是有效时间", f"the trust list's {where} is not a valid time")
        ) from exc
    if parsed.tzinfo is None:
        raise TrustError("malformed", Text(f"信任列表的{where}缺少时区", f"the trust list's {where} has no time zone"))
    return parsed


@dataclass(frozen=True)
class NodeKey:
    key_id: str
    public_key: PublicKey
    valid_from: datetime
    valid_to: datetime
    revoked_at: datetime | None

    def problem_at(self, moment: datetime) -> TrustError | None:
        """Why this key may not vouch for something signed at ``moment``, or None when it may."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return TrustError(
                "key_revoked",
                Text(
                    f"签名密钥已于{self.revoked_at.isoformat()}吊销",
                    f"the key was revoked at {self.revoked_at.isoformat()}",
                ),
            )
        if not self.valid_from <= moment <= self.valid_to:
            return TrustError(
                "key_expired",
                Text(
                    f"签名密钥的有效期为{self.valid_from.isoformat()}至{self.valid_to.isoformat()}",
                    f"the key is valid from {self.valid_from.isoformat()} to {self.valid_to.isoformat()}",
                ),
            )
        return None


@dataclass(frozen=True)
class SealEntry:
    """An issuing department's electronic seal (电子印章) as the list publishes it."""

    seal_id: str
    kind: int  # GB/T 38540: 1 an organisation's seal, 2 a person's
    name: str
    organisation_code: str  # the USCC of the department the seal belongs to
    key_id: str
    public_key: PublicKey
    valid_from: datetime
    valid_to: datetime
    revoked_at: datetime | None
    picture: dict[str, Any]
    organisation_name: str = ""

    def problem_at(self, moment: datetime) -> TrustError | None:
        """Why this seal may not vouch for something signed at ``moment``, or None when it may."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return TrustError(
                "seal_revoked",
                Text(
                    f"电子印章{self.seal_id}已于{self.revoked_at.isoformat()}吊销",
                    f"seal {self.seal_id} was revoked at {self.revoked_at.isoformat()}",
                ),
            )
        if not self.valid_from <= moment <= self.valid_to:
            return TrustError(
                "seal_expired",
                Text(
                    f"电子印章{self.seal_id}的有效期为{self.valid_from.isoformat()}至{self.valid_to.isoformat()}",
                    f"seal {self.seal_id} is valid from {self.valid_from.isoformat()} to {self.valid_to.isoformat()}",
                ),
            )
        return None


@dataclass(frozen=True)
class NodeEntry:
    node_id: str
    name: str
    regions: tuple[str, ...]
    base_url: str
    keys: tuple[NodeKey, ...]
    seals: tuple[SealEntry, ...] = ()

    def serves(self, region_code: str) -> bool:
        """Whether the node serves this division: one of its regions is it or contains it (by code prefix)."""
        return any(region_code.startswith(_prefix(r)) for r in self.regions)

    def key(self, key_id: str) -> NodeKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    def current_key(self, moment: datetime) -> NodeKey | None:
        usable = [k for k in self.keys if k.problem_at(moment) is None]
        return max(usable, key=lambda k: k.valid_from) if usable else None


def _prefix(code: str) -> str:
    """GB/T 2260: a province ends in 0000, a prefecture in 00; their divisions share the leading digits."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@dataclass(frozen=True)
class TrustList:
    version: int
    issued_at: datetime
    next_update: datetime
    nodes: dict[str, NodeEntry]
    document: dict[str, Any]

    def node(self, node_id: str) -> NodeEntry | None:
        return self.nodes.get(node_id)

    def node_for_region(self, region_code: str) -> NodeEntry | None:
        """The node serving a division; the most specific region wins (a county node over its city's)."""
        best: tuple[int, NodeEntry] | None = None
        for entry in self.nodes.values():
            for region in entry.regions:
                prefix = _prefix(region)
                if region_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), entry)
        return best[1] if best else None

    def seal(self, seal_id: str) -> tuple[NodeEntry, SealEntry] | None:
        """The seal with this id and the node that publishes it, whatever its state (judge it with problem_at)."""
        for entry in self.nodes.values():
            for seal in entry.seals:
                if seal.seal_id == seal_id:
                    return entry, seal
        return None

    def sender_key(self, node_id: str, key_id: str, moment: datetime) -> NodeKey:
        """The key a node signed with, if the list lets it vouch for ``moment``; else TrustError."""
        entry = self.nodes.get(node_id)
        if entry is None:
            raise TrustError(
                "unknown_node", Text(f"节点“{node_id}”不在信任列表中", f"node '{node_id}' is not on the trust list")
            )
        key = entry.key(key_id)
        if key is None:
            raise TrustError(
                "unknown_key",
                Text(f"节点“{node_id}”没有编号为{key_id[:16]}…的密钥", f"node '{node_id}' has no key {key_id[:16]}…"),
            )
        problem = key.problem_at(moment)
        if problem is not None:
            raise problem
        return key

    def to_json(self) -> str:
        return json.dumps(self.document, ensure_ascii=False, indent=1)


def sign(body: dict[str, Any], operator: PrivateKey) -> dict[str, Any]:
    """The signed document for ``body`` (the federation operator's act)."""
    signature = operator.sign(canonical(body))
    return {
        "body": body,
        "signature": {
            "alg": ALGORITHM,
            "key_id": operator.key_id(),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def load(document: dict[str, Any] | str | bytes, anchor: PublicKey, *, held_version: int = 0) -> TrustList:
    """Check the operator's signature and read the list; refuse a version older than ``held_version``."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise TrustError("malformed", Text("信任列表不是有效的 JSON", "the trust list is not valid JSON")) from exc
    if not isinstance(document, dict) or not isinstance(document.get("body"), dict):
        raise TrustError("malformed", Text("信任列表缺少 body", "the trust list has no body"))
    body, signature = document["body"], document.get("signature") or {}
    if signature.get("alg") != ALGORITHM or signature.get("key_id") != anchor.fingerprint():
        raise TrustError(
            "wrong_signer",
            Text(
                "信任列表不是由本节点认可的联盟运营方签署",
                "the trust list is not signed by the operator this node trusts",
            ),
        )
    try:
        raw = base64.b64decode(str(signature.get("value", "")), validate=True)
    except ValueError:
        raw = b""
    if not anchor.verify(canonical(body), raw):
        raise TrustError("bad_signature", Text("信任列表的签名无效", "the trust list's signature does not verify"))
    if body.get("format") != FORMAT:
        raise TrustError("malformed", Text("信任列表的格式版本不受支持", "the trust list's format is not supported"))
    version = body.get("version")
    if not isinstance(version, int) or version < held_version:
        raise TrustError(
            "downgrade",
            Text(
                f"信任列表版本（{version}）早于本节点已有的版本（{held_version}）",
                f"the trust list's version ({version}) is older than the one this node holds ({held_version})",
            ),
        )
    nodes: dict[str, NodeEntry] = {}
    for raw_node in body.get("nodes") or []:
        entry = _node_entry(raw_node)
        nodes[entry.node_id] = entry
    _refuse_duplicate_seals(nodes.values())
    return TrustList(
        version=version,
        issued_at=_time(body.get("issued_at"), "签发时间"),
        next_update=_time(body.get("next_update"), "下次更新时间"),
        nodes=nodes,
        document=document,
    )


def _public_key(raw: dict[str, Any], what: Text) -> PublicKey:
    """The PEM public key of a key or seal entry, checked against the key id it is published with."""
    try:
        public = PublicKey.from_pem(raw["public_key"])
    except (SM2Error, KeyError, TypeError) as exc:
        raise TrustError("malformed", what) from exc
    if public.fingerprint() != raw.get("key_id"):
        raise TrustError("malformed", Text("公钥与其编号不符", "a public key does not match its key id"))
    return public


def _node_key(node_id: Any, raw_key: dict[str, Any]) -> NodeKey:
    public = _public_key(raw_key, Text(f"节点“{node_id}”的公钥无效", "a node's public key is not valid"))
    return NodeKey(
        key_id=raw_key["key_id"],
        public_key=public,
        valid_from=_time(raw_key.get("valid_from"), "密钥生效时间"),
        valid_to=_time(raw_key.get("valid_to"), "密钥失效时间"),
        revoked_at=_time(raw_key["revoked_at"], "吊销时间") if raw_key.get("revoked_at") else None,
    )


def seal_entry(raw: Any, node_id: Any = "") -> SealEntry:
    """One published seal, checked: a known type, an SM2 key matching its key id, valid times."""
    if not isinstance(raw, dict) or not raw.get("seal_id") or not isinstance(raw.get("seal_id"), str):
        raise TrustError(
            "malformed",
            Text(f"节点“{node_id}”的电子印章缺少印章编号", f"a seal of node '{node_id}' has no seal id"),
        )
    seal_id, kind = raw["seal_id"], raw.get("kind")
    if isinstance(kind, bool) or kind not in (1, 2):
        raise TrustError(
            "malformed",
            Text(f"电子印章{seal_id}的类型应为1或2", f"seal {seal_id}'s type must be 1 (organisation) or 2 (personal)"),
        )
    public = _public_key(raw, Text(f"电子印章{seal_id}的公钥无效", f"the public key of seal {seal_id} is not valid"))
    picture = raw.get("picture")
    return SealEntry(
        seal_id=seal_id,
        kind=kind,
        name=str(raw.get("name", "")),
        organisation_code=str(raw.get("organisation_code", "")),
        key_id=raw["key_id"],
        public_key=public,
        valid_from=_time(raw.get("valid_from"), f"电子印章{seal_id}生效时间"),
        valid_to=_time(raw.get("valid_to"), f"电子印章{seal_id}失效时间"),
        revoked_at=_time(raw["revoked_at"], f"电子印章{seal_id}吊销时间") if raw.get("revoked_at") else None,
        picture=dict(picture) if isinstance(picture, dict) else {},
        organisation_name=str(raw.get("organisation_name", "")),
    )


def _node_entry(raw_node: dict[str, Any]) -> NodeEntry:
    node_id = raw_node.get("node_id")
    return NodeEntry(
        node_id=str(raw_node["node_id"]),
        name=str(raw_node.get("name", "")),
        regions=tuple(str(r) for r in raw_node.get("regions") or []),
        base_url=str(raw_node.get("base_url", "")).rstrip("/"),
        keys=tuple(_node_key(node_id, k) for k in raw_node.get("keys") or []),
        seals=tuple(seal_entry(s, node_id) for s in raw_node.get("seals") or []),
    )


def _refuse_duplicate_seals(entries: Iterable[NodeEntry]) -> None:
    # A seal id must name one seal: otherwise which key verifies a licence would depend on list order.
    seen: set[str] = set()
    for entry in entries:
        for seal in entry.seals:
            if seal.seal_id in seen:
                raise TrustError(
                    "malformed",
                    Text(f"电子印章{seal.seal_id}在信任列表中出现了两次", f"seal {seal.seal_id} is on the list twice"),
                )
            seen.add(seal.seal_id)
