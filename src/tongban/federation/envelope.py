"""The signed envelope (报文信封) every message between nodes travels in, and its receipt (回执).

An envelope is ``{"header": {...}, "body": {...}, "signature": "<base64 DER>"}``. The header holds the
message id (UUIDv7: time-ordered, unique without coordination), type, sender and receiver node ids,
the sending time, the SM3 digest of the body's canonical form, and the id of the key that signed. The
signature is SM2 over the canonical (RFC 8785) form of the header, so it covers the body through its
digest, and a body cannot be swapped under a valid header.

``open_envelope`` refuses, each with its own code: a malformed envelope, a message for another node, an
unknown sender or key, a key not valid at the sending time or revoked, a bad signature, a body whose
digest differs, and a sending time further from the receiver's clock than the allowed skew. Replays of
a message id are not refused here: the inbox answers them with the receipt it stored the first time.

A receipt is an envelope too, of type ``receipt``, from the receiver back to the sender, whose body
names the message, its digest and the outcome: proof of what the receiver acknowledged.
"""

from __future__ import annotations

import base64
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tongban.core.messages import Text
from tongban.federation.canonical import canonical
from tongban.federation.sm2 import PrivateKey, sm3
from tongban.federation.trust import TrustError, TrustList

RECEIPT = "receipt"
_HEADER_FIELDS = ("id", "type", "sender", "receiver", "sent_at", "body_sm3", "key_id")


_last = [0, 0]  # the last millisecond used and its counter
_lock = threading.Lock()


def uuid7() -> str:
    """A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then random bits.

    Within one process the ids only grow (RFC 9562 §6.2, method 1: the counter in ``rand_a``), so several
    messages queued in the same millisecond keep their order when sorted by id."""
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last[0]:
            millis, counter = _last[0], _last[1] + 1
            if counter > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
                millis, counter = millis + 1, 0
        else:
            counter = 0
        _last[0], _last[1] = millis, counter
    random_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0x2 << 62 | random_b
    return str(uuid.UUID(int=value))


def body_digest(body: dict[str, Any]) -> str:
    return sm3(canonical(body)).hex()


@dataclass(frozen=True)
class Envelope:
    header: dict[str, Any]
    body: dict[str, Any]
    signature: str

    @property
    def id(self) -> str:
        return str(self.header["id"])

    @property
    def type(self) -> str:
        return str(self.header["type"])

    @property
    def sender(self) -> str:
        return str(self.header["sender"])

    @property
    def receiver(self) -> str:
        return str(self.header["receiver"])

    @property
    def sent_at(self) -> datetime:
        return datetime.fromisoformat(self.header["sent_at"])

    def to_dict(self) -> dict[str, Any]:
        return {"header": self.header, "body": self.body, "signature": self.signature}


def seal(
    *,
    type: str,
    sender: str,
    receiver: str,
    body: dict[str, Any],
    key: PrivateKey,
    message_id: str | None = None,
    now: datetime | None = None,
) -> Envelope:
    """Sign a message. A retried delivery seals the same id again with a fresh sending time."""
    header = {
        "id": message_id or uuid7(),
        "type": type,
        "sender": sender,
        "receiver": receiver,
        "sent_at": (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds"),
        "body_sm3": body_digest(body),
        "key_id": key.key_id(),
    }
    signature = base64.b64encode(key.sign(canonical(header))).decode("ascii")
    return Envelope(header, body, signature)


def _refuse(code: str, zh: str, en: str) -> TrustError:
    return TrustError(code, Text(zh, en))


def open_envelope(
    document: Any,
    *,
    trust: TrustList,
    me: str,
    now: datetime | None = None,
    skew: timedelta | None = timedelta(minutes=5),
) -> Envelope:
    """Check everything about a received envelope except whether its id was seen before.

    ``skew=None`` skips the freshness check: a stored receipt read back later proves the past, and its
    age says nothing against it.
    """
    if not isinstance(document, dict) or not isinstance(document.get("header"), dict):
        raise _refuse("malformed", "报文缺少报文头", "the message has no header")
    header, body = document["header"], document.get("body")
    if not isinstance(body, dict) or set(header) != set(_HEADER_FIELDS):
        raise _refuse("malformed", "报文头或报文体不完整", "the message's header or body is incomplete")
    try:
        sent_at = datetime.fromisoformat(str(header["sent_at"]))
        uuid.UUID(str(header["id"]))
    except ValueError as exc:
        raise _refuse("malformed", "报文编号或发送时间格式错误", "the message id or sending time is malformed") from exc
    if sent_at.tzinfo is None:
        raise _refuse("malformed", "发送时间缺少时区", "the sending time has no time zone")
    if header["receiver"] != me:
        raise _refuse(
            "not_for_me",
            f"报文的接收方是“{header['receiver']}”，不是本节点",
            f"the message is for '{header['receiver']}'",
        )
    current = now or datetime.now(UTC)
    if skew is not None and abs(current - sent_at) > skew:
        # Before the key check: a message from far off the clock is judged by its time, not by a key
        # that was not yet (or no longer) valid at that time.
        raise _refuse(
            "clock_skew",
            f"发送时间与本节点时钟相差超过{int(skew.total_seconds())}秒",
            f"the sending time is more than {int(skew.total_seconds())} s from this node's clock",
        )
    key = trust.sender_key(str(header["sender"]), str(header["key_id"]), sent_at)
    try:
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
    except ValueError:
        signature = b""
    if not key.public_key.verify(canonical(header), signature):
        raise _refuse("bad_signature", "报文签名无效", "the message's signature does not verify")
    if body_digest(body) != header["body_sm3"]:
        raise _refuse(
            "digest_mismatch", "报文体与签名的摘要不符（被篡改）", "the body does not match the signed digest"
        )
    return Envelope(dict(header), dict(body), str(document["signature"]))


def receipt_body(message: Envelope, outcome: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "message_type": message.type,
        "body_sm3": message.header["body_sm3"],
        "outcome": outcome,
        "result": result or {},
    }
