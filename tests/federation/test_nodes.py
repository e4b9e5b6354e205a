"""A bad day between real nodes (SCENARIOS §9): each node its own processes, folder, SQLite file and port
on 127.0.0.1, talking over the real network; servers killed and restarted, the sender's worker killed.

信阳 (xinyang, 411500) receives, 苏州 (suzhou, 320500) sends; 黄冈 (huanggang, 421100) is prepared but joins
the federation only in the test that needs it. Every test checks the same three things: nothing lost,
nothing applied twice, and every refusal logged at the receiver with its reason.

Delivery runs as `manage.py federation deliver` rounds in the sender's environment (one round sends the
oldest undelivered message of each stream), so the tests decide when messages move; one test lets
`manage.py worker` do it by itself. Results are read from each node's SQLite file, read-only, or from
`manage.py federation log`. Messages are forged and replayed from this process with the envelope API and
the keys in the nodes' folders. See tests/federation/nodes.py for how the nodes are made and run.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.federation import nodes
from tests.federation.nodes import (
    DELIVER,
    HUANGGANG,
    SUZHOU,
    XINYANG,
    Federation,
    Node,
    enqueue_step,
    ids_in,
    post,
    rounds_in,
)
from tongban.federation import trust
from tongban.federation.canonical import canonical
from tongban.federation.envelope import Envelope, body_digest, open_envelope, seal
from tongban.federation.sm2 import PrivateKey, PublicKey

# Real node processes on SQLite whatever the suite's database: the PostgreSQL pass would repeat them.
pytestmark = pytest.mark.nodes


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("federation")
    federation = nodes.build(folder, (XINYANG, SUZHOU, HUANGGANG), members=("xinyang", "suzhou"))
    # 黄冈 serves already (booting on the core the first tests leave idle) but is not on the list yet
    federation["huanggang"].start(wait=False)
    yield federation
    federation.stop()


@pytest.fixture(autouse=True)
def _serving(fed: Federation):  # type: ignore[no-untyped-def]
    """A test that failed with a server killed leaves it down; bring it back for the next one."""
    yield
    for node_id in ("xinyang", "suzhou"):
        if fed[node_id].server is None:
            fed[node_id].start()


# --- helpers


def key_of(node: Node) -> PrivateKey:
    return PrivateKey.from_pem(node.key_path.read_bytes())


def public_of(node: Node) -> PublicKey:
    return PublicKey.from_pem(node.public_key_path.read_bytes())


def trust_list(fed: Federation) -> trust.TrustList:
    """The signed list as published now, checked against the operator's key (the nodes' anchor)."""
    return trust.load(fed.signed.read_bytes(), PublicKey.from_pem(fed.anchor.read_bytes()))


def sealed(fed: Federation, body: dict[str, Any], **given: Any) -> dict[str, Any]:
    """An envelope from suzhou to xinyang, signed with suzhou's key, unless told otherwise."""
    given.setdefault("key", key_of(fed["suzhou"]))
    given.setdefault("sender", "suzhou")
    given.setdefault("receiver", "xinyang")
    return seal(type="node.ping", body=body, **given).to_dict()


def enqueue(node: Node, *messages: tuple[str, str, str]) -> list[str]:
    """Queue (receiver, stream, note) pings at ``node`` in one transaction; their ids, in order."""
    return ids_in(node.run(enqueue_step(*messages)))


def queued_ping(node: Node, receiver: str, note: str) -> str:
    """`manage.py federation ping RECEIVER --note NOTE`: the id of the queued message."""
    [message_id] = ids_in(node.federation("ping", receiver, "--note", note))
    return message_id


def check_receipt(fed: Federation, receipt: dict[str, Any], message: dict[str, Any], receiver: str) -> Envelope:
    """The receipt is signed by the receiver's own key (as listed) and names this message and body."""
    opened = open_envelope(receipt, trust=trust_list(fed), me="suzhou", skew=timedelta(days=1))
    assert (opened.type, opened.sender, opened.receiver) == ("receipt", receiver, "suzhou")
    assert opened.header["key_id"] == public_of(fed[receiver]).fingerprint()
    assert opened.body["message_id"] == message["id"]
    assert opened.body["body_sm3"] == body_digest(message["body"])
    assert opened.body["outcome"] == "applied"
    return opened


def wait_for(condition, timeout: float = 60, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


# --- the good day


def test_a_ping_is_delivered_once_and_the_receipt_proves_it(fed: Federation) -> None:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    message_id = queued_ping(suzhou, "xinyang", "你好，信阳")

    assert suzhou.deliver() == [{"delivered": 1, "retry": 0, "dead": 0}]

    [message] = suzhou.outbox(message_id)
    assert (message["state"], message["attempts"], message["last_error"]) == ("delivered", 1, "")
    opened = check_receipt(fed, message["receipt"], message, "xinyang")
    assert opened.body["result"] == {"pong": True, "note": "你好，信阳"}
    forged = {**message["receipt"], "body": {**message["receipt"]["body"], "outcome": "rejected"}}
    with pytest.raises(trust.TrustError) as refused:  # the receipt is proof: it cannot be edited
        open_envelope(forged, trust=trust_list(fed), me="suzhou", skew=timedelta(days=1))
    assert refused.value.code == "digest_mismatch"
    [received] = xinyang.inbox(message_id)
    assert (received["sender"], received["outcome"], received["receipt"]) == ("suzhou", "applied", message["receipt"])
    assert received["envelope"]["body"] == {"note": "你好，信阳"}


# --- the same message twice


def test_the_same_envelope_posted_twice_is_applied_once(fed: Federation) -> None:
    xinyang = fed["xinyang"]
    envelope = sealed(fed, {"note": "twice"})

    first = post(xinyang.inbox_url, envelope)
    second = post(xinyang.inbox_url, envelope)

    assert first[0] == 200 and first[2]["duplicate"] is False
    assert "Idempotent-Replayed" not in first[1]
    assert second[0] == 200 and second[2] == {"receipt": first[2]["receipt"], "duplicate": True}
    assert second[1]["Idempotent-Replayed"] == "true"
    assert len(xinyang.inbox(envelope["header"]["id"])) == 1
    assert xinyang.refused(envelope["header"]["id"]) == []
    check_receipt(fed, second[2]["receipt"], {"id": envelope["header"]["id"], "body": envelope["body"]}, "xinyang")


def test_a_replayed_message_id_is_answered_with_the_stored_receipt_or_refused_when_old(fed: Federation) -> None:
    xinyang = fed["xinyang"]
    original = sealed(fed, {"note": "original"})
    status, _, answer = post(xinyang.inbox_url, original)
    assert status == 200
    message_id = original["header"]["id"]

    # someone (or the sender retrying) seals the received id again, now, even with another body:
    # the stored receipt of the first message comes back, and nothing is applied
    again = sealed(fed, {"note": "swapped"}, message_id=message_id)
    status, headers, replayed = post(xinyang.inbox_url, again)
    assert (status, headers["Idempotent-Replayed"]) == (200, "true")
    assert replayed["receipt"] == answer["receipt"]
    assert replayed["receipt"]["body"]["body_sm3"] == body_digest({"note": "original"})

    # the received id sealed ten minutes ago: refused as out of time, before anything else
    old = sealed(fed, {"note": "original"}, message_id=message_id, now=datetime.now(UTC) - timedelta(minutes=10))
    status, _, refusal = post(xinyang.inbox_url, old)
    assert (status, refusal["code"]) == (400, "clock_skew")

    [received] = xinyang.inbox(message_id)
    assert received["envelope"]["body"] == {"note": "original"}
    assert [code for code, *_ in xinyang.refused(message_id)] == ["clock_skew"]


# --- forged, tampered, out of time: refused and logged


def _tampered(fed: Federation) -> dict[str, Any]:
    envelope = sealed(fed, {"note": "pay 100"})
    envelope["body"]["note"] = "pay 100000"
    return envelope


def _fresh_key_claiming_suzhou(fed: Federation) -> dict[str, Any]:
    return sealed(fed, {"note": "I am suzhou"}, key=PrivateKey.generate())


def _fresh_key_posing_as_suzhous_key(fed: Federation) -> dict[str, Any]:
    forger = PrivateKey.generate()
    envelope = sealed(fed, {"note": "I am suzhou, really"}, key=forger)
    envelope["header"]["key_id"] = public_of(fed["suzhou"]).fingerprint()
    envelope["signature"] = base64.b64encode(forger.sign(canonical(envelope["header"]))).decode()
    return envelope


def _unknown_node(fed: Federation) -> dict[str, Any]:
    return sealed(fed, {"note": "hello"}, sender="wuhan", key=PrivateKey.generate())


def _sealed_ten_minutes_ago(fed: Federation) -> dict[str, Any]:
    return sealed(fed, {"note": "old"}, now=datetime.now(UTC) - timedelta(minutes=10))


def _dated_ten_minutes_ahead(fed: Federation) -> dict[str, Any]:
    return sealed(fed, {"note": "early"}, now=datetime.now(UTC) + timedelta(minutes=10))


def _for_another_node(fed: Federation) -> dict[str, Any]:
    return sealed(fed, {"note": "misrouted"}, receiver="huanggang")


def _incomplete_header(fed: Federation) -> dict[str, Any]:
    envelope = sealed(fed, {"note": "no key id"})
    del envelope["header"]["key_id"]
    return envelope


@pytest.mark.parametrize(
    ("make", "status", "code", "claimed"),
    [
        pytest.param(_tampered, 403, "digest_mismatch", "suzhou", id="tampered-body"),
        pytest.param(_fresh_key_claiming_suzhou, 403, "unknown_key", "suzhou", id="wrong-key"),
        pytest.param(_fresh_key_posing_as_suzhous_key, 403, "bad_signature", "suzhou", id="forged-signature"),
        pytest.param(_unknown_node, 403, "unknown_node", "wuhan", id="unknown-node"),
        pytest.param(_sealed_ten_minutes_ago, 400, "clock_skew", "suzhou", id="replay-of-an-old-message"),
        pytest.param(_dated_ten_minutes_ahead, 400, "clock_skew", "suzhou", id="clock-ahead"),
        pytest.param(_for_another_node, 400, "not_for_me", "suzhou", id="for-another-node"),
        pytest.param(_incomplete_header, 400, "malformed", "suzhou", id="malformed"),
    ],
)
def test_a_bad_message_is_refused_with_its_reason_and_logged(fed, make, status, code, claimed) -> None:  # type: ignore[no-untyped-def]
    xinyang = fed["xinyang"]
    envelope = make(fed)
    message_id = envelope["header"]["id"]

    answer = post(xinyang.inbox_url, envelope)

    assert (answer[0], answer[2]["code"]) == (status, code)
    assert answer[2]["message"] and answer[2]["message_en"]  # the reason, in Chinese and English
    assert xinyang.refused(message_id) == [(code, claimed, f"{answer[2]['message']} / {answer[2]['message_en']}"[:500])]
    assert xinyang.inbox(message_id) == []


def test_the_operator_sees_refusals_and_why_in_the_log(fed: Federation) -> None:
    xinyang = fed["xinyang"]
    envelope = _fresh_key_posing_as_suzhous_key(fed)
    assert post(xinyang.inbox_url, envelope)[0] == 403

    log = xinyang.federation("log", "--refused")

    [line] = [line for line in log.splitlines() if envelope["header"]["id"] in line]
    assert " bad_signature suzhou " in line and "the message's signature does not verify" in line


# --- the receiver is down


def test_a_receiver_down_gets_every_message_once_in_order_when_back(fed: Federation) -> None:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    xinyang.kill()

    # three pings queued in one transaction, and a round while 信阳 is down: the head of the stream is
    # tried and fails, with a backoff; the two behind it wait (one process for both steps)
    out = suzhou.run(enqueue_step(*(("xinyang", "case:down", note) for note in ("一", "二", "三"))), DELIVER)
    ids = ids_in(out)
    assert rounds_in(out) == [{"delivered": 0, "retry": 1, "dead": 0}]
    head, *behind = suzhou.outbox(*ids)
    assert (head["state"], head["attempts"]) == ("pending", 1)
    assert "Connection refused" in head["last_error"]
    assert head["next_attempt_at"] > head["created_at"]
    assert [(m["state"], m["attempts"]) for m in behind] == [("pending", 0), ("pending", 0)]
    assert xinyang.inbox(*ids) == []

    # 信阳 is back. `make_due` sets the head's next attempt to now instead of sleeping through its
    # backoff (a random 1-2 s after one try, 2-4 s after two…, an hour at most): the test decides when
    # the wait has passed, and the round then does what the worker's next round would.
    xinyang.start()
    rounds = suzhou.deliver(4, make_due=True)

    # every message delivered (today one a round: each round sends the head of each stream), then nothing
    assert sum(r["delivered"] for r in rounds) == 3 and rounds[-1]["delivered"] == 0
    assert sum(r["retry"] + r["dead"] for r in rounds) == 0
    delivered = suzhou.outbox(*ids)
    assert [(m["id"], m["state"]) for m in delivered] == [(i, "delivered") for i in ids]
    assert [m["attempts"] for m in delivered] == [2, 1, 1]
    assert sorted(m["delivered_at"] for m in delivered) == [m["delivered_at"] for m in delivered]
    received = xinyang.inbox(*ids)
    assert [m["id"] for m in received] == ids  # once each, in the order they were queued
    assert [m["envelope"]["body"]["note"] for m in received] == ["一", "二", "三"]
    for message, got in zip(delivered, received, strict=True):
        assert message["receipt"] == got["receipt"]
        check_receipt(fed, message["receipt"], message, "xinyang")


# --- the sender is killed


def test_a_sender_killed_before_delivering_loses_nothing_and_its_worker_delivers_later(fed: Federation) -> None:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    message_id = queued_ping(suzhou, "xinyang", "worker")  # committed in the outbox

    worker = suzhou.start_worker()
    suzhou.stop_worker(worker)  # SIGKILL before it could do anything
    [message] = suzhou.outbox(message_id)
    assert (message["state"], message["attempts"]) == ("pending", 0)
    assert xinyang.inbox(message_id) == []

    worker = suzhou.start_worker()  # delivers every second by itself
    try:
        wait_for(lambda: suzhou.outbox(message_id)[0]["state"] == "delivered", what="the worker delivering")
    finally:
        suzhou.stop_worker(worker)

    [message] = suzhou.outbox(message_id)
    assert message["attempts"] == 1
    check_receipt(fed, message["receipt"], message, "xinyang")
    assert len(xinyang.inbox(message_id)) == 1


def test_a_sender_killed_after_posting_before_keeping_the_receipt_is_applied_once(fed: Federation) -> None:
    """The worker posted the message, 信阳 applied it, and the worker died before storing the answer:
    the message is still pending at 苏州, is sent again, and 信阳 answers its stored receipt."""
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    message_id = queued_ping(suzhou, "xinyang", "lost answer")
    [message] = suzhou.outbox(message_id)
    # what the dying worker had sent: the message sealed with its id, posted; the answer never read
    status, _, first = post(xinyang.inbox_url, sealed(fed, message["body"], message_id=message_id))
    assert (status, first["duplicate"]) == (200, False)
    assert suzhou.outbox(message_id)[0]["state"] == "pending"

    assert suzhou.deliver() == [{"delivered": 1, "retry": 0, "dead": 0}]

    [message] = suzhou.outbox(message_id)
    assert message["state"] == "delivered"
    assert message["receipt"] == first["receipt"]  # the receipt of the first, and only, application
    assert len(xinyang.inbox(message_id)) == 1


# --- a stream held behind a dead letter


def test_a_dead_letter_holds_its_stream_until_the_operator_retries_it(fed: Federation) -> None:
    suzhou, xinyang, huanggang = fed["suzhou"], fed["xinyang"], fed["huanggang"]

    # one try each before the dead letters (TONGBAN_FEDERATION_MAX_ATTEMPTS=1): the first message of
    # case:held dies at once, its receiver not being on the list; the second waits behind it, round
    # after round; another stream goes on. Then the operator's view of the dead letters.
    out = suzhou.run(
        enqueue_step(
            ("huanggang", "case:held", "1 to a node not yet in the federation"),
            ("xinyang", "case:held", "2 behind it"),
            ("xinyang", "case:free", "another stream"),
        ),
        DELIVER,
        DELIVER,
        ("federation", "log", "--dead"),
        TONGBAN_FEDERATION_MAX_ATTEMPTS="1",
    )
    first, second, other = ids_in(out)
    assert rounds_in(out) == [{"delivered": 1, "retry": 0, "dead": 1}, {"delivered": 0, "retry": 0, "dead": 0}]
    assert f"{first} node.ping → huanggang dead tries 1 node 'huanggang' is not on the trust list" in out
    held = {m["id"]: m for m in suzhou.outbox(first, second, other)}
    assert (held[first]["state"], held[first]["attempts"]) == ("dead", 1)
    assert (held[second]["state"], held[second]["attempts"]) == ("pending", 0)
    assert held[other]["state"] == "delivered"
    assert [m["id"] for m in xinyang.inbox(second, other)] == [other]

    # 黄冈 joins: the operator lists it and signs; 黄冈 fetches the list (its server runs since the start)
    fed.operator(fed.add_node(huanggang), *fed.sign_steps())
    huanggang.federation("refresh")
    assert huanggang.wait_healthy()["node"] == "huanggang"
    # At 苏州: fetch the list, the operator's retry, delivery rounds. `tongban federation` has no retry
    # verb: services.retry is called as the admin and POST /api/v1/federation/outbox/{id}/retry/ do.
    out = suzhou.run(
        ("federation", "refresh"),
        "from tongban.federation import services\nfrom tongban.identity.actor import SYSTEM\n"
        f"services.retry(SYSTEM, {first!r})",
        DELIVER,
        DELIVER,
        DELIVER,
    )
    assert f"trust list v{fed.version()} in force; 3 nodes" in out
    rounds = rounds_in(out)  # the retried first, then the one behind it (today: one a round)
    assert sum(r["delivered"] for r in rounds) == 2 and rounds[-1]["delivered"] == 0

    done = {m["id"]: m for m in suzhou.outbox(first, second)}
    assert [done[i]["state"] for i in (first, second)] == ["delivered", "delivered"]
    assert done[first]["delivered_at"] < done[second]["delivered_at"]  # the stream kept its order
    check_receipt(fed, done[first]["receipt"], done[first], "huanggang")
    check_receipt(fed, done[second]["receipt"], done[second], "xinyang")
    assert [m["id"] for m in huanggang.inbox()] == [first]
    assert len(xinyang.inbox(second)) == 1


# --- an expired key (this rotates suzhou's key for good: what runs after signs with the new one)


def test_a_message_signed_with_an_expired_key_is_refused_after_the_rotation(fed: Federation) -> None:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    old_key = key_of(suzhou)
    # 苏州 makes a new key; the operator lists it and ends the old one now (no overlap); 信阳 fetches it
    suzhou.federation("keygen", "--force")
    rotate = ["federation", "trust-rotate", str(fed.body), "--node", "suzhou", "--key", str(suzhou.public_key_path)]
    fed.operator([*rotate, "--overlap-days", "0"], *fed.sign_steps())
    assert f"trust list v{fed.version()} in force" in xinyang.federation("refresh")

    stale = sealed(fed, {"note": "old key"}, key=old_key)
    status, _, answer = post(xinyang.inbox_url, stale)

    assert (status, answer["code"]) == (403, "key_expired")
    [(code, sender, reason)] = xinyang.refused(stale["header"]["id"])
    assert (code, sender) == ("key_expired", "suzhou") and "the key is valid from" in reason
    assert xinyang.inbox(stale["header"]["id"]) == []
    fresh = sealed(fed, {"note": "new key"})  # the new key works
    assert post(xinyang.inbox_url, fresh)[0] == 200
    assert len(xinyang.inbox(fresh["header"]["id"])) == 1


# --- a receipt stored long ago still proves delivery


def test_a_stored_receipt_older_than_the_skew_limit_still_proves_delivery(fed: Federation) -> None:
    """As the lost answer above, but the sender retries only once the stored receipt is older than the
    skew limit: 信阳 applied the message, crashed before answering and stayed down for an hour
    (SCENARIOS §9). Shrunk to seconds: 苏州 allows 1 s of skew; the receipt's age must not count."""
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    [message_id] = enqueue(suzhou, ("xinyang", "case:stale-receipt", "stale"))
    [message] = suzhou.outbox(message_id)
    assert post(xinyang.inbox_url, sealed(fed, message["body"], message_id=message_id))[0] == 200
    time.sleep(1)  # the stored receipt is now older than the 1 s suzhou allows

    suzhou.deliver(TONGBAN_FEDERATION_SKEW_SECONDS="1")

    [message] = suzhou.outbox(message_id)
    assert len(xinyang.inbox(message_id)) == 1
    assert (message["state"], message["last_error"]) == ("delivered", "")
