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
    """Answers like a node would: checks each envelope, then replies with a receipt, or a status.

    Batches (POSTs to the batch endpoint) are answered per envelope as the inbox does: a 422 (``status``)
    is one message's refusal inside a 200 answer, with the rest of its stream held; any other failing
    ``status`` fails the whole POST. ``batches=False`` plays an older node that has no batch endpoint."""

    def __init__(  # type: ignore[no-untyped-def]
        self,
        federation,
        trusted,
        *,
        status: int = 200,
        key: PrivateKey | None = None,
        batches: bool = True,
        reject: str = "",
    ) -> None:
        self.federation, self.trusted, self.status, self.key = federation, trusted, status, key
        self.batches, self.reject = batches, reject
        self.seen: list[str] = []
        self.posts: list[int] = []  # envelopes per POST

    def __call__(self, url: str, data: bytes) -> tuple[int, bytes]:
        document = json.loads(data)
        if url.endswith(delivery.BATCH_PATH):
            if not self.batches:
                return 404, b"<h1>Not Found</h1>"
            self.posts.append(len(document["messages"]))
            if self.status not in (200, 422):
                return self.status, b'{"code": "down"}'
            answers: list[dict] = []
            for item in document["messages"]:
                after = item["after"]
                if after is not None and answers[after]["status"] != 200:
                    answers.append({"status": 409, "code": "held"})
                else:
                    answers.append(self.answer(item["envelope"]))
            return 200, json.dumps({"answers": answers}).encode()
        self.posts.append(1)
        answer = self.answer(document)
        status = answer.pop("status")
        return status, json.dumps(answer).encode()

    def answer(self, document: dict) -> dict:
        envelope = open_envelope(document, trust=self.trusted, me=PEER)
        self.seen.append(envelope.id)
        if self.status != 200 or (self.reject and self.reject == envelope.body.get("note")):
            return {"status": self.status if self.status != 200 else 422, "code": "rejected", "message_en": "no"}
        receipt = seal(
            type=RECEIPT,
            sender=PEER,
            receiver=ME,
            body=receipt_body(envelope, "applied"),
            key=self.key or self.federation.peer,
        )
        return {"status": 200, "receipt": receipt.to_dict()}


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
    # Answered inside a batch (the Peer answers batches as the inbox does).
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


def test_many_messages_go_in_few_posts_each_stream_in_order(federation, monkeypatch):
    trusted = federation.accept()
    monkeypatch.setenv("TONGBAN_FEDERATION_BATCH", "4")
    sent = [services.enqueue(receiver=PEER, type="node.ping", body={"n": i}, stream=f"case:{i % 3}") for i in range(10)]
    peer = Peer(federation, trusted)
    assert delivery.deliver_due(post=peer) == {"delivered": 10, "retry": 0, "dead": 0}
    assert peer.posts == [4, 4, 2]
    for stream in ("case:0", "case:1", "case:2"):
        expected = [m.pk for m in sent if m.stream == stream]
        assert [pk for pk in peer.seen if pk in expected] == expected
    assert all(m.receipt["body"]["message_id"] == m.pk for m in OutboxMessage.objects.all())


def test_a_refused_message_holds_the_rest_of_its_stream_in_the_batch_and_not_the_others(federation):
    trusted = federation.accept()
    first = services.enqueue(receiver=PEER, type="node.ping", body={"note": "ok"}, stream="case:1")
    bad = services.enqueue(receiver=PEER, type="node.ping", body={"note": "bad"}, stream="case:1")
    after = services.enqueue(receiver=PEER, type="node.ping", body={"note": "ok"}, stream="case:1")
    other = services.enqueue(receiver=PEER, type="node.ping", body={"note": "ok"}, stream="case:2")
    peer = Peer(federation, trusted, reject="bad")
    assert delivery.deliver_due(post=peer) == {"delivered": 2, "retry": 0, "dead": 1}
    states = dict(OutboxMessage.objects.values_list("pk", "state"))
    assert states == {
        first.pk: OutboxState.DELIVERED,
        bad.pk: OutboxState.DEAD,
        after.pk: OutboxState.PENDING,
        other.pk: OutboxState.DELIVERED,
    }
    assert OutboxMessage.objects.get(pk=after.pk).attempts == 0  # held, never tried
    assert after.pk not in peer.seen


def test_a_node_that_is_down_costs_one_post_a_round_and_each_stream_one_attempt(federation, monkeypatch):
    trusted = federation.accept()
    monkeypatch.setenv("TONGBAN_FEDERATION_BATCH", "3")
    for i in range(6):
        services.enqueue(receiver=PEER, type="node.ping", body={"n": i}, stream=f"case:{i % 2}")
    down = Peer(federation, trusted, status=503)
    assert delivery.deliver_due(post=down) == {"delivered": 0, "retry": 2, "dead": 0}
    assert down.posts == [3]
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 0, 0, 0, 1, 1]


def test_a_node_without_the_batch_endpoint_gets_one_message_per_post(federation):
    trusted = federation.accept()
    sent = [services.enqueue(receiver=PEER, type="node.ping", body={"n": i}, stream="node:x") for i in range(3)]
    older = Peer(federation, trusted, batches=False)
    assert delivery.deliver_due(post=older)["delivered"] == 3
    assert older.seen == [m.pk for m in sent]


def test_a_batch_too_large_for_one_post_is_cut_between_messages(federation, monkeypatch):
    trusted = federation.accept()
    monkeypatch.setattr(delivery, "BATCH_BYTES", 3000)
    for i in range(4):
        services.enqueue(receiver=PEER, type="node.ping", body={"pad": "字" * 400, "n": i}, stream="node:x")
    peer = Peer(federation, trusted)
    assert delivery.deliver_due(post=peer)["delivered"] == 4
    assert len(peer.posts) > 1 and sum(peer.posts) == 4


def test_the_worker_notices_a_message_that_came_due_since_its_last_round(federation):
    import time as clock

    federation.accept()
    began = clock.time()
    assert not delivery.came_due(began)
    message = services.enqueue(receiver=PEER, type="node.ping", body={})
    assert delivery.came_due(began)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert not delivery.came_due(began)  # waiting for its retry: not yet
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.DELIVERED)
    assert not delivery.came_due(began - 3600)


def test_a_message_another_worker_delivered_meanwhile_keeps_that_workers_receipt(federation):
    federation.accept()
    first = services.enqueue(receiver=PEER, type="node.ping", body={"n": 1}, stream="case:1")
    second = services.enqueue(receiver=PEER, type="node.ping", body={"n": 2}, stream="case:2")
    # Another worker's delivery of the first message landed while this one's batch was on its way.
    OutboxMessage.objects.filter(pk=first.pk).update(state=OutboxState.DELIVERED, receipt={"theirs": 1})
    outcomes = [delivery.Outcome(m, {"ours": m.pk}, "", False) for m in (first, second)]
    assert delivery._record_many(outcomes) == ["delivered", "delivered"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.receipt, first.attempts) == ({"theirs": 1}, 0)  # not overwritten
    assert (second.state, second.receipt, second.attempts) == (OutboxState.DELIVERED, {"ours": second.pk}, 1)
