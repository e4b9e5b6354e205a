"""Receiving (收件): check the envelope against the trust list, apply it once, answer a signed receipt.

A message id seen before gets the receipt stored the first time, and nothing is applied again, whether
the sender retried after a lost answer or someone replays it. Every refusal is kept with its reason
(``RefusedMessage``) so the operator sees who tried what.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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
    checked = check(document, remote_addr)
    return checked if isinstance(checked, Answer) else apply(checked, document, remote_addr)


def check(document: Any, remote_addr: str = "") -> Envelope | Answer:
    """The envelope, when it is sound (signature, sender, key, time); otherwise the refusal, logged."""
    try:
        return open_envelope(document, trust=node.trust_list(), me=node.node_id(), skew=node.skew())
    except TrustError as exc:
        return _refused(exc.code, exc.text.zh, exc.text.en, document, remote_addr)


def apply(envelope: Envelope, document: Any, remote_addr: str = "", *, seen: bool | None = None) -> Answer:
    """Apply a checked envelope once, in a transaction of its own, and answer its signed receipt.
    ``seen=False``: the caller has just looked the id up and it was not there."""
    earlier = _stored(envelope.id) if seen is not False else None
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
    me = node.node_id()
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


VERIFIERS = 2  # threads checking a batch's signatures: one per core of a small node


HELD = Answer(
    409,
    {
        "code": "held",
        "message": "同一流中的前一条报文未被接受，本条未处理",
        "message_en": "an earlier message of the same stream was not accepted; this one was not applied",
    },
)


def receive_batch(items: list[tuple[Any, int | None]], remote_addr: str = "") -> list[Answer]:
    """Several envelopes from one POST (批量投递), each checked, applied and answered as if it came alone.

    ``after`` names the item of the same stream that precedes it in the batch: when that one was not
    accepted, this one is held (not applied, not logged as refused), so a stream's order survives a
    failure in the middle of a batch. The signatures are checked in parallel first: OpenSSL runs without
    the GIL, so both cores work; applying stays in order, one transaction per message.
    """
    try:
        trust = node.trust_list()  # here: the worker threads below touch no database
    except TrustError as exc:
        return [_refused(exc.code, exc.text.zh, exc.text.en, document, remote_addr) for document, _ in items]
    me, skew = node.node_id(), node.skew()

    def verify(document: Any) -> Envelope | TrustError:
        try:
            return open_envelope(document, trust=trust, me=me, skew=skew)
        except TrustError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=VERIFIERS) as pool:
        checked = list(pool.map(verify, [document for document, _ in items]))
    ids = [outcome.id for outcome in checked if isinstance(outcome, Envelope)]
    stored = dict(InboxMessage.objects.filter(pk__in=ids).values_list("id", "receipt"))  # one query, not one each
    repeated = Counter(ids)
    answers: list[Answer] = []
    for (document, after), outcome in zip(items, checked, strict=True):
        if after is not None and answers[after].status != 200:
            answers.append(HELD)
        elif isinstance(outcome, TrustError):
            answers.append(_refused(outcome.code, outcome.text.zh, outcome.text.en, document, remote_addr))
        elif outcome.id in stored:
            answers.append(Answer(200, {"receipt": stored[outcome.id], "duplicate": True}, duplicate=True))
        else:
            # An id twice in one batch: the second finds the first's receipt by looking again.
            seen = None if repeated[outcome.id] > 1 else False
            answers.append(apply(outcome, document, remote_addr, seen=seen))
    return answers


def _receipt(envelope: Envelope, outcome: str, result: dict[str, Any], key: Any, me: str) -> dict[str, Any]:
    signed = seal(
        type=RECEIPT, sender=me, receiver=envelope.sender, body=receipt_body(envelope, outcome, result), key=key
    )
    return signed.to_dict()
