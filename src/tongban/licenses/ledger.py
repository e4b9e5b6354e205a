"""The transparency log of e-licences (链上核办), kept in the database as a verifiable Merkle log.

Every issuance, annotation, suspension and revocation of a licence is appended as a leaf (RFC 8785
canonical JSON) in the transaction of the change itself, so the log holds a change exactly when the
change happened. The log is the RFC 9162 tree (``merkle``) over those leaves; its subtree hashes are
stored as they complete, so any root or proof is one query.

Each node signs tree heads (签名树头: size, root, time) with its federation key and sends the newest to
every other node (``log.head``) with a consistency proof from the head it sent before. A node that
receives two heads of one peer that cannot both be true (same size with different roots, or a later
head that does not extend an earlier one) keeps both signed heads as evidence and raises a fork alert:
that peer rewrote its log or shows different logs to different nodes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tongban.core.errors import DomainError, NotFound, Problem
from tongban.core.messages import Text
from tongban.federation import node, services
from tongban.federation.canonical import MAX_EXACT_INT, canonical
from tongban.federation.envelope import Envelope
from tongban.federation.handlers import handles
from tongban.federation.sm2 import SM2Error
from tongban.federation.trust import TrustError, TrustList
from tongban.licenses import merkle
from tongban.licenses.models.log import (
    ForkAlert,
    LogLeaf,
    LogNode,
    LogState,
    PeerTreeHead,
    TreeHead,
    stamp,
)

__all__ = [
    "HEAD_MESSAGE",
    "PUBLISH_EVERY",
    "append",
    "consistency_proof",
    "fork_alerts",
    "inclusion_proof",
    "leaf",
    "peer_heads",
    "publish_head",
    "receive_head",
    "root",
    "signed_head",
    "size",
    "verify_head",
]

log = logging.getLogger("tongban.licenses")

HEAD_MESSAGE = "log.head"
# Heads go out at most this often: each is a message to every node, kept in both outbox and inbox, so
# one per worker round (every second while licences are issued) would flood both for no gain.
PUBLISH_EVERY = timedelta(seconds=60)
_SIGNED_FIELDS = ("node", "size", "root", "timestamp")
_HEAD_FIELDS = (*_SIGNED_FIELDS, "key_id", "signature")


# --- the log


def _fetch(keys: Collection[merkle.Key]) -> dict[merkle.Key, bytes]:
    """Subtree hashes by (level, index), in one query."""
    codes = {LogNode.encode(level, index): (level, index) for level, index in keys}
    rows = LogNode.objects.filter(key__in=list(codes)).values_list("key", "hash")
    return {codes[key]: bytes(value) for key, value in rows}  # PostgreSQL gives memoryview


def _locked_state() -> LogState:
    """The log's state row, locked until the transaction ends (created on the first append)."""
    try:
        return LogState.objects.select_for_update().get(pk=1)
    except LogState.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            LogState.objects.create(pk=1, size=0)
    except IntegrityError:
        pass  # a concurrent first append created it; the lock below waits for that one
    return LogState.objects.select_for_update().get(pk=1)


def append(kind: str, payload: dict[str, Any]) -> LogLeaf:
    """Append a leaf {"kind", "at", **payload} and the subtrees it completes; call it inside the
    transaction of the change it records. Appends wait for each other on the state row."""
    clash = {"kind", "at"} & payload.keys()
    if clash:
        raise ValueError(f"the payload may not set {sorted(clash)}: the log sets them")
    with transaction.atomic(savepoint=False):
        state = _locked_state()
        index = state.size
        now = timezone.now()  # taken under the lock, so times follow the order of the leaves
        data = canonical({"kind": str(kind), "at": now.astimezone(UTC).isoformat(), **payload})
        leaf_hash = merkle.leaf_hash(data)
        edge = _right_edge(state)
        nodes = merkle.new_nodes(index, leaf_hash, lambda keys: edge)
        entry = LogLeaf.objects.create(index=index, kind=str(kind), data=data, leaf_hash=leaf_hash, appended_at=now)
        LogNode.objects.bulk_create([LogNode(key=LogNode.encode(*key), hash=value) for key, value in nodes])
        edge.update(nodes)
        frontier = b"".join(edge[key] for key in merkle.subtrees(0, index + 1))
        LogState.objects.filter(pk=1).update(size=index + 1, frontier=frontier)
    return entry


def _right_edge(state: LogState) -> dict[merkle.Key, bytes]:
    """The subtrees making up the whole log, kept in the state row: the left siblings an append joins are
    among them, so an append reads no subtree hashes."""
    keys, raw = merkle.subtrees(0, state.size), bytes(state.frontier)
    if len(raw) != 32 * len(keys):
        raise RuntimeError(f"the log's state holds {len(raw) // 32} subtree hashes, its size needs {len(keys)}")
    return {key: raw[32 * i : 32 * (i + 1)] for i, key in enumerate(keys)}


def size() -> int:
    return LogState.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def leaf(index: int) -> LogLeaf:
    found = LogLeaf.objects.filter(index=index).first()
    if found is None:
        raise NotFound.single("index", "no_entry", f"日志中没有第{index}条记录", f"the log has no entry {index}")
    return found


def _beyond(what: int) -> DomainError:
    current = size()
    return NotFound.single(
        "size",
        "beyond_log",
        f"日志目前共{current}条记录，没有第{what}条",
        f"the log holds {current} entries, not {what}",
    )


def _bad_range(exc: ValueError) -> DomainError:
    return DomainError.single("size", "bad_range", f"证明的参数无效（{exc}）", f"invalid proof arguments ({exc})")


def root(tree_size: int) -> bytes:
    try:
        return merkle.root(tree_size, _fetch)
    except merkle.MissingNodes:
        raise _beyond(tree_size) from None
    except ValueError as exc:
        raise _bad_range(exc) from None


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``tree_size`` leaves (RFC 9162 §2.1.3), one query."""
    try:
        return merkle.inclusion_proof(index, tree_size, _fetch)
    except merkle.MissingNodes:
        raise _beyond(tree_size) from None
    except ValueError as exc:
        raise _bad_range(exc) from None


def consistency_proof(old: int, new: int) -> list[bytes]:
    """The proof that the tree of ``new`` leaves extends the one of ``old`` (RFC 9162 §2.1.4), one query."""
    try:
        return merkle.consistency_proof(old, new, _fetch)
    except merkle.MissingNodes:
        raise _beyond(new) from None
    except ValueError as exc:
        raise _bad_range(exc) from None


# --- signed tree heads


def _signed_bytes(head: dict[str, Any]) -> bytes:
    return canonical({name: head[name] for name in _SIGNED_FIELDS})


def _now() -> datetime:
    moment = timezone.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # what a head's timestamp keeps


def _sign_head(tree_size: int) -> TreeHead:
    key = node.signing_key()
    head = TreeHead(node=node.node_id(), size=tree_size, root=root(tree_size), timestamp=_now(), key_id=key.key_id())
    head.signature = key.sign(_signed_bytes(head.to_dict()))
    try:
        with transaction.atomic():
            head.save(force_insert=True)
    except IntegrityError:
        return TreeHead.objects.get(size=tree_size)  # another process signed this size meanwhile
    return head


def signed_head(min_size: int | None = None) -> TreeHead:
    """The latest signed head if it covers ``min_size`` entries (default: all of them), else a new one of
    the whole log, signed with the node key (SM2Error when the node has none)."""
    current = size()
    wanted = current if min_size is None else min_size
    if wanted > current:
        raise _beyond(wanted)
    latest = TreeHead.objects.order_by("-size").first()
    if latest is not None and latest.size >= wanted:
        return latest
    return _sign_head(current)


def _malformed(zh: str, en: str) -> TrustError:
    return TrustError("malformed", Text(f"树头格式无效：{zh}", f"the tree head is malformed: {en}"))


def _parsed(head: Any) -> tuple[datetime, bytes]:
    """The head's time and signature, once its fields are checked to be in the form it is signed in."""
    if not isinstance(head, dict) or not set(_HEAD_FIELDS) <= head.keys():
        raise _malformed("缺少字段", "fields are missing")
    if not all(isinstance(head[name], str) for name in ("node", "root", "timestamp", "key_id", "signature")):
        raise _malformed("字段类型错误", "a field has the wrong type")
    tree_size = head["size"]
    if isinstance(tree_size, bool) or not isinstance(tree_size, int) or not 0 <= tree_size <= MAX_EXACT_INT:
        raise _malformed("规模不是有效的非负整数", "the size is not a valid non-negative integer")
    try:
        moment = datetime.fromisoformat(head["timestamp"])
        root_ok = len(head["root"]) == 64 and bytes.fromhex(head["root"]).hex() == head["root"]
        signature = base64.b64decode(head["signature"], validate=True)
    except (ValueError, binascii.Error):
        raise _malformed("时间、根哈希或签名无法解析", "the time, root or signature cannot be read") from None
    # Only the exact forms this code signs are taken, so a stored head gives back the very bytes signed.
    if not root_ok or moment.tzinfo is None or stamp(moment) != head["timestamp"]:
        raise _malformed("根哈希应为64位小写十六进制，时间应为UTC毫秒", "root must be 64 lowercase hex, time UTC in ms")
    return moment, signature


def verify_head(head: dict[str, Any], trust: TrustList) -> None:
    """Check a signed head against the trust list; TrustError (code and zh/en text) when the node or key
    is unknown, the key was not valid when the head was signed, or the signature is wrong."""
    moment, signature = _parsed(head)
    try:
        signed = _signed_bytes(head)
    except ValueError:  # a string that is not valid Unicode has no canonical form
        raise _malformed("含无效字符", "it holds invalid characters") from None
    key = trust.sender_key(head["node"], head["key_id"], moment)
    if not key.public_key.verify(signed, signature):
        raise TrustError("bad_signature", Text("树头签名无效", "the tree head's signature does not verify"))


# --- exchange of heads between nodes


def publish_head(every: timedelta = PUBLISH_EVERY) -> int:
    """Send the newest head to every other node on the trust list, with a consistency proof from the head
    sent before; at most once per ``every``. Returns the number of messages queued (the worker calls it
    each round; a node without key or trust list, or an empty log, sends nothing)."""
    try:
        trust, me = node.trust_list(), node.node_id()
    except TrustError:
        return 0
    receivers = sorted(n for n in trust.nodes if n != me)
    if not receivers or size() == 0:
        return 0
    with transaction.atomic():
        _locked_state()  # one publisher at a time, and the log does not move while it reads
        last = TreeHead.objects.filter(published_at__isnull=False).order_by("-size").first()
        now = timezone.now()
        if last is not None and now - last.published_at < every:
            return 0
        try:
            head = signed_head()
        except SM2Error:
            return 0
        if last is not None and head.size <= last.size:
            return 0
        body = head.to_dict() | _proof_fields(last, head)
        for receiver in receivers:
            services.enqueue(receiver=receiver, type=HEAD_MESSAGE, body=body, stream=f"log:{receiver}")
        TreeHead.objects.filter(pk=head.pk).update(published_at=now)
    return len(receivers)


def _proof_fields(last: TreeHead | None, head: TreeHead) -> dict[str, Any]:
    if last is None:
        return {"previous_size": 0, "consistency": []}
    return {"previous_size": last.size, "consistency": [h.hex() for h in consistency_proof(last.size, head.size)]}


def _refuse(field: str, code: str, zh: str, en: str) -> DomainError:
    return DomainError([Problem(field, code, Text(zh, en))])


def _proof_of(body: dict[str, Any], tree_size: int) -> tuple[int, list[bytes]]:
    previous, hexes = body.get("previous_size"), body.get("consistency")
    malformed = _refuse("consistency", "malformed", "一致性证明格式无效", "the consistency proof is malformed")
    if isinstance(previous, bool) or not isinstance(previous, int) or not 0 <= previous <= tree_size:
        raise malformed
    if not isinstance(hexes, list) or len(hexes) > merkle.MAX_PROOF:
        raise malformed
    try:
        return previous, [bytes.fromhex(h) for h in hexes]
    except (TypeError, ValueError):
        raise malformed from None


def _alert(peer: str, head: tuple[int, bytes], other: tuple[int, bytes], detail: Text) -> None:
    ForkAlert.objects.create(
        node=peer,
        size=head[0],
        root=head[1],
        other_size=other[0],
        other_root=other[1],
        detail=f"{detail.zh} / {detail.en}",
    )
    log.error("fork in the log of node %s: %s", peer, detail.en)


def _same_size_fork(peer: str, tree_size: int, root_hash: bytes) -> bool:
    others = [bytes(r) for r in PeerTreeHead.objects.filter(node=peer, size=tree_size).values_list("root", flat=True)]
    clash = next((r for r in others if r != root_hash), None)
    if clash is None:
        return False
    _alert(
        peer,
        (tree_size, root_hash),
        (tree_size, clash),
        Text(
            f"同一规模（{tree_size}）的两个签名树头根哈希不同：{clash.hex()} 与 {root_hash.hex()}",
            f"two signed heads of size {tree_size} with different roots: {clash.hex()} and {root_hash.hex()}",
        ),
    )
    return True


def _extension_fork(peer: str, tree_size: int, root_hash: bytes, previous: int, proof: list[bytes]) -> bool | None:
    """Whether the head fails to extend the stored head it claims to follow; None when it cannot be
    checked (first head, or one whose predecessor this node never received)."""
    if previous == 0 or previous == tree_size:
        return None
    stored = PeerTreeHead.objects.filter(node=peer, size=previous).order_by("received_at").first()
    if stored is None:
        if PeerTreeHead.objects.filter(node=peer).exists():
            log.warning(
                "head %s of node %s follows head %s, which never arrived: not checked", tree_size, peer, previous
            )
        return None
    old_root = bytes(stored.root)
    if merkle.verify_consistency(previous, tree_size, old_root, root_hash, proof):
        return False
    _alert(
        peer,
        (tree_size, root_hash),
        (previous, old_root),
        Text(
            f"规模{tree_size}的树头（根 {root_hash.hex()}）不是规模{previous}的树头（根 {old_root.hex()}）的延续："
            "一致性证明不成立",
            f"the head of size {tree_size} (root {root_hash.hex()}) does not extend the head of size {previous} "
            f"(root {old_root.hex()}): the consistency proof fails",
        ),
    )
    return True


@handles(HEAD_MESSAGE)
def receive_head(envelope: Envelope) -> dict[str, Any]:
    """Another node's signed head: verified, kept, and compared with the heads held from that node."""
    body = envelope.body
    head = {name: body.get(name) for name in _HEAD_FIELDS}
    if head["node"] != envelope.sender:
        raise _refuse("node", "not_sender", "树头不是发送节点自己的", "the tree head is not the sender's own")
    try:
        verify_head(head, node.trust_list())
    except TrustError as exc:
        raise DomainError([Problem("tree_head", exc.code, exc.text)]) from exc
    peer, tree_size, root_hash = envelope.sender, int(head["size"]), bytes.fromhex(head["root"])
    previous, proof = _proof_of(body, tree_size)
    forked_here = _same_size_fork(peer, tree_size, root_hash)
    extension = _extension_fork(peer, tree_size, root_hash, previous, proof)
    PeerTreeHead.objects.get_or_create(
        node=peer,
        size=tree_size,
        root=root_hash,
        defaults={
            "timestamp": datetime.fromisoformat(head["timestamp"]),
            "key_id": head["key_id"],
            "signature": base64.b64decode(head["signature"]),
        },
    )
    return {"stored": True, "fork": forked_here or bool(extension), "checked": extension is not None}


def peer_heads(peer: str) -> QuerySet[PeerTreeHead]:
    """The heads received from a node, the largest first."""
    return PeerTreeHead.objects.filter(node=peer).order_by("-size", "received_at")


def fork_alerts() -> QuerySet[ForkAlert]:
    return ForkAlert.objects.order_by("-detected_at")
