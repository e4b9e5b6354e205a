"""Asking another node (查询): a signed message sent at once, whose answer is the handler's result in the
signed receipt.

Commands that change something at another node go through the outbox, so they survive a crash and are
delivered in order. A question changes nothing there but the receiver's record that it was asked (the
inbox keeps every message), so it is sent while the person waits and an unreachable node is simply a
node that did not answer. The answer is as trustworthy as a receipt: signed by the node that gave it.
"""

from __future__ import annotations

import http.client
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tongban.federation import node
from tongban.federation.canonical import loads
from tongban.federation.delivery import INBOX_PATH, Post, http_post
from tongban.federation.envelope import RECEIPT, body_digest, open_envelope, seal, uuid7
from tongban.federation.trust import TrustError

log = logging.getLogger("tongban.federation")


@dataclass(frozen=True)
class Answer:
    node: str
    ok: bool
    result: dict[str, Any]
    error: str = ""


def ask(receiver: str, message_type: str, body: dict[str, Any], *, post: Post = http_post) -> Answer:
    """Send one question and wait for the signed answer; never raises for the other node's failures."""
    return ask_many([receiver], message_type, body, post=post)[0]


def ask_all(message_type: str, body: dict[str, Any], *, post: Post = http_post) -> list[Answer]:
    """The same question to every other node on the trust list, at once."""
    try:
        others = sorted(n for n in node.trust_list().nodes if n != node.node_id())
    except TrustError:
        return []
    return ask_many(others, message_type, body, post=post)


def ask_many(receivers: list[str], message_type: str, body: dict[str, Any], *, post: Post = http_post) -> list[Answer]:
    """Ask several nodes in parallel; the database is read and the answers checked in this thread only."""
    try:
        trust = node.trust_list()
        key = node.signing_key()
    except Exception as exc:  # no trust list or key: this node cannot ask anyone
        return [Answer(r, False, {}, f"{type(exc).__name__}: {exc}") for r in receivers]
    me = node.node_id()
    sent: dict[str, Any] = {}
    answers: dict[str, Answer] = {}
    for receiver in receivers:
        entry = trust.node(receiver)
        if entry is None or not entry.base_url:
            answers[receiver] = Answer(receiver, False, {}, f"node {receiver!r} is not on the trust list")
            continue
        envelope = seal(type=message_type, sender=me, receiver=receiver, body=body, key=key, message_id=uuid7())
        data = json.dumps(envelope.to_dict(), ensure_ascii=False).encode()
        sent[receiver] = (envelope, entry.base_url + INBOX_PATH, data)

    def send(receiver: str) -> tuple[str, int, bytes, str]:
        _envelope, url, data = sent[receiver]
        try:
            status, raw = post(url, data)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return receiver, 0, b"", f"{type(exc).__name__}: {exc}"
        return receiver, status, raw, ""

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(sent)))) as pool:
        for receiver, status, raw, error in pool.map(send, list(sent)):
            answers[receiver] = _answer(receiver, sent[receiver][0], body, status, raw, error, trust, me)
    return [answers[r] for r in receivers]


def _answer(
    receiver: str, envelope: Any, body: dict[str, Any], status: int, raw: bytes, error: str, trust: Any, me: str
) -> Answer:
    if error:
        return Answer(receiver, False, {}, error)
    if status != 200:
        return Answer(receiver, False, {}, f"HTTP {status}: {raw[:300].decode('utf-8', 'replace')}")
    try:
        signed = open_envelope(loads(raw)["receipt"], trust=trust, me=me, skew=node.skew())
    except (ValueError, KeyError, TypeError) as exc:
        return Answer(receiver, False, {}, f"unreadable answer: {exc}")
    except TrustError as exc:
        return Answer(receiver, False, {}, f"answer refused: {exc.code}")
    answer = signed.body
    if (
        signed.type != RECEIPT
        or signed.sender != receiver
        or answer.get("message_id") != envelope.id
        or answer.get("body_sm3") != body_digest(body)
    ):
        return Answer(receiver, False, {}, "the answer is not for this question")
    log.info("%s answered %s", receiver, envelope.type)
    return Answer(receiver, True, dict(answer.get("result") or {}))
