"""Receiving (收件): check the envelope against the trust list, apply it once, answer a signed receipt.

A message id seen before gets the receipt stored the first time, and nothing is applied again, whether
the sender retried after a lost answer or someone replays it. Every refusal is kept with its reason
(``RefusedMessage``) so the operator sees who tried what.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from tongban.core.errors import DomainError
from tongban.federation import node
from tongban.federation.envelope import RECEIPT, Envelope, open_envelope, receipt_body, seal
from tongban.federation.handlers import HANDLERS
from tongban.federation.models import InboxMessage, RefusedMessage
from tongban.federation.sm2 import SM2Error
from tongban.federation.trust import TrustError

log = logging.getLogger("tongban.federation")

# HTTP status of each refusal: the sender's worker retries everything but 422 (the message itself was
# refused by its handler, so sending it again cannot help).
STATUS = {
    "malformed": 400,
    "not_for_me": 400,
    "unknown_type": 400,
    "clock_skew": 400,
    "unknown_node": 403,
    "unknown_key": 403,
    "key_expired": 403,
    "key_revoked": 403,
    "bad_signature": 403,
    "digest_mismatch": 403,
    "no_trust_list": 503,
    "no_anchor": 503,
    "no_key": 503,
    "rejected": 422,
}


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict[str, Any]
    duplicate: bool = False


def _refused(code: str, reason_zh: str, reason_en: str, document: Any, remote_addr: str) -> Answer:
    header = document.get("header") if isinstance(document, dict) else None
    header = header if isinstance(header, dict) else {}
    RefusedMessage.objects.create(
        code=code,
        reason=f"{reason_zh} / {reason_en}"[:500],
        sender=str(header.get("sender", ""))[:64],
        message_id=str(header.get("id", ""))[:64],
        remote_addr=remote_addr[:64],
        excerpt=json.dumps(document, ensure_ascii=False, default=str)[:2000],
    )
    log.warning("refused message %s from %s: %s", header.get("id"), header.get("sender"), reason_en)
    return Answer(STATUS.get(code, 400), {"code": code, "message": reason_zh, "message_en": reason_en})


def _stored(message_id: str) -> Answer | None:
    found = InboxMessage.objects.filter(pk=message_id).values_list("receipt", flat=True).first()
    return Answer(200, {"receipt": found, "duplicate": True}, duplicate=True) if found else None


def receive(document: Any, remote_addr: str = "") -> Answer:
    me = node.node_id()
    try:
        trust = node.trust_list()
        envelope = open_envelope(document, trust=trust, me=me, skew=node.skew())
    except TrustError as exc:
        return _refused(exc.code, exc.text.zh, exc.text.en, document, remote_addr)
    earlier = _stored(envelope.id)
    if earlier is not None:
        return earlier
    handler = HANDLERS.get(envelope.type)
    if handler is None:
        return _refused(
            "unknown_type",
            f"本节点不处理“{envelope.type}”类型的报文",
            f"this node does not handle messages of type '{envelope.type}'",
            document,
            remote_addr,
        )
    try:
        key = node.signing_key()
    except SM2Error as exc:
        return Answer(503, {"code": "no_key", "message": "本节点尚无签名密钥", "message_en": str(exc)})
    try:
        with transaction.atomic():
            result = handler(envelope)
            receipt = _receipt(envelope, "applied", result, key, me)
            InboxMessage.objects.create(
                id=envelope.id,
                sender=envelope.sender,
                type=envelope.type,
                envelope=envelope.to_dict(),
                outcome="applied",
                receipt=receipt,
            )
    except IntegrityError:
        # The same message arrived twice at once; the other delivery applied it and stored its receipt.
        return _stored(envelope.id) or Answer(409, {"code": "busy", "message": "请重试", "message_en": "retry"})
    except DomainError as exc:
        problem = exc.problems[0]
        return _refused("rejected", problem.text.zh, problem.text.en, document, remote_addr)
    return Answer(200, {"receipt": receipt, "duplicate": False})


def _receipt(envelope: Envelope, outcome: str, result: dict[str, Any], key: Any, me: str) -> dict[str, Any]:
    signed = seal(
        type=RECEIPT, sender=me, receiver=envelope.sender, body=receipt_body(envelope, outcome, result), key=key
    )
    return signed.to_dict()
