"""The message log pages (报文日志): a node operator reads what this node sent, received and refused,
searches it, sees the dead letters counted at the top and delivers one again; nobody else gets in.

Plain pages and forms through the Django test client, the peer played in-process. Labels are checked on
the English pages: the Chinese ones come from the translation catalogue.
"""

from __future__ import annotations

import json
import re
from html import escape, unescape

import pytest
from django.test import Client

from tests.federation.conftest import ME, PEER
from tests.federation.test_delivery import Peer
from tests.identity import make
from tongban.federation import delivery, inbox, services
from tongban.federation.envelope import seal
from tongban.federation.models import InboxMessage, OutboxMessage, OutboxState, RefusedMessage
from tongban.identity.models import PersonalDataAccess

pytestmark = pytest.mark.django_db
LOG = "/federation/log/"


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def english(client: Client) -> None:
    """Switch the language as a visitor does, with the switcher in the page header."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOG})
    assert (response.status_code, response["Location"]) == (302, LOG)


def text_of(html: str, ident: str) -> str:
    found = re.search(rf'id="{ident}"[^>]*>(.*?)</(?:div|dd|p|section)>', html, re.S)
    assert found, ident
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()))


def rows(html: str, box: str) -> list[str]:
    """The message ids of the rows shown, top to bottom."""
    return re.findall(rf'<tr id="{box}-([^"]+)"', html)


@pytest.fixture
def operator(client: Client) -> Client:
    client.force_login(make.staff("node_operator", "411500"))
    return client


@pytest.fixture
def peer(federation):  # type: ignore[no-untyped-def]
    return Peer(federation, federation.accept())


def send(peer: Peer, note: str, *, stream: str = "", type: str = "node.ping") -> OutboxMessage:
    """Queue a message and run one delivery round against the peer: delivered, or dead when refused."""
    message = services.enqueue(receiver=PEER, type=type, body={"note": note}, stream=stream)
    delivery.deliver_due(post=peer)
    message.refresh_from_db()
    return message


def dead_letter(peer: Peer, note: str, stream: str = "") -> OutboxMessage:
    """A message the peer refused (422: no retry would change that), so dead at once; in a stream of its
    own unless told, as a dead letter holds the messages behind it in its stream."""
    peer.reject = note
    try:
        message = send(peer, note, stream=stream or f"test:{note}")
    finally:
        peer.reject = ""
    assert message.state == OutboxState.DEAD
    return message


def receive(federation, note: str) -> InboxMessage:  # type: ignore[no-untyped-def]
    document = seal(type="node.ping", sender=PEER, receiver=ME, body={"note": note}, key=federation.peer)
    assert inbox.receive(document.to_dict()).status == 200
    return InboxMessage.objects.get(pk=document.id)


# --- reading the log ---------------------------------------------------------------------------------


def test_the_operator_sees_what_was_sent_received_and_refused_newest_first(operator, federation, peer):
    first, second = send(peer, "一"), send(peer, "二")
    got = receive(federation, "你好")
    forged = seal(type="node.ping", sender=PEER, receiver=ME, body={}, key=federation.me).to_dict()
    inbox.receive(forged, "10.0.0.9")  # signed with a key the peer does not hold: refused, and why is kept
    english(operator)

    sent = page(operator, LOG)
    assert rows(sent, "sent") == [second.pk, first.pk]
    assert 'aria-current="page">Sent messages' in sent
    assert "Delivered, receipt kept" in sent and ">node.ping<" in sent and f">{PEER}<" in sent
    assert "你好" not in sent  # no body in a list

    received = page(operator, f"{LOG}?box=received")
    assert rows(received, "received") == [got.pk]
    assert "Applied, receipt answered" in received

    refused = page(operator, f"{LOG}?box=refused")
    refusal = RefusedMessage.objects.get()
    assert rows(refused, "refused") == [str(refusal.pk)]
    assert ">unknown_key<" in refused and escape(refusal.reason) in refused and "10.0.0.9" in refused
    assert forged["header"]["id"] in refused
    assert rows(page(operator, f"{LOG}?box=refused&code=unknown_key&node={PEER}"), "refused") == [str(refusal.pk)]
    assert rows(page(operator, f"{LOG}?box=refused&id={forged['header']['id'][:13]}"), "refused") == [str(refusal.pk)]
    assert rows(page(operator, f"{LOG}?box=refused&code=bad_signature"), "refused") == []


def test_the_operator_searches_by_stream_id_type_and_node(operator, federation, peer):
    case_a = [send(peer, "a1", stream="case:A-1"), send(peer, "a2", stream="case:A-1")]
    case_b = send(peer, "b", stream="case:B-2")
    ping = send(peer, "ping")

    assert rows(page(operator, f"{LOG}?stream=case:A-1"), "sent") == [case_a[1].pk, case_a[0].pk]
    assert rows(page(operator, f"{LOG}?id={case_b.pk}"), "sent") == [case_b.pk]
    assert rows(page(operator, f"{LOG}?id={case_b.pk[:18].upper()}"), "sent") == [case_b.pk]  # the start, any case
    newest_first = [ping.pk, case_b.pk, case_a[1].pk, case_a[0].pk]
    assert rows(page(operator, f"{LOG}?type=node.&node={PEER}"), "sent") == newest_first
    empty = page(operator, f"{LOG}?node=wuhan")
    assert rows(empty, "sent") == [] and 'id="log-empty"' in empty

    # A received message has no stream of its own: the stream case:NUMBER finds the case's messages by the
    # number their body names.
    received = receive(federation, "x")
    InboxMessage.objects.create(
        id="0190aaaa-0000-7000-8000-000000000001",
        sender=PEER,
        type="case.status",
        envelope={"header": {}, "body": {"number": "A-1", "status": "accepted"}, "signature": ""},
        outcome="applied",
        receipt={},
    )
    assert rows(page(operator, f"{LOG}?box=received&stream=case:A-1"), "received") == [
        "0190aaaa-0000-7000-8000-000000000001"
    ]
    assert rows(page(operator, f"{LOG}?box=received&node={PEER}&type=node.ping"), "received") == [received.pk]


def test_the_log_is_paginated(operator, peer, monkeypatch):
    from tongban.federation import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    sent = [send(peer, str(n), stream="case:P") for n in range(3)]
    first = page(operator, f"{LOG}?stream=case:P")
    assert rows(first, "sent") == [sent[2].pk, sent[1].pk]
    assert "?box=sent&amp;stream=case%3AP&amp;page=2" in first
    assert rows(page(operator, f"{LOG}?box=sent&stream=case%3AP&page=2"), "sent") == [sent[0].pk]


def test_an_unknown_state_is_said_plainly(operator):
    english(operator)
    html = page(operator, f"{LOG}?state=lost", 400)
    assert "The state is pending, delivered or dead." in html


# --- dead letters ------------------------------------------------------------------------------------


def test_dead_letters_are_counted_at_the_top_of_every_box(operator, peer):
    assert 'id="dead-letters"' not in page(operator, LOG)
    dead_letter(peer, "一")
    dead_letter(peer, "二")
    send(peer, "三")
    english(operator)
    for box in ("sent", "received", "refused"):
        html = page(operator, f"{LOG}?box={box}")
        assert "2 messages could not be delivered and need attention." in text_of(html, "dead-letters")
    dead = page(operator, f"{LOG}?state=dead")
    assert len(rows(dead, "sent")) == 2 and dead.count('data-action="retry"') == 2


def test_the_retry_button_sends_a_dead_letter_again_and_a_second_press_changes_nothing(operator, peer):
    message = dead_letter(peer, "一", stream="case:R-1")
    behind = services.enqueue(receiver=PEER, type="node.ping", body={}, stream="case:R-1")  # held behind it
    english(operator)
    listed = page(operator, f"{LOG}?state=dead")
    action = f"/federation/log/sent/{message.pk}/retry/"
    form = re.search(rf'<form method="post" action="{action}".*?</form>', listed, re.S)
    assert form and "csrfmiddlewaretoken" in form.group(0)
    assert 'name="next" value="/federation/log/?box=sent&amp;state=dead"' in form.group(0)

    response = operator.post(action, {"next": "/federation/log/?box=sent&state=dead"})
    assert (response.status_code, response["Location"]) == (302, "/federation/log/?box=sent&state=dead")
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 0)
    after = page(operator, response["Location"])
    assert f"Message {message.pk} will be delivered again." in text_of(after, "flash")
    assert rows(after, "sent") == [] and 'id="dead-letters"' not in after

    before = OutboxMessage.objects.values().get(pk=message.pk)
    again = operator.post(action, {"next": "/federation/log/"})
    assert again.status_code == 409
    html = again.content.decode()
    assert "only a dead letter can be retried" in text_of(html, "error-summary")
    assert rows(html, "sent") == [message.pk]  # the log narrowed to it, as it is now
    assert OutboxMessage.objects.values().get(pk=message.pk) == before

    assert delivery.deliver_due(post=peer)["delivered"] == 2  # the retried letter, then its stream
    behind.refresh_from_db()
    assert behind.state == OutboxState.DELIVERED


def test_retrying_a_message_that_does_not_exist_says_so(operator):
    response = operator.post("/federation/log/sent/0190ffff-0000-7000-8000-000000000000/retry/")
    assert response.status_code == 404
    assert "报文不存在" in text_of(response.content.decode(), "error-summary")  # the command's own words


# --- one message -------------------------------------------------------------------------------------


def test_a_sent_message_shows_its_receipt_and_its_body_only_on_request_recording_the_look_up(operator, peer):
    message = send(peer, "张三 13812345678")
    english(operator)
    url = f"/federation/log/sent/{message.pk}/"
    html = page(operator, url)
    assert message.pk in html and "Delivered, receipt kept" in html
    assert json.dumps(message.receipt["signature"]) in text_of(html, "receipt-json")
    assert "13812345678" not in html and 'href="?show=body#body"' in html
    assert not PersonalDataAccess.objects.exists()

    shown = page(operator, f"{url}?show=body")
    assert "张三 13812345678" in text_of(shown, "body-json")
    access = PersonalDataAccess.objects.get()
    assert (access.record_type, access.record_id) == ("federation.outboxmessage", message.pk)
    assert access.fields == ["body", "receipt.result"]


def test_a_dead_letter_page_offers_the_retry(operator, peer):
    message = dead_letter(peer, "一")
    english(operator)
    html = page(operator, f"/federation/log/sent/{message.pk}/")
    assert "This message could not be delivered and needs attention." in html
    assert f'action="/federation/log/sent/{message.pk}/retry/"' in html
    assert 'id="no-receipt"' in html


def test_a_received_message_shows_the_signed_header_and_the_receipt_answered(operator, federation, peer):
    message = receive(federation, "你好")
    html = page(operator, f"/federation/log/received/{message.pk}/")
    assert f'"sender": "{PEER}"' in text_of(html, "header-json")
    assert message.receipt["signature"] in html  # the proof, whole
    assert "你好" not in html and 'id="result-hidden"' in html  # the ping's answer repeats its note
    shown = page(operator, f"/federation/log/received/{message.pk}/?show=body")
    assert "你好" in text_of(shown, "body-json") and "你好" in text_of(shown, "receipt-json")
    assert PersonalDataAccess.objects.get().record_type == "federation.inboxmessage"


def test_a_message_not_in_the_log_is_a_404(operator):
    page(operator, "/federation/log/sent/nothing/", 404)
    page(operator, "/federation/log/received/nothing/", 404)


# --- who may -----------------------------------------------------------------------------------------


def test_a_window_clerk_gets_no_page_and_cannot_retry(client, federation, peer):
    message = dead_letter(peer, "一")
    received = receive(federation, "你好")
    client.force_login(make.staff("window_clerk", "411500"))
    pages = [
        LOG,
        f"{LOG}?state=dead",
        f"/federation/log/sent/{message.pk}/",
        f"/federation/log/received/{received.pk}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "你好" not in response.content.decode()
    assert client.post(f"/federation/log/sent/{message.pk}/retry/").status_code == 403
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.DEAD, 1)


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(LOG)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/federation/log/sent/x/retry/").status_code == 302


def test_the_retry_form_needs_its_csrf_token(peer):
    message = dead_letter(peer, "一")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make.staff("node_operator", "411500"))
    assert browser.post(f"/federation/log/sent/{message.pk}/retry/").status_code == 403
    message.refresh_from_db()
    assert message.state == OutboxState.DEAD


# --- language ----------------------------------------------------------------------------------------


def test_the_pages_are_chinese_by_default_and_english_after_the_switch(operator):
    chinese = page(operator, LOG)
    assert '<html lang="zh-Hans"' in chinese and "报文编号" in chinese  # the model's label, translated
    in_english_browser = operator.get(LOG, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-Hans"' in in_english_browser  # as on every page: the switcher decides, not the browser
    english(operator)
    html = page(operator, LOG)
    assert '<html lang="en"' in html and "<h1>Message log</h1>" in html
    assert 'href="/en/cases/"' in html  # the rest of the site's links follow the language
    operator.post("/i18n/setlang/", {"language": "zh-hans", "next": LOG})
    assert '<html lang="zh-Hans"' in page(operator, LOG)
