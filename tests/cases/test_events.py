"""The event record of a case (办件日志): one event per change, who did it in which role, hash-chained per
case with SM3 so that altering, removing or reordering any event shows in ``verify_chain``."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from tests.cases import make as m
from tongban.cases import events, services
from tongban.cases.models import Case, CaseEvent
from tongban.core.errors import DomainError

pytestmark = pytest.mark.django_db


def completed(w: m.World) -> Case:
    case = m.accepted(w)
    services.review(w.actor("reviewer"), case, opinion="符合条件")
    services.approve(w.actor("head"), case)
    services.issue(w.actor("clerk"), case)
    services.deliver(w.actor("clerk"), case, method="post", carrier="EMS", tracking_number="1181234567890")
    case.refresh_from_db()
    return case


def test_every_change_appends_one_event_naming_who_did_it_and_in_which_role():
    w = m.world()
    case = completed(w)
    rows = list(case.events.order_by("seq"))
    assert [e.action for e in rows] == [
        "create",
        "attach",
        "attach",
        "submit",
        "accept",
        "review",
        "approve",
        "issue",
        "deliver",
    ]
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    assert [(e.status_before, e.status_after) for e in rows if e.status_before != e.status_after] == [
        ("", "draft"),
        ("draft", "pending"),
        ("pending", "in_review"),
        ("in_review", "approved"),
        ("approved", "issued"),
        ("issued", "completed"),
    ]
    by_action = {e.action: e for e in rows}
    assert (by_action["submit"].actor, by_action["submit"].role) == (w.applicant.username, "applicant")
    accept = by_action["accept"]
    assert (accept.user, accept.role, accept.region_code, accept.department_id_at) == (
        w.clerk,
        "window_clerk",
        "411500",
        w.department.pk,
    )
    assert (by_action["review"].role, by_action["approve"].role) == ("reviewer", "department_head")
    assert by_action["deliver"].payload == {
        "method": "post",
        "carrier": "EMS",
        "tracking_number": "1181234567890",
        "address": "",
    }
    assert all(earlier.at <= later.at for earlier, later in pairwise(rows))
    assert case.version == len(rows)  # the draft starts at version 1; every later change adds one


def test_a_refused_command_records_nothing():
    w = m.world()
    case = m.accepted(w)
    count = case.events.count()
    with pytest.raises(DomainError):
        services.suspend(w.actor("reviewer"), case, kind="hearing", reason="")
    with pytest.raises(DomainError):
        services.accept(w.actor("applicant"), case)
    assert case.events.count() == count


def test_the_chain_is_intact_and_uses_sm3_starting_from_the_case_number():
    w = m.world()
    case = completed(w)
    report = events.verify_chain(case)
    assert report.intact and report.events == case.events.count() and report.broken_at is None
    first, second = case.events.order_by("seq")[:2]
    assert first.prev_hash == m.independent_sm3(case.number.encode())
    assert second.prev_hash == first.hash
    assert first.hash == m.independent_sm3(events.canonical(events._content(first, case.number)))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"payload": {"opinion": "不符合条件"}}, "its content does not match its hash"),
        ({"actor": "someone-else"}, "its content does not match its hash"),
        ({"status_after": "denied"}, "its content does not match its hash"),
        ({"at": datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))}, "its content does not match its hash"),
        ({"prev_hash": "0" * 64}, "does not link to the event before it"),
    ],
)
def test_altering_an_event_in_the_database_is_reported_at_that_event(change, reason):
    w = m.world()
    case = completed(w)
    review = case.events.get(action="review")
    CaseEvent.objects.filter(pk=review.pk).update(**change)
    report = events.verify_chain(case)
    assert not report.intact
    assert (report.broken_at, report.reason) == (review.seq, reason)


def test_rehashing_an_altered_event_breaks_the_link_of_the_next_one():
    w = m.world()
    case = completed(w)
    review = case.events.get(action="review")
    review.payload = {**review.payload, "opinion": "不符合条件"}
    review.hash = events.event_hash(review, case.number)  # a forger who knows the algorithm
    review.save()
    report = events.verify_chain(case)
    assert report.broken_at == review.seq + 1 and report.reason == "does not link to the event before it"


def test_a_removed_event_is_reported_missing():
    w = m.world()
    case = completed(w)
    review = case.events.get(action="review")
    CaseEvent.objects.filter(pk=review.pk).delete()
    report = events.verify_chain(case)
    assert report.broken_at == review.seq and "missing" in report.reason


def test_an_event_moved_to_another_case_does_not_fit_there():
    w = m.world()
    one, other = m.online(w), m.online(w)
    CaseEvent.objects.filter(case=other).delete()
    for event in CaseEvent.objects.filter(case=one):
        CaseEvent.objects.create(
            **{f.name: getattr(event, f.name) for f in CaseEvent._meta.concrete_fields if f.name not in ("id", "case")},
            case=other,
        )
    assert events.verify_chain(one).intact
    report = events.verify_chain(other)
    assert report.broken_at == 1 and report.reason == "does not link to the event before it"
