"""异地代收代办: the deciding node's notices (文书) reach the window that received the case. Each goes back
with the status message of the change that issued it; the receiving node keeps a copy (same number, same
content, marked with the issuing node), renders it with its own worker and lists it on the case's page.

Both ends run here in one database, as in test_transfer.py: the handling node's case is one the peer
received, the receiving node's one this node received for the peer.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.cases.test_transfer import MATERIALS, envelope, nodes, received, their_item, transferred  # noqa: F401
from tests.federation.conftest import PEER, federation  # noqa: F401
from tests.identity import make
from tongban.cases import services
from tongban.cases.choices import NoticeKind, Status
from tongban.cases.models import Case, Notice
from tongban.cases.services import transfer
from tongban.core.errors import DomainError
from tongban.federation.models import OutboxMessage
from tongban.identity.actor import actor_for_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("nodes")]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def handled_here() -> tuple[Case, Any]:
    """A case the peer's window received, here to be decided, its materials seen there in the original."""
    case, impl = transferred(
        materials=[{"name": m["name"], "state": "provided", "evidence": "original_seen"} for m in MATERIALS]
    )
    return case, actor_for_user(make.staff("window_clerk", "411500", department=impl.department))


def statuses_back() -> list[dict[str, Any]]:
    return [m.body for m in OutboxMessage.objects.filter(type="case.status").order_by("created_at", "id")]


def test_the_acceptance_notice_goes_back_with_the_acceptance():
    case, clerk = handled_here()
    services.accept(clerk, case)
    notice = Notice.objects.get(case=case)
    [back] = statuses_back()
    assert back["status"] == Status.IN_REVIEW
    [sent] = back["notices"]
    assert (sent["kind"], sent["number"]) == (NoticeKind.ACCEPTANCE, notice.number)
    assert sent["number"] == Case.objects.get(pk=case.pk).acceptance_number
    assert sent["context"] == notice.context and sent["context"]["case_number"] == case.number
    assert sent["verify_url"].endswith(f"/notices/verify/{notice.token}/")
    notice.refresh_from_db()
    assert notice.sent_in == OutboxMessage.objects.get(type="case.status").pk


def test_each_status_message_carries_the_notices_of_its_own_change():
    case, clerk = handled_here()
    target = case.materials.get(name="退休证明")
    services.request_correction(clerk, case, items=[{"material": target.pk, "problem": "扫描件不清晰"}])
    sent = {
        "material": "退休证明",
        "state": "provided",
        "evidence": "original_seen",
    }
    transfer.receive_correction(envelope("case.correction", {"number": case.number, "materials": [sent]}))
    services.accept(clerk, case)
    carried = [(b["action"], [n["kind"] for n in b["notices"]]) for b in statuses_back()]
    assert carried == [("request-correction", ["correction"]), ("correct", []), ("accept", ["acceptance"])]


def test_a_notice_issued_without_a_change_of_status_goes_with_the_next_one():
    case, clerk = handled_here()
    # A notice on no change of status (as a 告知承诺书 signed there): no status message to join yet.
    early = services._notice(case, NoticeKind.COMMITMENT, {"conditions": ["已办理退休手续"]})
    assert not OutboxMessage.objects.filter(type="case.status").exists()
    services.refuse(clerk, case, reasons="不属于本机关职权范围", basis="《行政许可法》第三十二条")
    [back] = statuses_back()
    assert [(n["kind"], n["number"]) for n in back["notices"]] == [
        ("commitment", early.number),
        ("refusal", Notice.objects.get(case=case, kind="refusal").number),
    ]
    assert set(Notice.objects.filter(case=case).values_list("sent_in", flat=True)) == {
        OutboxMessage.objects.get(type="case.status").pk
    }


def forwarded_here() -> tuple[Case, Any]:
    case, clerk = received(their_item())
    services.forward(clerk, case)
    return Case.objects.get(pk=case.pk), clerk


def notice_body(number: str = "320500-SL-2026-000001", **context: Any) -> dict[str, Any]:
    return {
        "kind": "acceptance",
        "number": number,
        "context": {"number": number, "organ": "信阳市住房公积金管理中心", **context},
        "verify_url": "https://zwfw.xinyang.example/cases/notices/verify/abc/",
        "issued_at": "2026-11-23T10:00:00+08:00",
    }


def test_the_receiving_node_keeps_a_copy_marked_with_the_node_that_issued_it(django_capture_on_commit_callbacks):
    case, _clerk = forwarded_here()
    body = {"number": case.number, "status": Status.IN_REVIEW, "action": "accept", "notices": [notice_body()]}
    with django_capture_on_commit_callbacks() as queued:
        transfer.mirror_status(envelope("case.status", body))
    copy = Notice.objects.get(case=case)
    assert (copy.kind, copy.number, copy.node) == ("acceptance", "320500-SL-2026-000001", PEER)
    assert copy.context == notice_body()["context"] | {"verify_url": notice_body()["verify_url"]}
    assert copy.created_at.isoformat() == "2026-11-23T02:00:00+00:00"  # when it was issued there
    assert copy.token not in notice_body()["verify_url"]  # this node's check page does not vouch for it
    assert len(queued) == 1  # its rendering, queued for this node's worker once the message is applied
    event = case.events.get(action="accept")
    assert event.payload["notices"] == ["320500-SL-2026-000001"]
    # The same notice carried again is kept once.
    transfer.mirror_status(envelope("case.status", {**body, "status": Status.APPROVED, "action": "approve"}))
    assert Notice.objects.filter(case=case).count() == 1


def test_a_status_message_of_an_earlier_version_without_notices_is_accepted():
    case, _clerk = forwarded_here()
    transfer.mirror_status(envelope("case.status", {"number": case.number, "status": Status.IN_REVIEW}))
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW and not Notice.objects.exists()


@pytest.mark.parametrize(
    ("notices", "field", "code"),
    [
        ([{**notice_body(), "kind": "summons"}], "notices[0].kind", "unknown"),
        ([notice_body(), {**notice_body("X-2"), "context": "受理"}], "notices[1].context", "not_object"),
        ([{**notice_body(), "number": ""}], "notices[0].number", "invalid"),
        ("受理通知书", "notices", "not_list"),
    ],
)
def test_a_malformed_notice_is_refused_naming_it_and_nothing_is_mirrored(notices, field, code):
    case, _clerk = forwarded_here()
    body = {"number": case.number, "status": Status.IN_REVIEW, "action": "accept", "notices": notices}
    with pytest.raises(DomainError) as refused:
        transfer.mirror_status(envelope("case.status", body))
    assert (refused.value.problems[0].field, refused.value.problems[0].code) == (field, code)


@override_settings(TASKS=IMMEDIATE)
def test_the_copy_rendered_here_is_the_same_pdf_and_the_case_page_lists_it(
    client, django_capture_on_commit_callbacks
):
    decided, clerk_there = handled_here()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(clerk_there, decided)
    original = Notice.objects.get(case=decided)
    [back] = statuses_back()
    case, clerk = forwarded_here()
    with django_capture_on_commit_callbacks(execute=True):
        transfer.mirror_status(envelope("case.status", {**back, "number": case.number}))
    copy = Notice.objects.get(case=case)
    # The deciding node numbers it in the receiving region, as that node numbers its own: one number, two
    # issuers, no clash (here both sit in one database).
    assert copy.number == original.number and (copy.node, original.node) == (PEER, "")
    assert copy.state == original.state == "ready"
    # The same content by the same software: the same PDF, so the issuing node's check matches it too.
    assert copy.sha256 == original.sha256 and copy.file.read() == original.file.read()
    client.force_login(clerk.user)
    html = client.get(f"/en/cases/{case.number}/").content.decode()
    assert copy.number in html and f"/notices/{copy.pk}" in html
    assert f"issued by {original.context['organ']} (node {PEER}); a copy printed here" in html
