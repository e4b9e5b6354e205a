"""Federation commands: queue a message for another node (in the caller's transaction), and the
operator's retry of a dead letter."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.core.errors import Conflict, NotFound
from tongban.federation.envelope import uuid7
from tongban.federation.models import OutboxMessage, OutboxState
from tongban.identity.actor import Actor
from tongban.identity.denied import require


def enqueue(*, receiver: str, type: str, body: dict[str, Any], stream: str = "") -> OutboxMessage:
    """Put a message in the outbox. Call it inside the transaction of the change that causes it, so the
    message exists exactly when the change does (the transactional outbox)."""
    return OutboxMessage.objects.create(
        id=uuid7(),
        receiver=receiver,
        type=type,
        stream=stream or f"node:{receiver}",
        body=body,
        next_attempt_at=timezone.now(),
    )


def add_to_queued(message: OutboxMessage, key: str, items: list[Any]) -> OutboxMessage:
    """Append ``items`` to the list ``key`` of a message queued in the caller's transaction and not yet
    sent (a command that learns more after queueing it: a notice issued after the status change)."""
    if message.state != OutboxState.PENDING or message.attempts:
        raise Conflict.single("message", "already_sent", "报文已发出，不能再补充", "the message has gone out already")
    message.body[key] = [*message.body.get(key, []), *items]
    message.save(update_fields=["body"])
    return message


@transaction.atomic
def retry(actor: Actor, message_id: str) -> OutboxMessage:
    """Send a dead letter again (the stream behind it follows once it is delivered)."""
    require(actor, "federation.operate")
    try:
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
    except OutboxMessage.DoesNotExist as exc:
        raise NotFound.single("message", "not_found", "报文不存在", "no such message") from exc
    if message.state != OutboxState.DEAD:
        raise Conflict.single("message", "not_dead", "只能重发已放弃投递的报文", "only a dead letter can be retried")
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["state", "attempts", "next_attempt_at"])
    return message
