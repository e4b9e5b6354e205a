"""The licence log in the database: appends, proofs (one query each, equal to the in-memory tree's),
signed tree heads, and the exchange of heads between nodes with its fork alerts."""

from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from tests.licenses.conftest import ME, PEER
from tongban.core.errors import DomainError, NotFound
from tongban.federation import inbox, node
from tongban.federation.canonical import canonical
from tongban.federation.envelope import seal
from tongban.federation.models import OutboxMessage, RefusedMessage
from tongban.federation.sm2 import PrivateKey
from tongban.federation.trust import TrustError
from tongban.licenses import ledger, merkle
from tongban.licenses.merkle import MemoryStore
from tongban.licenses.models import ForkAlert, LogLeaf, LogNode, LogState, PeerTreeHead, TreeHead
from tongban.licenses.models.log import stamp

pytestmark = pytest.mark.django_db


def fill(count: int, start: int = 0) -> list[LogLeaf]:
    return [ledger.append("licence.issued", {"identifier": f"L-{i:04d}", "n": i}) for i in range(start, start + count)]


def memory_copy() -> MemoryStore:
    """The same log rebuilt in memory from the stored leaf data alone."""
    return MemoryStore(bytes(data) for data in LogLeaf.objects.order_by("index").values_list("data", flat=True))


# --- appending


def test_an_append_stores_the_canonical_leaf_and_every_subtree_it_completes():
    first = ledger.append("licence.issued", {"identifier": "证照-1", "seal": "S1"})
    assert first.index == 0
    data = bytes(first.data)
    assert json.loads(data) == {
        "kind": "licence.issued",
        "at": json.loads(data)["at"],
        "identifier": "证照-1",
        "seal": "S1",
    }
    assert canonical(json.loads(data)) == data
    assert datetime.fromisoformat(json.loads(data)["at"]).tzinfo is not None
    assert bytes(first.leaf_hash) == merkle.leaf_hash(data)
    fill(12, start=1)
    assert ledger.size() == 13
    assert list(LogLeaf.objects.values_list("index", flat=True)) == list(range(13))
    assert LogNode.objects.count() == sum(13 >> level for level in range(5))  # complete subtrees only
    copy = memory_copy()
    assert LogNode.objects.get(key=LogNode.encode(2, 1)).hash == copy.nodes[2, 1]
    assert LogState.objects.get().frontier == b"".join(copy.nodes[key] for key in merkle.subtrees(0, 13))


def test_the_log_sets_kind_and_time_itself():
    with pytest.raises(ValueError, match="kind"):
        ledger.append("licence.issued", {"kind": "licence.revoked"})
    assert ledger.size() == 0


def test_an_append_whose_transaction_fails_leaves_no_trace():
    fill(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.append("licence.revoked", {"identifier": "L-0001"})
        raise RuntimeError("the change it recorded failed")
    assert ledger.size() == 3
    assert not LogLeaf.objects.filter(index=3).exists()
    assert ledger.append("licence.revoked", {"identifier": "L-0001"}).index == 3


def test_leaf_returns_an_entry_or_a_bilingual_not_found():
    fill(2)
    assert json.loads(bytes(ledger.leaf(1).data))["identifier"] == "L-0001"
    with pytest.raises(NotFound) as missing:
        ledger.leaf(2)
    assert missing.value.problems[0].code == "no_entry"
    assert missing.value.problems[0].text.zh


# --- proofs from the database


def test_roots_and_proofs_from_the_database_equal_the_in_memory_trees(django_assert_num_queries):
    fill(37)
    copy = memory_copy()
    for size in range(1, 38):
        with django_assert_num_queries(1):
            assert ledger.root(size) == copy.root(size)
        for index in range(size):
            assert ledger.inclusion_proof(index, size) == copy.inclusion_proof(index, size)
        for old in range(1, size + 1):
            assert ledger.consistency_proof(old, size) == copy.consistency_proof(old, size)
    with django_assert_num_queries(1):
        proof = ledger.inclusion_proof(21, 37)
    assert merkle.verify_inclusion(bytes(ledger.leaf(21).leaf_hash), 21, 37, proof, ledger.root(37))
    with django_assert_num_queries(1):
        proof = ledger.consistency_proof(13, 37)
    assert merkle.verify_consistency(13, 37, ledger.root(13), ledger.root(37), proof)


def test_proofs_beyond_the_log_are_refused():
    fill(5)
    with pytest.raises(NotFound) as beyond:
        ledger.inclusion_proof(5, 6)
    assert beyond.value.problems[0].code == "beyond_log"
    with pytest.raises(NotFound):
        ledger.consistency_proof(2, 6)
    with pytest.raises(NotFound):
        ledger.root(8)
    with pytest.raises(DomainError) as bad:
        ledger.inclusion_proof(5, 5)
    assert bad.value.problems[0].code == "bad_range"


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_take_the_same_index():
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with transaction.atomic():
                    ledger.append("licence.annotated", {"writer": n, "i": i})
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        # SQLite serialises writers for the whole file (and the test database lives in this thread's
        # memory), so the writers take turns; the row lock that keeps them apart is PostgreSQL's part.
        for n in range(4):
            for i in range(10):
                with transaction.atomic():
                    ledger.append("licence.annotated", {"writer": n, "i": i})
    else:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not failures
    assert ledger.size() == 40
    assert list(LogLeaf.objects.values_list("index", flat=True)) == list(range(40))
    assert ledger.root(40) == memory_copy().root(40)


# --- signed tree heads


def signed_part(head: dict[str, Any]) -> bytes:
    return canonical({name: head[name] for name in ("node", "size", "root", "timestamp")})


def test_a_signed_head_covers_the_log_verifies_and_is_reused_until_the_log_grows(federation, trust_list):
    fill(3)
    head = ledger.signed_head()
    document = head.to_dict()
    assert (document["node"], document["size"], document["root"]) == (ME, 3, ledger.root(3).hex())
    assert document["key_id"] == federation.me.key_id()
    # the signature is SM2 over the canonical JSON of node, size, root and timestamp, checked here directly
    assert federation.me.public_key().verify(signed_part(document), base64.b64decode(document["signature"]))
    ledger.verify_head(document, trust_list)
    assert ledger.signed_head().pk == head.pk
    fill(1, start=3)
    assert ledger.signed_head(3).pk == head.pk  # still covers the first three entries
    newer = ledger.signed_head()
    assert (newer.size, TreeHead.objects.count()) == (4, 2)
    ledger.verify_head(newer.to_dict(), trust_list)
    with pytest.raises(NotFound):
        ledger.signed_head(5)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda h: h.update(size=h["size"] + 1), "bad_signature"),
        (lambda h: h.update(root="00" * 32), "bad_signature"),
        (lambda h: h.update(timestamp=stamp(datetime.now(UTC) - timedelta(minutes=1))), "bad_signature"),
        (lambda h: h.update(signature=base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()), "bad_signature"),
        (lambda h: h.update(node=PEER), "unknown_key"),
        (lambda h: h.update(node="wuhan"), "unknown_node"),
        (lambda h: h.update(root=h["root"].upper()), "malformed"),
        (lambda h: h.update(size=str(h["size"])), "malformed"),
        (lambda h: h.update(timestamp=h["timestamp"].replace("+00:00", "")), "malformed"),
        (lambda h: h.pop("key_id"), "malformed"),
    ],
    ids=["size", "root", "time", "signature", "other node", "unknown node", "hex case", "size type", "naive", "no key"],
)
def test_a_tampered_head_fails(federation, trust_list, change, code):
    fill(2)
    document = ledger.signed_head().to_dict()
    change(document)
    with pytest.raises(TrustError) as refused:
        ledger.verify_head(document, trust_list)
    assert refused.value.code == code
    assert refused.value.text.zh and refused.value.text.en


def peer_head(store: MemoryStore, size: int, key: PrivateKey, node_id: str = PEER) -> dict[str, Any]:
    """A head as another node signs it (built here from the format, not by the ledger's own code)."""
    head = {"node": node_id, "size": size, "root": store.root(size).hex(), "timestamp": stamp(datetime.now(UTC))}
    return {**head, "key_id": key.key_id(), "signature": base64.b64encode(key.sign(canonical(head))).decode()}


def test_heads_of_unknown_nodes_keys_and_expired_keys_are_refused(federation):
    trusted = federation.accept(start=datetime.now(UTC) - timedelta(days=30), days=10)  # the peer's key lapsed
    store, impostor = MemoryStore([b"a", b"b"]), PrivateKey.generate()
    cases = [
        (peer_head(store, 2, impostor, "wuhan"), "unknown_node"),
        (peer_head(store, 2, impostor), "unknown_key"),
        (peer_head(store, 2, federation.peer), "key_expired"),
    ]
    for head, code in cases:
        with pytest.raises(TrustError) as refused:
            ledger.verify_head(head, trusted)
        assert refused.value.code == code


# --- exchange of heads


def head_message(head: dict[str, Any], previous: int = 0, proof: list[bytes] | None = None, key: Any = None) -> Any:
    body = {**head, "previous_size": previous, "consistency": [h.hex() for h in proof or []]}
    return seal(type="log.head", sender=PEER, receiver=ME, body=body, key=key).to_dict()


def deliver(document: dict[str, Any]) -> dict[str, Any]:
    answer = inbox.receive(document)
    assert answer.status == 200, answer.payload
    return answer.payload["receipt"]["body"]["result"]


def test_a_peers_heads_are_stored_and_each_checked_against_the_one_before(federation, trust_list):
    store = MemoryStore(f"suzhou {i}".encode() for i in range(9))
    first = peer_head(store, 3, federation.peer)
    assert deliver(head_message(first, key=federation.peer)) == {"stored": True, "fork": False, "checked": False}
    second = peer_head(store, 9, federation.peer)
    answer = deliver(head_message(second, 3, store.consistency_proof(3, 9), key=federation.peer))
    assert answer == {"stored": True, "fork": False, "checked": True}
    kept = list(ledger.peer_heads(PEER))
    assert [h.size for h in kept] == [9, 3]
    assert kept[0].to_dict() == second  # the evidence gives back exactly what was signed
    ledger.verify_head(kept[1].to_dict(), trust_list)
    assert not ledger.fork_alerts().exists()


def test_two_heads_of_one_size_with_different_roots_raise_a_fork_alert(federation, trust_list, caplog):
    shown_to_us = MemoryStore([b"a", b"b", b"c", b"d", b"e"])
    shown_elsewhere = MemoryStore([b"a", b"b", b"c", b"X", b"e"])
    deliver(head_message(peer_head(shown_to_us, 5, federation.peer), key=federation.peer))
    with caplog.at_level(logging.ERROR, logger="tongban.licenses"):
        answer = deliver(head_message(peer_head(shown_elsewhere, 5, federation.peer), key=federation.peer))
    assert answer["fork"] is True
    alert = ledger.fork_alerts().get()
    assert (alert.node, alert.size, alert.other_size) == (PEER, 5, 5)
    assert {bytes(alert.root), bytes(alert.other_root)} == {shown_to_us.root(), shown_elsewhere.root()}
    assert PeerTreeHead.objects.filter(node=PEER, size=5).count() == 2  # both signed heads kept as evidence
    assert any(r.levelname == "ERROR" and PEER in r.getMessage() for r in caplog.records)


def test_a_later_head_that_does_not_extend_the_earlier_one_raises_a_fork_alert(federation, trust_list, caplog):
    before = MemoryStore([b"a", b"b", b"c", b"d"])
    rewritten = MemoryStore([b"a", b"B", b"c", b"d", b"e", b"f"])
    deliver(head_message(peer_head(before, 4, federation.peer), key=federation.peer))
    later = peer_head(rewritten, 6, federation.peer)
    with caplog.at_level(logging.ERROR, logger="tongban.licenses"):
        answer = deliver(head_message(later, 4, rewritten.consistency_proof(4, 6), key=federation.peer))
    assert answer == {"stored": True, "fork": True, "checked": True}
    alert = ForkAlert.objects.get()
    assert (alert.size, bytes(alert.root), alert.other_size, bytes(alert.other_root)) == (
        6,
        rewritten.root(),
        4,
        before.root(),
    )
    assert "consistency" in alert.detail
    assert [r.levelname for r in caplog.records if r.name == "tongban.licenses"] == ["ERROR"]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda f, s: peer_head(s, 2, PrivateKey.generate(), "wuhan"), "not_sender"),
        (lambda f, s: peer_head(s, 2, PrivateKey.generate()), "unknown_key"),
        (lambda f, s: peer_head(s, 2, f.peer) | {"root": "11" * 32}, "bad_signature"),
        (lambda f, s: peer_head(s, 2, f.peer) | {"previous_size": 3}, "malformed"),
    ],
    ids=["another node's head", "unknown key", "bad signature", "proof from beyond the head"],
)
def test_the_handler_refuses_heads_it_cannot_trust(federation, trust_list, make, code):
    head = make(federation, MemoryStore([b"a", b"b"]))
    body = {"previous_size": 0, "consistency": [], **head}
    document = seal(type="log.head", sender=PEER, receiver=ME, body=body, key=federation.peer).to_dict()
    answer = inbox.receive(document)
    assert (answer.status, answer.payload["code"]) == (422, "rejected")
    assert RefusedMessage.objects.get().code == "rejected"
    assert not PeerTreeHead.objects.exists()
    with pytest.raises(DomainError) as refused:
        ledger.receive_head(seal(type="log.head", sender=PEER, receiver=ME, body=body, key=federation.peer))
    assert refused.value.problems[0].code == code


def test_publishing_sends_the_newest_head_with_a_proof_from_the_one_sent_before(federation, trust_list):
    assert ledger.publish_head(timedelta(0)) == 0  # an empty log has nothing to show
    fill(3)
    assert ledger.publish_head(timedelta(0)) == 1  # one message per other node on the list
    assert ledger.publish_head(timedelta(0)) == 0  # nothing new
    fill(4, start=3)
    assert ledger.publish_head() == 0  # grown, but the last head went out less than a minute ago
    assert ledger.publish_head(timedelta(0)) == 1
    sent = list(OutboxMessage.objects.order_by("created_at"))
    assert [(m.receiver, m.type, m.stream) for m in sent] == [(PEER, "log.head", f"log:{PEER}")] * 2
    first, second = (m.body for m in sent)
    for body in (first, second):
        ledger.verify_head(
            {k: body[k] for k in ("node", "size", "root", "timestamp", "key_id", "signature")}, trust_list
        )
    assert (first["size"], first["previous_size"], first["consistency"]) == (3, 0, [])
    assert (second["size"], second["previous_size"]) == (7, 3)
    proof = [bytes.fromhex(h) for h in second["consistency"]]
    assert merkle.verify_consistency(3, 7, bytes.fromhex(first["root"]), bytes.fromhex(second["root"]), proof)
    assert list(TreeHead.objects.filter(published_at__isnull=False).values_list("size", flat=True)) == [7, 3]


def test_the_heads_one_node_publishes_are_accepted_by_the_other(federation, trust_list, settings, monkeypatch):
    fill(5)
    ledger.publish_head(timedelta(0))
    fill(6, start=5)
    ledger.publish_head(timedelta(0))
    bodies = [m.body for m in OutboxMessage.objects.order_by("created_at")]
    # now be 苏州: its own key and node id, the same trust list; the bodies arrive as 信阳 sealed them
    (federation.folder / "peer-key.pem").write_text(federation.peer.to_pem())
    monkeypatch.setenv("TONGBAN_FEDERATION_KEY", str(federation.folder / "peer-key.pem"))
    settings.TONGBAN_NODE_ID = PEER
    node.forget()
    results = [
        inbox.receive(seal(type="log.head", sender=ME, receiver=PEER, body=body, key=federation.me).to_dict())
        for body in bodies
    ]
    assert [r.payload["receipt"]["body"]["result"] for r in results] == [
        {"stored": True, "fork": False, "checked": False},
        {"stored": True, "fork": False, "checked": True},
    ]
    assert [h.size for h in ledger.peer_heads(ME)] == [11, 5]
