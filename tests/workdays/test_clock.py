"""The clock: working days by the State Council's schedule, deadlines by the rules of 行政许可法 and 民法典."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest

from tongban.core.errors import DomainError, exception_handler
from tongban.workdays import clock
from tongban.workdays.clock import CalendarGap, Interval
from tongban.workdays.loader import load_schedule
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")

# 国务院办公厅关于2026年部分节假日安排的通知, as published; written out here independently of the shipped data.
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03"),
    ("2026-02-15", "2026-02-23"),
    ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"),
    ("2026-06-19", "2026-06-21"),
    ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
]
MAKE_UP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

# A made-up 2027 schedule (the real one is not in the shipped data), just enough to reach into 2027.
SCHEDULE_2027 = """\
# 2027 测试用安排（虚构）
year 2027
holiday 2027-01-01..2027-01-03 元旦
holiday 2027-02-06..2027-02-14 春节
workday 2027-01-31 春节调休
workday 2027-02-20 春节调休
holiday 2027-10-01..2027-10-07 国庆节
workday 2027-10-09 国庆节调休
"""


@pytest.fixture(autouse=True)
def fresh_clock():
    # Each test's database changes roll back; the clock's in-process copy must not outlive them.
    clock.forget()
    yield
    clock.forget()


def at(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def iso_range(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


# --- the calendar itself -------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_agrees_with_the_holidays_package(year):
    other = holidays.China(years=year)
    differ = [d for d in days_of(year) if clock.is_working_day(d) != other.is_working_day(d)]
    assert differ == []


def test_2026_matches_the_state_council_notice():
    off = {d for first, last in HOLIDAYS_2026 for d in iso_range(first, last)}
    on = {date.fromisoformat(d) for d in MAKE_UP_2026}
    expected = {d: d in on or (d.weekday() < 5 and d not in off) for d in days_of(2026)}
    assert {d: clock.is_working_day(d) for d in days_of(2026)} == expected
    # The holidays package lists the same make-up days, so both sources agree on them too.
    assert {d for d in holidays.China(years=2026).weekend_workdays if d.year == 2026} == on


def test_every_shipped_year_agrees_with_chinese_calendar():
    differ = [
        d
        for year in range(2004, 2027)
        for d in days_of(year)
        if clock.is_working_day(d) != chinese_calendar.is_workday(d)
    ]
    assert differ == []
    assert CalendarYear.objects.filter(source="chinese-calendar 1.11.0").count() == 23


@pytest.mark.parametrize("year", [2025, 2026])
def test_a_year_has_248_working_days(year):
    assert clock.working_days_in_year(year) == 248
    assert clock.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == 248
    assert sum(clock.is_working_day(d) for d in days_of(year)) == 248


# --- working-day arithmetic ----------------------------------------------------------------------------


def test_spring_festival_2026_pushes_a_three_day_limit_past_the_holiday():
    # 2-13 Fri, 2-14 Sat (make-up working day), 2-15..23 holiday, 2-24 Tue.
    assert [clock.add_working_days(date(2026, 2, 12), n) for n in (1, 2, 3)] == [
        date(2026, 2, 13),
        date(2026, 2, 14),
        date(2026, 2, 24),
    ]
    assert clock.deadline(at(2026, 2, 12), 3, "working_days") == end_of(2026, 2, 24)


def test_national_day_2026_and_its_make_up_days():
    # 9-30 Wed, 10-01..07 holiday, 10-08 Thu, 10-09 Fri.
    assert clock.deadline(at(2026, 9, 29), 3, "working_days") == end_of(2026, 10, 9)
    assert clock.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Sunday, a make-up working day
    assert clock.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # Saturday, likewise
    assert clock.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1


def test_the_start_day_is_not_counted():
    # Accepted first thing or last thing on Monday: one working day ends on Tuesday either way.
    assert clock.deadline(at(2026, 3, 2, 8, 0), 1, "working_days") == end_of(2026, 3, 3)
    assert clock.deadline(at(2026, 3, 2, 23, 50), 1, "working_days") == end_of(2026, 3, 3)
    # Accepted during a holiday (online): counting starts after it.
    assert clock.deadline(at(2026, 2, 16), 1, "working_days") == end_of(2026, 2, 24)
    assert clock.add_working_days(date(2026, 2, 16), 0) == date(2026, 2, 16)


def test_the_start_date_is_the_local_date_in_shanghai():
    # 17:30 UTC on Monday is 01:30 on Tuesday in Shanghai; Tuesday is the day not counted.
    start = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert clock.deadline(start, 1, "working_days") == end_of(2026, 3, 4)


def test_counting_between_dates_mirrors_and_crosses_years():
    # 2026-01-01..03 holiday, 01-04 Sunday make-up working day, 01-05 Monday.
    assert clock.working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 2
    assert clock.working_days_between(date(2026, 1, 5), date(2025, 12, 31)) == -2
    assert clock.working_days_between(date(2026, 1, 5), date(2026, 1, 5)) == 0
    assert not clock.is_working_day(date(2004, 1, 1))  # 元旦: nothing on or before it counts
    every_year = sum(clock.working_days_in_year(y) for y in range(2004, 2027))
    assert clock.working_days_between(date(2004, 1, 1), date(2026, 12, 31)) == every_year


@pytest.mark.parametrize("start", [date(2004, 1, 1), date(2019, 12, 27), date(2025, 2, 28), date(2026, 2, 13)])
def test_stepping_and_counting_agree_with_walking_the_days(start):
    walked: list[date] = []
    day = start
    while day.year < 2027:
        day += timedelta(days=1)
        if day.year < 2027 and clock.is_working_day(day):
            walked.append(day)
    for n in sorted({1, 2, 5, 20, 60, 250, len(walked) // 2, len(walked)} & set(range(1, len(walked) + 1))):
        assert clock.add_working_days(start, n) == walked[n - 1]
        assert clock.working_days_between(start, walked[n - 1]) == n
    assert clock.working_days_between(start, date(2026, 12, 31)) == len(walked)


def test_an_open_ended_count_is_refused_for_negative_n():
    with pytest.raises(ValueError):
        clock.add_working_days(date(2026, 3, 2), -1)


# --- deadlines -----------------------------------------------------------------------------------------


def test_a_suspension_gives_its_working_days_back():
    start = at(2026, 3, 2)  # Monday
    assert clock.deadline(start, 5, "working_days") == end_of(2026, 3, 9)
    waiting = Interval(at(2026, 3, 3, 9), at(2026, 3, 5, 17))  # Tue → Thu: Wed and Thu given back
    assert clock.suspended_working_days([waiting], now=at(2026, 3, 10)) == 2
    assert clock.deadline(start, 5, "working_days", suspended=[waiting]) == end_of(2026, 3, 11)


def test_an_open_suspension_counts_up_to_now():
    start = at(2026, 3, 2)
    still_waiting = Interval(at(2026, 3, 3, 9), None)
    assert clock.suspended_working_days([still_waiting], now=at(2026, 3, 6, 10)) == 3
    assert clock.deadline(start, 5, "working_days", suspended=[still_waiting], now=at(2026, 3, 6, 10)) == end_of(
        2026, 3, 12
    )


def test_overlapping_suspensions_are_not_given_back_twice():
    first = Interval(at(2026, 3, 3, 9), at(2026, 3, 5, 17))
    second = Interval(at(2026, 3, 4, 9), at(2026, 3, 6, 17))
    assert clock.suspended_working_days([second, first], now=at(2026, 3, 10)) == 3  # Wed, Thu, Fri


def test_an_extension_adds_working_days():
    assert clock.deadline(at(2026, 3, 2), 5, "working_days", extension=5) == end_of(2026, 3, 16)


def test_calendar_days_roll_past_a_holiday_to_the_next_working_day():
    assert clock.deadline(at(2026, 9, 24), 7, "calendar_days") == end_of(2026, 10, 8)  # 10-01 is 国庆节
    assert clock.deadline(at(2026, 3, 2), 5, "calendar_days") == end_of(2026, 3, 9)  # Saturday → Monday
    assert clock.deadline(at(2026, 2, 7), 7, "calendar_days") == end_of(2026, 2, 14)  # a make-up Saturday stands
    assert clock.deadline(at(2026, 3, 2), 30, "calendar_days") == end_of(2026, 4, 1)  # an ordinary Wednesday


def test_calendar_days_leave_out_suspended_days_and_add_extensions():
    paused = Interval(at(2026, 3, 3), at(2026, 3, 6))  # three calendar days
    assert clock.deadline(at(2026, 3, 2), 10, "calendar_days", suspended=[paused]) == end_of(2026, 3, 16)
    assert clock.deadline(at(2026, 3, 2), 10, "calendar_days", extension=2) == end_of(2026, 3, 16)


def test_hours_ignore_the_calendar_and_leave_out_suspended_time():
    start = at(2026, 2, 16, 9, 0)  # in the middle of 春节: an hour limit runs regardless
    assert clock.deadline(start, 2, "hours") == at(2026, 2, 16, 11, 0)
    pause = Interval(at(2026, 2, 16, 9, 30), at(2026, 2, 16, 10, 0))
    assert clock.deadline(start, 2, "hours", suspended=[pause]) == at(2026, 2, 16, 11, 30)
    assert clock.deadline(start, 2, "hours", extension=1) == at(2026, 2, 17, 11, 0)


def test_an_unknown_unit_is_an_error_on_the_unit_field():
    with pytest.raises(DomainError) as caught:
        clock.deadline(at(2026, 3, 2), 5, "fortnights")
    problem = caught.value.problems[0]
    assert (problem.field, problem.code) == ("unit", "limit_unit_unknown")
    assert "fortnights" in problem.text.zh and "fortnights" in problem.text.en


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError):
        clock.deadline(datetime(2026, 3, 2, 10, 0), 5, "working_days")


# --- years the calendar does not cover -----------------------------------------------------------------


def test_a_deadline_into_2027_is_refused_with_a_bilingual_400():
    with pytest.raises(CalendarGap) as caught:
        clock.deadline(at(2026, 12, 25), 10, "working_days")
    assert caught.value.year == 2027
    response = exception_handler(caught.value, {})
    assert response.status_code == 400
    error = response.data["errors"][0]
    assert error["code"] == "calendar_year_unknown"
    assert "2027年的工作日历尚未载入" in error["message_zh"]
    assert "2027" in error["message_en"] and "calendar" in error["message_en"]


def test_every_question_about_an_uncovered_year_is_refused():
    for ask in (
        lambda: clock.is_working_day(date(2027, 1, 4)),
        lambda: clock.working_days_between(date(2026, 12, 1), date(2027, 1, 4)),
        lambda: clock.add_working_days(date(2003, 12, 31), 1),
        lambda: clock.deadline(at(2026, 12, 28), 5, "calendar_days"),
    ):
        with pytest.raises(CalendarGap):
            ask()


def test_the_gap_can_name_the_field():
    gap = CalendarGap(2027, "accepted_at")
    assert gap.problems[0].field == "accepted_at" and gap.status == 400


def test_a_deadline_into_2027_works_once_its_schedule_is_loaded():
    with pytest.raises(CalendarGap):
        clock.deadline(at(2026, 12, 25), 10, "working_days")
    load_schedule(SCHEDULE_2027, source="测试")
    # 12-28..31 (4), 2027-01-01..03 off, 01-04..08 (5), 01-11 (10th).
    assert clock.deadline(at(2026, 12, 25), 10, "working_days") == end_of(2027, 1, 11)
    assert clock.working_days_in_year(2027) == 261 - 11 + 3


# --- progress and warnings -----------------------------------------------------------------------------


def test_progress_through_the_spring_festival():
    start, due = at(2026, 2, 12), end_of(2026, 2, 24)
    same_day = clock.progress(start, due, now=at(2026, 2, 12, 15), warn_days=2)
    assert (same_day.used, same_day.left, same_day.level) == (0, 3, "none")
    next_day = clock.progress(start, due, now=at(2026, 2, 13, 10), warn_days=2)
    assert (next_day.used, next_day.left, next_day.level) == (1, 2, "yellow")
    during_holiday = clock.progress(start, due, now=at(2026, 2, 18, 10), warn_days=2)
    assert (during_holiday.used, during_holiday.left) == (2, 1)
    due_day = clock.progress(start, due, now=at(2026, 2, 24, 17), warn_days=2)
    assert (due_day.left, due_day.level) == (0, "yellow")
    overdue = clock.progress(start, due, now=at(2026, 2, 25, 9), warn_days=2)
    assert (overdue.used, overdue.left, overdue.level) == (4, -1, "red")
    assert overdue.deadline == due


def test_progress_leaves_suspended_days_out_of_the_days_used():
    start = at(2026, 3, 2)
    waiting = [Interval(at(2026, 3, 3, 9), at(2026, 3, 5, 17))]
    due = clock.deadline(start, 5, "working_days", suspended=waiting)
    shown = clock.progress(start, due, suspended=waiting, now=at(2026, 3, 6, 10), warn_days=1)
    assert (shown.used, shown.suspended, shown.left, shown.level) == (2, 2, 3, "none")


def test_the_warning_threshold_comes_from_the_setting(monkeypatch):
    start, due = at(2026, 3, 2), end_of(2026, 3, 16)  # ten working days
    monkeypatch.delenv("TONGBAN_WARNING_DAYS", raising=False)
    assert clock.warn_days() == 2
    assert clock.progress(start, due, now=at(2026, 3, 11)).level == "none"  # 3 left
    monkeypatch.setenv("TONGBAN_WARNING_DAYS", "3")
    assert clock.warn_days() == 3
    assert clock.progress(start, due, now=at(2026, 3, 11)).level == "yellow"


# --- the in-process copy -------------------------------------------------------------------------------


def test_a_year_is_read_once_and_then_served_from_memory(django_assert_num_queries):
    with django_assert_num_queries(1):
        clock.deadline(at(2026, 3, 2), 5, "working_days")
    with django_assert_num_queries(0):
        for day in range(2, 28):
            clock.progress(at(2026, 3, 2), end_of(2026, 3, 30), now=at(2026, 3, day), warn_days=2)


def test_a_change_made_elsewhere_is_seen_after_the_cache_expires(monkeypatch):
    assert clock.is_working_day(date(2026, 3, 2))
    CalendarYear.objects.filter(year=2026).delete()  # as another process would, without telling us
    assert clock.is_working_day(date(2026, 3, 2))  # still the copy in memory
    later = clock._monotonic() + clock.CACHE_SECONDS + 1
    monkeypatch.setattr(clock, "_monotonic", lambda: later)
    with pytest.raises(CalendarGap):
        clock.is_working_day(date(2026, 3, 2))
