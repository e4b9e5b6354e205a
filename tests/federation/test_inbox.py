"""Receiving a message: accepted once with a signed receipt, or refused with its reason kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tests.federation.conftest import ME, PEER
from tongban.federation.envelope import RECEIPT, open_envelope, seal
from tongban.federation.models import InboxMessage, RefusedMessage
from tongban.federation.sm2 import PrivateKey
from tongban.federation.trust import TrustError

pytestmark = pytest.mark.django_db
URL = "/federation/v1/messages/"


def post(client: Client, document: dict) -> tuple[int, dict, bool]:
    response = client.post(URL, json.dumps(document, ensure_ascii=False), content_type="application/json")
    return response.status_code, response.json(), response.get("Idempotent-Replayed") == "true"


def ping(federation, **kw):  # type: ignore[no-untyped-def]
    defaults = {"type": "node.ping", "sender": PEER, "receiver": ME, "body": {"note": "你好"}, "key": federation.peer}
    return seal(**{**defaults, **kw}).to_dict()


def refused(code: str) -> RefusedMessage:
    return RefusedMessage.objects.get(code=code)


def test_a_good_message_is_applied_once_and_answered_with_a_receipt_the_sender_can_check(federation, client):
    trusted = federation.accept()
    document = ping(federation)
    status, answer, replayed = post(client, document)
    assert (status, replayed) == (200, False)
    receipt = open_envelope(answer["receipt"], trust=trusted, me=PEER)  # as the sender would check it
    assert (receipt.type, receipt.sender) == (RECEIPT, ME)
    assert receipt.body["message_id"] == document["header"]["id"]
    assert receipt.body["result"] == {"pong": True, "note": "你好"}
    assert InboxMessage.objects.get().outcome == "applied"

    status, again, replayed = post(client, document)  # a retry, or a replay: the first receipt, nothing applied
    assert (status, replayed, again["receipt"]) == (200, True, answer["receipt"])
    assert InboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        (lambda d, f: d["body"].update(note="篡改"), "digest_mismatch", 403),
        (lambda d, f: d["header"].update(sender="wuhan"), "unknown_node", 403),
        (lambda d, f: d["header"].update(receiver="huanggang"), "not_for_me", 400),
        (lambda d, f: d.update(signature="AAAA"), "bad_signature", 403),
        (lambda d, f: d.pop("header"), "malformed", 400),
    ],
    ids=["tampered body", "unknown node", "for another node", "bad signature", "no header"],
)
def test_forged_or_broken_messages_are_refused_and_logged(federation, client, change, code, status):
    federation.accept()
    document = ping(federation)
    change(document, federation)
    got, answer, _ = post(client, document)
    assert (got, answer["code"]) == (status, code)
    assert refused(code).reason
    assert not InboxMessage.objects.exists()


def test_a_message_signed_with_another_key_under_the_peers_key_id_is_refused(federation, client):
    federation.accept()
    impostor = PrivateKey.generate()
    document = seal(type="node.ping", sender=PEER, receiver=ME, body={}, key=impostor).to_dict()
    document["header"]["key_id"] = federation.peer.public_key().fingerprint()  # claims the real key
    status, answer, _ = post(client, document)
    assert (status, answer["code"]) == (403, "bad_signature")
    status, answer, _ = post(client, seal(type="node.ping", sender=PEER, receiver=ME, body={}, key=impostor).to_dict())
    assert (status, answer["code"]) == (403, "unknown_key")


def test_expired_and_revoked_keys_and_clock_skew_are_refused(federation, client):
    old = datetime.now(UTC) - timedelta(days=400)
    federation.accept(version=1, start=old)  # the peer's key ran out 35 days ago
    status, answer, _ = post(client, ping(federation))
    assert (status, answer["code"]) == (403, "key_expired")

    federation.accept(version=2, revoked_at=datetime.now(UTC) - timedelta(hours=1))
    status, answer, _ = post(client, ping(federation))
    assert (status, answer["code"]) == (403, "key_revoked")

    federation.accept(version=3)
    late = ping(federation, now=datetime.now(UTC) - timedelta(minutes=10))
    status, answer, _ = post(client, late)
    assert (status, answer["code"]) == (400, "clock_skew")
    assert set(RefusedMessage.objects.values_list("code", flat=True)) == {"key_expired", "key_revoked", "clock_skew"}


def test_an_unknown_message_type_is_refused(federation, client):
    federation.accept()
    status, answer, _ = post(client, ping(federation, type="case.unheard_of"))
    assert (status, answer["code"]) == (400, "unknown_type")


def test_without_a_trust_list_nothing_is_accepted(federation, client):
    status, answer, _ = post(client, ping(federation))
    assert (status, answer["code"]) == (503, "no_trust_list")


def test_trust_lists_signed_by_someone_else_or_older_are_refused(federation):
    from tongban.federation import node, trust

    federation.accept(version=5)
    with pytest.raises(TrustError) as older:
        federation.accept(version=4)
    assert older.value.code == "downgrade"
    stranger = PrivateKey.generate()
    with pytest.raises(TrustError) as wrong:
        node.accept_trust_list(trust.sign(federation.body(version=6), stranger), "test")
    assert wrong.value.code == "wrong_signer"
    signed = trust.sign(federation.body(version=6), federation.operator)
    signed["body"]["nodes"][1]["base_url"] = "http://attacker.test"  # changed after signing
    with pytest.raises(TrustError) as changed:
        node.accept_trust_list(signed, "test")
    assert changed.value.code == "bad_signature"
    assert node.trust_list().version == 5


BATCH_URL = "/federation/v1/batches/"


def post_batch(client: Client, items: list) -> tuple[int, dict]:
    response = client.post(BATCH_URL, json.dumps({"messages": items}), content_type="application/json")
    return response.status_code, response.json()


def test_a_batch_is_answered_per_message_and_a_failure_holds_the_rest_of_its_stream(federation, client):
    trusted = federation.accept()
    good, forged, behind, other = (ping(federation, body={"note": n}) for n in ("一", "二", "三", "四"))
    forged["body"]["note"] = "篡改"
    items = [
        {"after": None, "envelope": good},
        {"after": 0, "envelope": forged},
        {"after": 1, "envelope": behind},  # same stream as the forged one: must wait for it
        {"after": None, "envelope": other},
    ]
    status, answer = post_batch(client, items)
    assert status == 200
    assert [a["status"] for a in answer["answers"]] == [200, 403, 409, 200]
    assert [a.get("code") for a in answer["answers"]][1:3] == ["digest_mismatch", "held"]
    receipt = open_envelope(answer["answers"][3]["receipt"], trust=trusted, me=PEER)
    assert receipt.body["message_id"] == other["header"]["id"]
    applied = set(InboxMessage.objects.values_list("id", flat=True))
    assert applied == {good["header"]["id"], other["header"]["id"]}
    assert list(RefusedMessage.objects.values_list("code", flat=True)) == ["digest_mismatch"]  # held: not refused

    status, again = post_batch(client, [{"after": None, "envelope": good}, {"after": None, "envelope": behind}])
    assert [(a["status"], a["duplicate"]) for a in again["answers"]] == [(200, True), (200, False)]
    assert again["answers"][0]["receipt"] == answer["answers"][0]["receipt"]  # the stored receipt, nothing twice
    assert InboxMessage.objects.count() == 3


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        {"messages": []},
        {"messages": [{"after": None}]},
        {"messages": [{"after": 0, "envelope": {}}]},  # 'after' must name an earlier item
        {"messages": [{"after": None, "envelope": {}}] * 501},
    ],
    ids=["not json", "empty", "no envelope", "after itself", "too many"],
)
def test_a_malformed_batch_is_refused_whole(federation, client, document):
    federation.accept()
    data = document if isinstance(document, bytes) else json.dumps(document)
    response = client.post(BATCH_URL, data, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "malformed_batch")
    assert not InboxMessage.objects.exists()


def test_the_same_envelope_twice_in_one_batch_is_applied_once(federation, client):
    federation.accept()
    document = ping(federation)
    status, answer = post_batch(client, [{"after": None, "envelope": document}, {"after": 0, "envelope": document}])
    first, second = answer["answers"]
    assert (status, first["duplicate"], second["duplicate"]) == (200, False, True)
    assert first["receipt"] == second["receipt"]
    assert InboxMessage.objects.count() == 1


@pytest.fixture
def writing_handlers(monkeypatch):  # type: ignore[no-untyped-def]
    """Two handlers that leave a row behind (a refusal record serves as one): one keeps it, one then fails."""
    from tongban.core.errors import DomainError
    from tongban.federation import handlers

    def write(envelope):  # type: ignore[no-untyped-def]
        RefusedMessage.objects.create(code="written", reason=envelope.body["note"])
        return {}

    def write_then_fail(envelope):  # type: ignore[no-untyped-def]
        write(envelope)
        raise DomainError.single("note", "no", "不行", "no")

    monkeypatch.setitem(handlers.HANDLERS, "test.write", write)
    monkeypatch.setitem(handlers.HANDLERS, "test.fail", write_then_fail)


def test_a_message_refused_inside_a_batch_undoes_only_its_own_work(federation, client, writing_handlers):
    federation.accept()
    one, bad, two = (
        ping(federation, type=t, body={"note": n})
        for t, n in (("test.write", "一"), ("test.fail", "坏"), ("test.write", "二"))
    )
    status, answer = post_batch(client, [{"after": None, "envelope": e} for e in (one, bad, two)])
    assert (status, [a["status"] for a in answer["answers"]]) == (200, [200, 422, 200])
    assert sorted(RefusedMessage.objects.filter(code="written").values_list("reason", flat=True)) == ["一", "二"]
    assert set(InboxMessage.objects.values_list("id", flat=True)) == {one["header"]["id"], two["header"]["id"]}


def test_a_batch_that_clashes_with_another_delivery_is_applied_one_message_at_a_time(
    federation, client, writing_handlers, monkeypatch
):
    from django.db import IntegrityError

    federation.accept()
    envelopes = [ping(federation, type="test.write", body={"note": n}) for n in ("一", "二", "三")]
    real = InboxMessage.objects.bulk_create

    def clash(rows, *args, **kwargs):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(InboxMessage.objects, "bulk_create", real)  # once
        raise IntegrityError("UNIQUE constraint failed: federation_inboxmessage.id")

    monkeypatch.setattr(InboxMessage.objects, "bulk_create", clash)
    status, answer = post_batch(client, [{"after": None, "envelope": e} for e in envelopes])
    assert (status, [(a["status"], a["duplicate"]) for a in answer["answers"]]) == (200, [(200, False)] * 3)
    # The rolled-back chunk's work is gone; each message was applied once, in its own transaction.
    assert RefusedMessage.objects.filter(code="written").count() == 3
    assert InboxMessage.objects.count() == 3
