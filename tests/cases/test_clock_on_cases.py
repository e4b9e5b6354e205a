"""Deadlines on cases, as the applicant and the clerk read them: acceptance starts both the statutory and the
promised limit (working days, start day not counted, holidays and 调休 from the 2026 calendar); an extension
and a special procedure move both; 行政许可法 art. 32 accepts a neglected application as of its arrival.

The dates below are worked out by hand from the State Council's 2026 schedule (STANDARDS.md §3):
中秋 9-25..27, 国庆 10-01..07, make-up working days Sun 9-20 and Sat 10-10.
"""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.utils import timezone

from tests.cases import make as m
from tests.cases.conftest import ZONE, Clock
from tongban.cases import services
from tongban.cases.choices import NoticeKind, Status, WarningLevel
from tongban.cases.models import Case
from tongban.cases.serializers import clock_view
from tongban.identity.denied import PolicyDenied
from tongban.workdays.clock import CalendarGap
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


def end_of(month: int, day: int, year: int = 2026) -> datetime:
    """A day limit ends at the end of its last day, local time."""
    return datetime.combine(datetime(year, month, day).date(), time.max, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def _start(clock):
    clock.set(at(9, 14))  # Monday 14 September 2026, 10:00
    return clock


def local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment, ZONE) if moment else None


def deadlines(case: Case) -> tuple[datetime | None, datetime | None]:
    case.refresh_from_db()
    return local(case.statutory_deadline), local(case.promised_deadline)


def accepted_on(clock: Clock, moment: datetime, **guide) -> tuple[m.World, Case]:  # type: ignore[no-untyped-def]
    clock.set(moment)
    w = m.world(**guide)
    return w, m.accepted(w)


# --- acceptance ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "statutory", "promised"),
    [
        # Monday: 3 working days → Thursday; 20 working days run over 中秋 and 国庆 and take in Sat 10-10.
        (at(9, 14), end_of(10, 16), end_of(9, 17)),
        # Friday: the next working day is Sunday 9-20, a make-up working day.
        (at(9, 18), end_of(10, 22), end_of(9, 22)),
        # Saturday 9-19, a rest day: counting starts on the next working day just the same.
        (at(9, 19), end_of(10, 22), end_of(9, 22)),
    ],
)
def test_acceptance_sets_the_statutory_and_the_promised_deadline(clock, accepted, statutory, promised):
    _, case = accepted_on(clock, accepted)
    assert local(case.accepted_at).date() == accepted.date()
    assert deadlines(case) == (statutory, promised)
    notice = case.notices.get(kind=NoticeKind.ACCEPTANCE)
    assert (notice.context["statutory_deadline"], notice.context["promised_deadline"]) == (
        statutory.date().isoformat(),
        promised.date().isoformat(),
    )
    event = case.events.get(action="accept")
    assert datetime.fromisoformat(event.payload["promised_deadline"]) == case.promised_deadline


def test_the_clock_view_counts_working_days_used_and_left(clock):
    _, case = accepted_on(clock, at(9, 14))
    view = clock_view(case, now=at(9, 16, 15))
    assert (view["used"], view["left"], view["suspended_days"], view["running"]) == (2, 1, 0, True)
    assert view["acceptance_number"] == case.acceptance_number


# --- extension --------------------------------------------------------------------------------------------


def test_an_extension_moves_both_deadlines_by_working_days(clock):
    w, case = accepted_on(clock, at(9, 14))
    clock.set(at(9, 15))
    with pytest.raises(PolicyDenied):
        services.extend(w.actor("reviewer"), case, days=5, reason="案情复杂")
    assert deadlines(case) == (end_of(10, 16), end_of(9, 17))
    services.extend(w.actor("head"), case, days=5, reason="案情复杂")
    # 9-17 + 5: 9-18, 9-20 (Sun, make-up), 9-21, 9-22, 9-23.  10-16 + 5: 10-19 … 10-23.
    assert deadlines(case) == (end_of(10, 23), end_of(9, 23))
    event = case.events.get(action="extend")
    assert (event.payload["days"], event.payload["reason"]) == (5, "案情复杂")
    assert datetime.fromisoformat(event.payload["statutory_deadline"]) == case.statutory_deadline


# --- special procedures --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "moved", "statutory", "promised"),
    [
        (at(9, 15), at(9, 18), 3, end_of(10, 21), end_of(9, 21)),  # 9-16, 9-17, 9-18 not counted
        (at(9, 30), at(10, 9), 2, end_of(10, 20), end_of(9, 20)),  # over 国庆: only 10-08 and 10-09 were working days
        (at(9, 15, 9), at(9, 15, 17), 0, end_of(10, 16), end_of(9, 17)),  # within one day: nothing moves
    ],
)
def test_suspended_working_days_are_not_counted(clock, start, end, moved, statutory, promised):
    w, case = accepted_on(clock, at(9, 14))
    clock.set(start)
    services.suspend(w.actor("reviewer"), case, kind="expert_review", reason="组织专家评审")
    case.refresh_from_db()
    assert case.status == Status.SUSPENDED
    clock.set(end)
    services.resume(w.actor("reviewer"), case, result="评审通过")
    assert deadlines(case) == (statutory, promised)
    assert case.events.get(action="resume").payload["suspended_days"] == moved
    suspension = case.suspensions.get()
    assert (local(suspension.started_at).date(), local(suspension.ended_at).date()) == (start.date(), end.date())
    view = clock_view(case, now=end)
    assert view["suspended_days"] == moved


def test_an_extension_during_a_special_procedure_adds_to_the_days_suspended(clock):
    w, case = accepted_on(clock, at(9, 14))
    clock.set(at(9, 15))
    services.suspend(w.actor("head"), case, kind="hearing", reason="依申请举行听证")
    clock.set(at(9, 16))
    services.extend(w.actor("head"), case, days=5, reason="听证后需补充调查")
    clock.set(at(9, 18))
    services.resume(w.actor("head"), case, result="听证结束")
    # 3 suspended working days and 5 more: 10-16 + 8 → 10-28; 9-17 + 8 → 9-29 (9-25..27 are 中秋).
    assert deadlines(case) == (end_of(10, 28), end_of(9, 29))


# --- deadline colours ------------------------------------------------------------------------------------------


def test_warning_turns_yellow_near_the_promised_deadline_and_red_after_it(clock):
    _, case = accepted_on(clock, at(9, 14))
    colours = []
    for moment in (at(9, 14, 15), at(9, 15), at(9, 17, 23), at(9, 18, 8)):
        services.refresh_warnings(now=moment)
        case.refresh_from_db()
        colours.append(case.warning)
    # Two working days left (the TONGBAN_WARNING_DAYS default) is yellow; past the last day's end is red.
    assert colours == [WarningLevel.NONE, WarningLevel.YELLOW, WarningLevel.YELLOW, WarningLevel.RED]


# --- art. 32 -----------------------------------------------------------------------------------------------------


def test_article_32_accepts_as_of_arrival_after_five_working_days_without_a_correction_request(clock):
    w = m.world()
    neglected = m.online(w)  # arrives Monday 9-14 10:00
    corrected = m.online(w)
    services.request_correction(
        w.actor("clerk"), corrected, items=[{"material": corrected.materials.first().pk, "problem": "缺页"}]
    )
    handled = m.accepted(w)
    arrived = neglected.arrived_at
    # The fifth working day after 9-14 is Sunday 9-20, a make-up working day: the rule applies from 9-21.
    clock.set(at(9, 20, 23))
    assert services.apply_article_32(now=at(9, 20, 23)) == 0
    assert Case.objects.get(pk=neglected.pk).status == Status.PENDING
    clock.set(at(9, 21, 8))
    events_before = {c.pk: c.events.count() for c in (corrected, handled)}
    assert services.apply_article_32(now=at(9, 21, 8)) == 1
    neglected.refresh_from_db()
    assert neglected.status == Status.IN_REVIEW
    assert neglected.accepted_at == arrived and neglected.acceptance_number
    assert deadlines(neglected) == (end_of(10, 16), end_of(9, 17))  # counted from the arrival
    assert neglected.warning == WarningLevel.RED  # the promised day has already passed
    event = neglected.events.order_by("-seq").first()
    assert (event.action, event.actor, event.status_before) == ("deem-accepted", "system", Status.PENDING)
    assert event.payload["rule"] == "行政许可法第三十二条"
    assert event.payload["correction_window_ended"] == "2026-09-20"
    assert neglected.notices.filter(kind=NoticeKind.ACCEPTANCE).count() == 1
    assert {c.pk: c.events.count() for c in (corrected, handled)} == events_before
    assert Case.objects.get(pk=corrected.pk).status == Status.CORRECTION
    # Applying the rule again changes nothing.
    assert services.apply_article_32(now=at(9, 22)) == 0
    assert neglected.events.filter(action="deem-accepted").count() == 1


def test_article_32_does_not_apply_to_an_immediate_case(clock):
    w = m.world(case_type="immediate")
    case = m.online(w)
    assert services.apply_article_32(now=at(10, 30)) == 0
    case.refresh_from_db()
    assert case.status == Status.PENDING


def test_article_32_on_an_application_that_arrived_on_new_years_morning(clock):
    clock.set(at(1, 1, 7))  # 2026-01-01 07:00 local, still 2025 in UTC; 元旦 runs to 1-03, Sunday 1-04 is worked
    w = m.world()
    case = m.online(w)
    assert services.apply_article_32(now=at(1, 8, 20)) == 0  # 1-04, 1-05 … 1-08: the fifth working day
    clock.set(at(1, 9, 8))
    assert services.apply_article_32(now=at(1, 9, 8)) == 1
    case.refresh_from_db()
    assert case.acceptance_number.startswith("411500-SL-2026-")  # the year of the local day of acceptance
    assert deadlines(case) == (end_of(1, 29), end_of(1, 6))


def test_article_32_goes_on_past_a_case_whose_window_runs_into_an_unknown_year(clock):
    last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first()
    clock.set(at(12, 1, year=last))
    w = m.world(statutory_limit=10)
    early = m.online(w)
    clock.set(at(12, 28, year=last))  # five working days after 12-28 are in the next year
    late = m.online(w)
    clock.set(at(12, 31, 12, year=last))
    assert services.apply_article_32(now=at(12, 31, 12, year=last)) == 1
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, late.status) == (Status.IN_REVIEW, Status.PENDING)
    assert not late.events.filter(action="deem-accepted").exists()


# --- a deadline in a year the calendar does not cover ------------------------------------------------------------


def test_a_deadline_in_an_unknown_year_is_refused_and_nothing_changes(clock):
    last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first()
    clock.set(at(12, 15, year=last))  # 20 working days from mid-December run into the next, unloaded, year
    w = m.world()
    case = m.online(w)
    before = (case.version, case.events.count(), case.notices.count())
    with pytest.raises(CalendarGap) as gap:
        services.accept(w.actor("clerk"), case)
    problem = gap.value.problems[0]
    assert (gap.value.status, problem.code) == (400, "calendar_year_unknown")
    assert str(last + 1) in problem.text.zh and str(last + 1) in problem.text.en
    case.refresh_from_db()
    assert case.status == Status.PENDING and case.accepted_at is None and not case.acceptance_number
    assert (case.version, case.events.count(), case.notices.count()) == before
