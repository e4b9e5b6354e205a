"""Sending (发件): the worker delivers the outbox, in order per stream, with backoff, to dead letters.

Each round takes, for every stream, its oldest message not yet delivered; if that one is due, it is
sealed (signed with a fresh sending time, the same id) and posted to the receiver's base URL from the
trust list. A signed receipt that checks out marks it delivered and is kept as proof. Otherwise the next
attempt waits 2, 4, 8 … seconds (at most an hour) with full jitter; after TONGBAN_FEDERATION_MAX_ATTEMPTS
tries, or at once when the receiver's handler rejected it (422), the message goes to the dead letters,
the operator is alerted (an error in the log) and the stream waits until someone retries it.
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
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from tongban.federation import node
from tongban.federation.canonical import loads
from tongban.federation.envelope import RECEIPT, body_digest, open_envelope, seal
from tongban.federation.models import OutboxMessage, OutboxState
from tongban.federation.sm2 import SM2Error
from tongban.federation.trust import TrustError

log = logging.getLogger("tongban.federation")
INBOX_PATH = "/federation/v1/messages/"
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


def deliver_due(now: datetime | None = None, post: Post = http_post, budget: float = 5.0) -> dict[str, int]:
    """One round: for each stream, deliver from its head while deliveries succeed, for up to ``budget``
    seconds in all (so a backlog drains in one round instead of one message per stream per round)."""
    now = now or timezone.now()
    counts = {"delivered": 0, "retry": 0, "dead": 0}
    try:
        trust = node.trust_list()
        key = node.signing_key()
    except (TrustError, SM2Error):
        return counts  # not (yet) part of a federation: nothing to send
    deadline = time.monotonic() + budget
    for message in due_heads(now):
        current: OutboxMessage | None = message
        while current is not None:
            outcome = _safe_attempt(current, trust, key, post)
            counts[outcome] += 1
            if outcome != "delivered" or time.monotonic() > deadline:
                break
            current = _head(current.stream)
            if current is not None and (current.state != OutboxState.PENDING or current.next_attempt_at > now):
                break
        if time.monotonic() > deadline:
            break
    return counts


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
