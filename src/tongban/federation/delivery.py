"""Sending (发件): the worker delivers the outbox, in order per stream, with backoff, to dead letters.

Each round takes, for every stream, its oldest message not yet delivered; if that one is due, it is
sealed (signed with a fresh sending time, the same id) and posted to the receiver's base URL from the
trust list. A signed receipt that checks out marks it delivered and is kept as proof. Otherwise the next
attempt waits 2, 4, 8 … seconds (at most an hour) with full jitter; after TONGBAN_FEDERATION_MAX_ATTEMPTS
tries, or at once when the receiver's handler rejected it (422), the message goes to the dead letters,
the operator is alerted (an error in the log) and the stream waits until someone retries it.

批量投递: messages to one node travel in batches (TONGBAN_FEDERATION_BATCH, at most BATCH_BYTES) to
``/federation/v1/batches/``: the due heads of several streams and what follows each of them, every
envelope still signed on its own and answered with its own signed receipt. An envelope names the earlier
one of its stream in the batch (``after``), so the receiver holds the rest of a stream whose message
failed. While one batch is on its way the next is planned and signed, on the guess that the first goes
through; whatever follows a failed message is dropped from it. A node that has no batch endpoint (404)
gets its messages one POST each, as before.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from tongban.config import env
from tongban.federation import node
from tongban.federation.canonical import loads
from tongban.federation.envelope import RECEIPT, body_digest, open_envelope, seal
from tongban.federation.models import OutboxMessage, OutboxState
from tongban.federation.sm2 import SM2Error
from tongban.federation.trust import TrustError

log = logging.getLogger("tongban.federation")
INBOX_PATH = "/federation/v1/messages/"
BATCH_PATH = "/federation/v1/batches/"
BATCH_BYTES = 8 * 1024 * 1024  # per POST; a single larger message still goes, alone
MAX_BACKOFF = timedelta(hours=1)

Post = Callable[[str, bytes], tuple[int, bytes]]


def http_post(url: str, data: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def backoff(attempts: int) -> timedelta:
    """Full jitter: a random wait up to 2^attempts seconds, capped at an hour."""
    ceiling = min(2.0**attempts, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


_WAITING = (OutboxState.PENDING, OutboxState.DEAD)  # delivered rows are kept forever: never scan them


def _head(stream: str) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(state__in=_WAITING, stream=stream).order_by("created_at", "id").first()


def due_heads(now: datetime) -> list[OutboxMessage]:
    """The oldest undelivered message of every stream, when it is due (a dead head holds its stream).

    One query however many streams wait: a case transfer puts every case on a stream of its own, so a
    backlog of thousands of cases is thousands of streams."""
    first = Window(RowNumber(), partition_by=[F("stream")], order_by=[F("created_at").asc(), F("id").asc()])
    heads = OutboxMessage.objects.filter(state__in=_WAITING).annotate(place=first).filter(place=1)
    return [
        m for m in heads.order_by("created_at", "id") if m.state == OutboxState.PENDING and m.next_attempt_at <= now
    ]


def batch_size() -> int:
    return max(1, int(env("TONGBAN_FEDERATION_BATCH")))


def came_due(since: float) -> bool:
    """Did a message come due after ``since`` (a time.time() value)? Queued (its first attempt is due at
    once) or its retry's wait ran out. A second of margin: a message dated before a round began but
    committed after that round looked is still found."""
    now = timezone.now()
    after = datetime.fromtimestamp(since, tz=now.tzinfo) - timedelta(seconds=1)
    return OutboxMessage.objects.filter(
        state=OutboxState.PENDING, next_attempt_at__gt=after, next_attempt_at__lte=now
    ).exists()


def deliver_due(now: datetime | None = None, post: Post = http_post, budget: float = 5.0) -> dict[str, int]:
    """One round: for each receiver, deliver the due streams in batches while deliveries succeed, for up to
    ``budget`` seconds in all (so a backlog drains in one round instead of one message per stream per round)."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "dead": 0}
    try:
        trust = node.trust_list()
        key = node.signing_key()
    except (TrustError, SM2Error):
        return counts  # not (yet) part of a federation: nothing to send
    deadline = time.monotonic() + budget
    with ThreadPoolExecutor(max_workers=3) as pool:  # one posting, two signing or checking
        sender = _Sender(trust, key, post, pool, deadline, counts)
        while time.monotonic() <= deadline:
            before = counts["delivered"]
            by_receiver: dict[str, list[OutboxMessage]] = {}
            for head in due_heads(now):
                by_receiver.setdefault(head.receiver, []).append(head)
            for receiver, heads in by_receiver.items():
                sender.deliver(receiver, heads)
                if time.monotonic() > deadline:
                    break
            # Go on while something moved: streams went on past their heads, or new ones came due.
            if counts["delivered"] == before or not by_receiver:
                break
    return counts


@dataclass
class _Batch:
    messages: list[OutboxMessage]
    envelopes: list[bytes]  # each message sealed, as JSON

    def data(self) -> bytes:
        """``{"messages": [{"after": …, "envelope": …}, …]}``; ``after``: the stream's previous item here."""
        items, last_of = [], {}
        for index, (message, envelope) in enumerate(zip(self.messages, self.envelopes, strict=True)):
            after = last_of.get(message.stream)
            items.append(
                b'{"after":' + (b"null" if after is None else b"%d" % after) + b',"envelope":' + envelope + b"}"
            )
            last_of[message.stream] = index
        return b'{"messages":[' + b",".join(items) + b"]}"

    def without(self, streams: set[str]) -> _Batch | None:
        kept = [(m, e) for m, e in zip(self.messages, self.envelopes, strict=True) if m.stream not in streams]
        return _Batch([m for m, _ in kept], [e for _, e in kept]) if kept else None

    def heads(self) -> list[OutboxMessage]:
        """The first message of each stream in the batch."""
        seen: set[str] = set()
        return [m for m in self.messages if not (m.stream in seen or seen.add(m.stream))]


@dataclass
class _Sender:
    trust: Any
    key: Any
    post: Post
    pool: ThreadPoolExecutor
    deadline: float
    counts: dict[str, int]
    single: set[str] = field(default_factory=set)  # receivers without a batch endpoint (older nodes)

    def deliver(self, receiver: str, heads: list[OutboxMessage]) -> None:
        entry = self.trust.node(receiver)
        if entry is None or not entry.base_url:
            for head in heads:
                self._count(_record(head, None, f"node {receiver!r} is not on the trust list", False))
            return
        if receiver in self.single:
            self._one_by_one(heads)
            return
        url = entry.base_url + BATCH_PATH
        waiting = list(heads)  # heads not yet taken into a batch, oldest first
        batch = self._plan(receiver, waiting, [])
        sending = self.pool.submit(self._post, url, batch.data()) if batch is not None else None
        while batch is not None and sending is not None:
            # Plan and sign the next batch meanwhile, as if this one goes through.
            upcoming = self._plan(receiver, waiting, batch.messages) if time.monotonic() < self.deadline else None
            status, raw, error = sending.result()
            if status == 404:  # an older node: no batches; send one by one from now on
                self.single.add(receiver)
                self._one_by_one(
                    batch.heads() + [m for m in waiting if m.stream not in {b.stream for b in batch.messages}]
                )
                return
            answers, error = _answers(batch, status, raw, error)
            if answers is None:
                # The node is down or failing as a whole: each stream in this batch takes an attempt (and its
                # backoff); the other heads wait for the next round rather than hammer it now.
                self._record([Outcome(m, None, error, False) for m in batch.heads()])
                return
            # Send the next batch before checking this one's receipts and recording them, so the two sides
            # work at the same time. What the receiver did not accept holds the rest of its stream; a
            # receipt that fails its check below only means that message is sent again (the receiver
            # answers a repeat with its stored receipt), and the order it applied them in stands.
            refused = {m.stream for m, a in zip(batch.messages, answers, strict=True) if _status(a) != 200}
            if upcoming is not None and refused:
                upcoming = upcoming.without(refused)
            sending = self.pool.submit(self._post, url, upcoming.data()) if upcoming is not None else None
            self._settle(batch, answers)
            batch = upcoming

    def _post(self, url: str, data: bytes) -> tuple[int, bytes, str]:
        try:
            status, raw = self.post(url, data)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return 0, b"", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # one odd failure must neither stop the round nor escape the backoff
            log.exception("posting a batch to %s failed", url)
            return 0, b"", f"{type(exc).__name__}: {exc}"
        return status, raw, ""

    def _plan(self, receiver: str, waiting: list[OutboxMessage], sent: list[OutboxMessage]) -> _Batch | None:
        """The next batch: what follows ``sent`` in its streams, then more heads with what follows them."""
        limit = batch_size()
        rows = _following(receiver, {m.stream for m in sent}, [m.pk for m in sent], limit)
        while waiting and len(rows) < limit:
            taken = waiting[: limit - len(rows)]
            del waiting[: len(taken)]
            rows += taken
            rows += _following(receiver, {m.stream for m in taken}, [m.pk for m in taken], limit - len(rows))
        rows.sort(key=lambda m: (m.created_at, m.pk))
        return self._sealed(rows) if rows else None

    def _sealed(self, rows: list[OutboxMessage]) -> _Batch:
        """Every message signed (a fresh sending time, its own id), up to BATCH_BYTES in all."""
        me = node.node_id()

        def one(message: OutboxMessage) -> bytes:
            envelope = seal(
                type=message.type,
                sender=me,
                receiver=message.receiver,
                body=message.body,
                key=self.key,
                message_id=message.id,
            )
            return json.dumps(envelope.to_dict(), ensure_ascii=False).encode()

        sealed = list(self.pool.map(one, rows))  # OpenSSL signs without the GIL: both cores
        size, count = 0, 0
        for data in sealed:
            if count and size + len(data) > BATCH_BYTES:
                break  # the rest waits for the next batch; a prefix keeps every stream in order
            size, count = size + len(data), count + 1
        return _Batch(rows[:count], sealed[:count])

    def _settle(self, batch: _Batch, answers: list[Any]) -> None:
        """Check each receipt (on the pool's threads: SM2 without the GIL) and record every outcome."""
        me = node.node_id()
        pairs = list(zip(batch.messages, answers, strict=True))
        checked = self.pool.map(lambda pair: _answered(pair[0], pair[1], self.trust, me), pairs)
        self._record([outcome for outcome in checked if outcome is not None])  # None: held behind a failure

    def _record(self, outcomes: list[Outcome]) -> None:
        for result in _record_many(outcomes):
            self.counts[result] += 1

    def _one_by_one(self, heads: list[OutboxMessage]) -> None:
        for message in heads:
            current: OutboxMessage | None = message
            while current is not None:
                outcome = _safe_attempt(current, self.trust, self.key, self.post)
                self.counts[outcome] += 1
                if outcome != "delivered" or time.monotonic() > self.deadline:
                    break
                current = _head(current.stream)
                if current is not None and current.state != OutboxState.PENDING:
                    break
            if time.monotonic() > self.deadline:
                return

    def _count(self, outcome: str) -> None:
        self.counts[outcome] += 1


def _answers(batch: _Batch, status: int, raw: bytes, error: str) -> tuple[list[Any] | None, str]:
    """The receiver's answers, one per message of the batch; None (and why) when the batch as a whole failed."""
    if status == 200:
        try:
            answers = loads(raw)["answers"]
            if not isinstance(answers, list) or len(answers) != len(batch.messages):
                raise ValueError("not one answer per message")
            return answers, ""
        except (ValueError, KeyError, TypeError) as exc:
            return None, f"unreadable answer to the batch: {exc}"
    if status:
        return None, f"HTTP {status}: {raw[:300].decode('utf-8', 'replace')}"
    return None, error


def _status(answer: Any) -> Any:
    return answer.get("status") if isinstance(answer, dict) else None


def _following(receiver: str, streams: set[str], exclude: list[str], limit: int) -> list[OutboxMessage]:
    """Pending messages of these streams after the ones named, oldest first (never attempted: only a
    stream's head is ever tried, so they are all due)."""
    if not streams or limit <= 0:
        return []
    rows = OutboxMessage.objects.filter(state=OutboxState.PENDING, receiver=receiver, stream__in=streams)
    return list(rows.exclude(pk__in=exclude).order_by("created_at", "id")[:limit])


def _safe_attempt(message: OutboxMessage, trust: Any, key: Any, post: Post) -> str:
    try:
        return _attempt(message, trust, key, post)
    except Exception as exc:  # one odd failure must neither stop the round nor escape the backoff
        log.exception("delivering %s failed", message.pk)
        return _record(message, None, f"{type(exc).__name__}: {exc}", False)


def _attempt(message: OutboxMessage, trust: Any, key: Any, post: Post) -> str:
    me = node.node_id()
    entry = trust.node(message.receiver)
    error, permanent, receipt = "", False, None
    if entry is None or not entry.base_url:
        error = f"node {message.receiver!r} is not on the trust list"
    else:
        envelope = seal(
            type=message.type, sender=me, receiver=message.receiver, body=message.body, key=key, message_id=message.id
        )
        try:
            status, raw = post(entry.base_url + INBOX_PATH, json.dumps(envelope.to_dict(), ensure_ascii=False).encode())
        except (OSError, ValueError, http.client.HTTPException) as exc:
            status, raw, error = 0, b"", f"{type(exc).__name__}: {exc}"
        if status == 200:
            receipt, error = _checked_receipt(raw, message, trust, me)
        elif status:
            error = f"HTTP {status}: {raw[:300].decode('utf-8', 'replace')}"
            permanent = status == 422
    return _record(message, receipt, error, permanent)


def _checked_receipt(raw: bytes, message: OutboxMessage, trust: Any, me: str) -> tuple[dict | None, str]:
    try:
        receipt = loads(raw)["receipt"]
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"unreadable receipt: {exc}"
    return _proof(receipt, message, trust, me)


def _proof(receipt: Any, message: OutboxMessage, trust: Any, me: str) -> tuple[dict | None, str]:
    """The receipt, when it is the receiver's signed acknowledgement of exactly this message."""
    try:
        # No freshness check: a receiver that applied the message, crashed and answers much later sends
        # the receipt it stored then, and that receipt is still the proof.
        signed = open_envelope(receipt, trust=trust, me=me, skew=None)
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"unreadable receipt: {exc}"
    except TrustError as exc:
        return None, f"receipt refused: {exc.code}"
    body = signed.body
    if (
        signed.type != RECEIPT
        or signed.sender != message.receiver
        or body.get("message_id") != message.id
        or body.get("body_sm3") != body_digest(message.body)
    ):
        return None, "the receipt is not for this message"
    return receipt, ""


@dataclass(frozen=True)
class Outcome:
    message: OutboxMessage
    receipt: dict | None
    error: str
    permanent: bool


def _answered(message: OutboxMessage, answer: Any, trust: Any, me: str) -> Outcome | None:
    """What one answer of a batch means for its message; None when the receiver held it (not tried)."""
    if not isinstance(answer, dict):
        return Outcome(message, None, "unreadable answer", False)
    status = answer.get("status")
    if status == 200:
        receipt, error = _proof(answer.get("receipt"), message, trust, me)
        return Outcome(message, receipt, error, False)
    if answer.get("code") == "held":
        return None
    text = f"{answer.get('code', '')}: {answer.get('message_en') or answer.get('message', '')}"
    return Outcome(message, None, f"HTTP {status}: {text}"[:2000], status == 422)


@transaction.atomic
def _record_many(outcomes: list[Outcome]) -> list[str]:
    """Every outcome of a batch in one transaction (one commit, not one per message)."""
    receipts = [o for o in outcomes if o.receipt is not None]
    moved = _mark_delivered(receipts)
    results = []
    for outcome in outcomes:
        if outcome.receipt is None:
            results.append(_record(outcome.message, None, outcome.error, outcome.permanent))
        elif outcome.message.pk in moved:
            results.append("delivered")
        else:  # another worker was first
            state = OutboxMessage.objects.filter(pk=outcome.message.pk).values_list("state", flat=True).first()
            results.append("delivered" if state == OutboxState.DELIVERED else "dead")
    return results


def _mark_delivered(outcomes: list[Outcome]) -> set[str]:
    """Store the receipts of these messages, each row only if still pending (no lock taken first); the ids
    that moved. One statement executed for all rows: the ORM's per-row update or bulk_update's CASE
    expressions cost more in Python than the database spends on the writes."""
    if not outcomes:
        return set()
    fields = {name: OutboxMessage._meta.get_field(name) for name in ("receipt", "delivered_at")}
    quote = connection.ops.quote_name
    now = timezone.now()
    sql = (
        f"UPDATE {quote(OutboxMessage._meta.db_table)} SET {quote('state')} = %s, {quote('receipt')} = %s, "
        f"{quote('delivered_at')} = %s, {quote('last_error')} = '', {quote('attempts')} = {quote('attempts')} + 1 "
        f"WHERE {quote('id')} = %s AND {quote('state')} = %s"
    )
    rows = [
        (
            OutboxState.DELIVERED.value,
            fields["receipt"].get_db_prep_save(o.receipt, connection),
            fields["delivered_at"].get_db_prep_save(now, connection),
            o.message.pk,
            OutboxState.PENDING.value,
        )
        for o in outcomes
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        if cursor.rowcount == len(rows):
            return {o.message.pk for o in outcomes}
    # Some row had moved already (another worker); which of ours are now delivered with our receipt?
    ids = [o.message.pk for o in outcomes]
    return set(
        OutboxMessage.objects.filter(pk__in=ids, state=OutboxState.DELIVERED, delivered_at=now).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def _record(message: OutboxMessage, receipt: dict | None, error: str, permanent: bool) -> str:
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state != OutboxState.PENDING:
        return "delivered" if message.state == OutboxState.DELIVERED else "dead"  # another worker was first
    now = timezone.now()
    message.attempts += 1
    if receipt is not None:
        message.state = OutboxState.DELIVERED
        message.receipt = receipt
        message.delivered_at = now
        message.last_error = ""
        message.save()
        return "delivered"
    message.last_error = error[:2000]
    if permanent or message.attempts >= node.max_attempts():
        message.state = OutboxState.DEAD
        message.save()
        log.error(
            "message %s (%s → %s) is a dead letter after %s attempts: %s",
            message.pk,
            message.type,
            message.receiver,
            message.attempts,
            error,
        )
        return "dead"
    message.next_attempt_at = now + backoff(message.attempts)
    message.save()
    return "retry"
