"""Delivering the outbox against a stub peer: receipts checked, retries with backoff, dead letters,
order per stream. (The real network between node processes is in test_nodes.py.)"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.federation.conftest import ME, PEER
from tongban.federation import delivery, services
from tongban.federation.envelope import RECEIPT, open_envelope, receipt_body, seal
from tongban.federation.models import OutboxMessage, OutboxState
from tongban.federation.sm2 import PrivateKey
from tongban.identity.actor import SYSTEM

pytestmark = pytest.mark.django_db


class Peer:
    """Answers like a node would: checks the envelope, then replies with a receipt, or a status."""

    def __init__(self, federation, trusted, *, status: int = 200, key: PrivateKey | None = None) -> None:  # type: ignore[no-untyped-def]
        self.federation, self.trusted, self.status, self.key = federation, trusted, status, key
        self.seen: list[str] = []

    def __call__(self, url: str, data: bytes) -> tuple[int, bytes]:
        envelope = open_envelope(json.loads(data), trust=self.trusted, me=PEER)
        self.seen.append(envelope.id)
        if self.status != 200:
            return self.status, b'{"code": "down"}'
        receipt = seal(
            type=RECEIPT,
            sender=PEER,
            receiver=ME,
            body=receipt_body(envelope, "applied"),
            key=self.key or self.federation.peer,
        )
        return 200, json.dumps({"receipt": receipt.to_dict()}).encode()


def test_a_message_is_delivered_and_its_signed_receipt_kept(federation):
    trusted = federation.accept()
    message = services.enqueue(receiver=PEER, type="node.ping", body={"note": "一"})
    peer = Peer(federation, trusted)
    assert delivery.deliver_due(post=peer) == {"delivered": 1, "retry": 0, "dead": 0}
    message.refresh_from_db()
    assert (message.state, peer.seen) == (OutboxState.DELIVERED, [message.pk])
    assert message.receipt["body"]["message_id"] == message.pk
    assert delivery.deliver_due(post=peer)["delivered"] == 0  # nothing sent twice


def test_a_peer_that_is_down_is_retried_later_with_growing_waits_until_dead(federation, settings, monkeypatch):
    trusted = federation.accept()
    monkeypatch.setenv("TONGBAN_FEDERATION_MAX_ATTEMPTS", "3")
    message = services.enqueue(receiver=PEER, type="node.ping", body={})
    down = Peer(federation, trusted, status=503)
    assert delivery.deliver_due(post=down)["retry"] == 1
    message.refresh_from_db()
    first_wait = message.next_attempt_at - timezone.now()
    assert timedelta(0) < first_wait <= timedelta(seconds=2)
    assert delivery.deliver_due(post=down)["retry"] == 0  # not due yet
    later = timezone.now() + timedelta(hours=2)
    assert delivery.deliver_due(now=later, post=down)["retry"] == 1
    assert delivery.deliver_due(now=later + timedelta(hours=2), post=down)["dead"] == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.DEAD, 3)
    assert "HTTP 503" in message.last_error

    services.retry(SYSTEM, message.pk)
    assert delivery.deliver_due(post=Peer(federation, trusted))["delivered"] == 1


def test_a_rejected_message_is_dead_at_once_and_holds_its_stream(federation):
    trusted = federation.accept()
    first = services.enqueue(receiver=PEER, type="node.ping", body={"n": 1}, stream="case:1")
    second = services.enqueue(receiver=PEER, type="node.ping", body={"n": 2}, stream="case:1")
    other = services.enqueue(receiver=PEER, type="node.ping", body={"n": 3}, stream="case:2")
    rejecting = Peer(federation, trusted, status=422)
    counts = delivery.deliver_due(post=rejecting)
    assert counts["dead"] == 2  # the head of each stream
    assert rejecting.seen == [first.pk, other.pk]
    peer = Peer(federation, trusted)
    assert delivery.deliver_due(post=peer)["delivered"] == 0  # case:1 waits behind its dead letter
    services.retry(SYSTEM, first.pk)
    delivery.deliver_due(post=peer)
    delivery.deliver_due(post=peer)
    assert peer.seen == [first.pk, second.pk]  # in order


def test_a_receipt_signed_by_someone_else_does_not_count(federation):
    trusted = federation.accept()
    message = services.enqueue(receiver=PEER, type="node.ping", body={})
    forger = Peer(federation, trusted, key=PrivateKey.generate())
    assert delivery.deliver_due(post=forger)["retry"] == 1
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING and "receipt refused" in message.last_error


def test_only_an_operator_may_retry(federation):
    from tests.identity import make
    from tongban.core.errors import DomainError
    from tongban.identity.actor import actor_for_user

    federation.accept()
    message = services.enqueue(receiver=PEER, type="node.ping", body={})
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.DEAD)
    with pytest.raises(DomainError):
        services.retry(actor_for_user(make.staff("window_clerk")), message.pk)
    services.retry(actor_for_user(make.staff("node_operator")), message.pk)
