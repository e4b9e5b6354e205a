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
