"""Receiving (收件): check the envelope against the trust list, apply it once, answer a signed receipt.

A message id seen before gets the receipt stored the first time, and nothing is applied again, whether
the sender retried after a lost answer or someone replays it. Every refusal is kept with its reason
(``RefusedMessage``) so the operator sees who tried what.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
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


def _unknown_type(envelope: Envelope, document: Any, remote_addr: str) -> Answer:
    return _refused(
        "unknown_type",
        f"本节点不处理“{envelope.type}”类型的报文",
        f"this node does not handle messages of type '{envelope.type}'",
        document,
        remote_addr,
    )


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
        return _unknown_type(envelope, document, remote_addr)
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


def receive_batch(items: list[tuple[Any, int | None]], remote_addr: str = "") -> list[Answer]:
    """Several envelopes from one POST (批量投递), each checked, applied and answered as if it came alone.

    ``after`` names the item of the same stream that precedes it in the batch: when that one was not
    accepted, this one is held (not applied, not logged as refused), so a stream's order survives a
    failure in the middle of a batch. The signatures are checked in parallel first (OpenSSL runs without
    the GIL, so both cores work). Then the messages are applied in order, each in a savepoint of a
    transaction that takes several of them (at most CHUNK_SECONDS of work: the database's one writer is
    not held longer), while their receipts are signed on the other threads; the inbox rows, each with its
    receipt, are written before that transaction commits, so a message is applied exactly when its id is
    recorded, as when it comes alone.
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
        try:
            key = node.signing_key()
        except SM2Error:
            key = None  # each message is answered 503 no_key below, as alone
        batch = _Batch(items, checked, [None] * len(items), remote_addr)
        start = 0
        while start < len(items):
            if key is None:
                break
            try:
                start = batch.apply_chunk(start, pool, key, me)
            except IntegrityError:
                # Another delivery of one of these committed first, and this chunk was rolled back: the
                # rest one at a time, below.
                batch.forget_from(start)
                break
        batch.one_at_a_time(start)
    return batch.answered()


VERIFIERS = 2  # threads checking a batch's signatures and signing its receipts: one per core of a small node
CHUNK_SECONDS = 0.1  # the longest one transaction of a batch goes on taking messages

HELD = Answer(
    409,
    {
        "code": "held",
        "message": "同一流中的前一条报文未被接受，本条未处理",
        "message_en": "an earlier message of the same stream was not accepted; this one was not applied",
    },
)
_APPLIED = Answer(200, {})  # applied in the open transaction; its receipt is on its way


@dataclass
class _Batch:
    items: list[tuple[Any, int | None]]
    checked: list[Envelope | TrustError]
    answers: list[Answer | None]
    remote_addr: str
    first_of: dict[str, int] = field(default_factory=dict)  # message id → the batch item that applied it

    def _settled(self, index: int) -> Answer | None:
        after = self.items[index][1]
        if after is not None and (self.answers[after] is None or self.answers[after].status != 200):
            return HELD
        outcome, document = self.checked[index], self.items[index][0]
        if isinstance(outcome, TrustError):
            return _refused(outcome.code, outcome.text.zh, outcome.text.en, document, self.remote_addr)
        if outcome.id in self.first_of:  # the same id earlier in this batch: its receipt, applied once
            return Answer(200, {"repeat_of": self.first_of[outcome.id]}, duplicate=True)
        return None

    def apply_chunk(self, start: int, pool: ThreadPoolExecutor, key: Any, me: str) -> int:
        """Apply items from ``start`` in one transaction for up to CHUNK_SECONDS; the index to go on from."""
        began, index = time.monotonic(), start
        signing: list[tuple[int, Envelope, Future[dict[str, Any]]]] = []
        with transaction.atomic():
            envelopes = [e for e in self.checked[start:] if isinstance(e, Envelope)]
            stored = dict(InboxMessage.objects.filter(pk__in=[e.id for e in envelopes]).values_list("id", "receipt"))
            while index < len(self.items) and (index == start or time.monotonic() - began < CHUNK_SECONDS):
                answer = self._settled(index)
                envelope = self.checked[index]
                if answer is None and isinstance(envelope, Envelope):
                    if envelope.id in stored:
                        answer = Answer(200, {"receipt": stored[envelope.id], "duplicate": True}, duplicate=True)
                    else:
                        answer, result = self._run(envelope, index)
                        if result is not None:
                            signing.append(
                                (index, envelope, pool.submit(_receipt, envelope, "applied", result, key, me))
                            )
                self.answers[index] = answer
                index += 1
            rows = []
            for at, envelope, future in signing:
                receipt = future.result()
                self.answers[at] = Answer(200, {"receipt": receipt, "duplicate": False})
                rows.append(
                    InboxMessage(
                        id=envelope.id,
                        sender=envelope.sender,
                        type=envelope.type,
                        envelope=envelope.to_dict(),
                        outcome="applied",
                        receipt=receipt,
                    )
                )
            InboxMessage.objects.bulk_create(rows)
        return index

    def _run(self, envelope: Envelope, index: int) -> tuple[Answer, dict[str, Any] | None]:
        document = self.items[index][0]
        handler = HANDLERS.get(envelope.type)
        if handler is None:
            return _unknown_type(envelope, document, self.remote_addr), None
        try:
            with transaction.atomic():  # a savepoint: a refused message leaves the others of the chunk be
                result = handler(envelope)
        except DomainError as exc:
            problem = exc.problems[0]
            return _refused("rejected", problem.text.zh, problem.text.en, document, self.remote_addr), None
        self.first_of[envelope.id] = index
        return _APPLIED, result

    def forget_from(self, start: int) -> None:
        """What a rolled-back chunk decided is undone with it."""
        self.answers[start:] = [None] * (len(self.items) - start)
        self.first_of = {i: at for i, at in self.first_of.items() if at < start}

    def one_at_a_time(self, start: int) -> None:
        """From ``start`` on, each message in a transaction of its own (after a clash with another delivery,
        or with no key to sign with)."""
        for index in range(start, len(self.items)):
            answer = self._settled(index)
            envelope = self.checked[index]
            if answer is None and isinstance(envelope, Envelope):
                answer = apply(envelope, self.items[index][0], self.remote_addr)
            self.answers[index] = answer

    def answered(self) -> list[Answer]:
        answers: list[Answer] = []
        for answer in self.answers:
            assert answer is not None
            if "repeat_of" in answer.payload:
                first = self.answers[answer.payload["repeat_of"]]
                assert first is not None
                answer = Answer(200, {"receipt": first.payload.get("receipt"), "duplicate": True}, duplicate=True)
            answers.append(answer)
        return answers


def _receipt(envelope: Envelope, outcome: str, result: dict[str, Any], key: Any, me: str) -> dict[str, Any]:
    signed = seal(
        type=RECEIPT, sender=me, receiver=envelope.sender, body=receipt_body(envelope, outcome, result), key=key
    )
    return signed.to_dict()
