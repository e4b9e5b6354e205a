"""The one clock (期限计算): every deadline in tongban is computed here and nowhere else.

Counting rules and their legal basis:

* Working days (工作日). 行政许可法 art. 82: time limits are counted in working days, statutory holidays
  (法定节假日) excluded. A working day is a Monday–Friday that is not a holiday, or a Saturday/Sunday the
  State Council made a working day in exchange (调休上班日). Which days those are comes from the
  working-day calendar (tongban.workdays.models), one State Council notice per year.
* The start day is not counted (民法典 art. 201): a limit of N working days ends on the N-th working day
  after the day the period starts.
* The period ends at the end of its last day, 24:00 local time (民法典 art. 203), given here as
  23:59:59.999999 in the node's time zone (settings.TIME_ZONE, Asia/Shanghai). Office hours do not cut it
  short: art. 203's "停止业务活动的时间" is left to the case-handling rules, not to the clock.
* Calendar days (自然日): start date + N days; if that day is a statutory holiday or rest day, the period
  ends on the next working day (民法典 art. 203, "法定休假日结束的次日").
* Hours (即办件): start + N hours, from the moment of acceptance (民法典 art. 201 para. 2); no calendar.
* Suspensions (中止、暂停计时, e.g. waiting for the applicant to correct materials, expert review) are left
  out: for day limits the working (or calendar) days in (local start date, local end date] of each
  suspension, for hour limits the suspended duration. Overlapping suspensions are merged first, so no day is
  given back twice. A suspension still open counts up to ``now``.
* Extensions (延期) add days: working days for working-day limits, calendar days for calendar-day limits,
  and 24 hours per day for hour limits.

A date in a year the calendar does not cover is an error (:class:`CalendarGap`), never a guess: holiday
schedules are published a year at a time, and a deadline computed without one would be wrong by up to a
week.

Each covered year is read once (one query) and kept in-process as (holidays, make-up working days) plus a
sorted list of its working days' ordinals, so counting and stepping are binary searches. The copy expires
after :data:`CACHE_SECONDS` so a schedule loaded by another process is seen; :func:`forget` drops it at once.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as clock_time

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from tongban.catalog.choices import LimitUnit
from tongban.config import env
from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text

CACHE_SECONDS = 60.0
WORKING_DAYS = LimitUnit.WORKING_DAYS.value
CALENDAR_DAYS = LimitUnit.CALENDAR_DAYS.value
HOURS = LimitUnit.HOURS.value
UNITS = frozenset({WORKING_DAYS, CALENDAR_DAYS, HOURS})
LEVELS = ("none", "yellow", "red")


class CalendarGap(DomainError):
    """A date falls in a year whose holiday schedule (节假日安排) has not been loaded."""

    status = 400
    code = "calendar_year_unknown"

    def __init__(self, year: int, field: str | None = None) -> None:
        self.year = year
        text = Text(
            f"{year}年的工作日历尚未载入，无法计算期限；请管理员载入国务院公布的{year}年节假日安排",
            f"The working-day calendar for {year} has not been loaded, so the time limit cannot be computed; "
            f"an administrator must load the State Council's holiday schedule for {year}",
        )
        super().__init__([Problem(field, self.code, text)])


@dataclass(frozen=True)
class Interval:
    """A suspension of the clock (中止计时); ``end`` is None while it is still open."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"suspension ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class Progress:
    """Where a case stands against its deadline, in working days; ``level`` is the warning colour."""

    deadline: datetime
    used: int
    left: int
    suspended: int
    level: str


@dataclass(frozen=True)
class _Year:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    ordinals: list[int]  # the year's working days as date ordinals, ascending


# year -> (monotonic time read, the year or None when not covered); a miss is cached too, so a list of
# cases past the calendar's end does not query once per row.
_cache: dict[int, tuple[float, _Year | None]] = {}
_monotonic = time.monotonic
# date -> its last instant; a list of cases asks for the same few hundred days over and over.
_ends: dict[date, datetime] = {}


def forget() -> None:
    """Drop the in-process copy of the calendar; the next question reads the database again."""
    _cache.clear()
    _ends.clear()


@receiver(setting_changed)
def _time_zone_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "TIME_ZONE":
        _ends.clear()


def _read(year: int) -> _Year | None:
    from tongban.workdays.models import CalendarYear, DayKind

    rows = list(CalendarYear.objects.filter(year=year).values_list("days__date", "days__kind"))
    if not rows:
        return None
    holidays = frozenset(d for d, kind in rows if d is not None and kind == DayKind.HOLIDAY)
    workdays = frozenset(d for d, kind in rows if d is not None and kind == DayKind.WORKDAY)
    off = {d.toordinal() for d in holidays}
    on = {d.toordinal() for d in workdays}
    # date.fromordinal(1) is a Monday, so (ordinal - 1) % 7 is the weekday (0 = Monday).
    ordinals = [
        o
        for o in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
        if o in on or ((o - 1) % 7 < 5 and o not in off)
    ]
    return _Year(year, holidays, workdays, ordinals)


def _year(year: int) -> _Year:
    now = _monotonic()
    entry = _cache.get(year)
    if entry is None or now - entry[0] >= CACHE_SECONDS:
        entry = (now, _read(year))
        _cache[year] = entry
    if entry[1] is None:
        raise CalendarGap(year)
    return entry[1]


def _zone() -> tzinfo:
    # The node's zone, not the request's: a deadline is the same instant whoever looks at it.
    return timezone.get_default_timezone()


def _local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError(f"an aware datetime is needed, got naive {moment!r}")
    return moment.astimezone(_zone()).date()


def _end_of_day(day: date) -> datetime:
    end = _ends.get(day)
    if end is None:
        end = _ends[day] = datetime.combine(day, clock_time.max, tzinfo=_zone())
    return end


def is_working_day(day: date) -> bool:
    """Whether public bodies work on ``day`` (a Mon–Fri that is no holiday, or a 调休 make-up day)."""
    year = _year(day.year)
    if day.weekday() < 5:
        return day not in year.holidays
    return day in year.workdays


def working_days_in_year(year: int) -> int:
    """How many working days ``year`` has (248 in 2025 and 2026)."""
    return len(_year(year).ordinals)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself not counted); ``start`` when n is 0."""
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    year = _year(start.year)
    if n == 0:
        return start
    index = bisect_right(year.ordinals, start.toordinal())  # working days on or before start this year
    while True:
        remaining = len(year.ordinals) - index
        if n <= remaining:
            return date.fromordinal(year.ordinals[index + n - 1])
        n -= remaining
        year = _year(year.year + 1)
        index = 0


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; 0 when equal, the negated count of (end, start] when end is earlier."""
    if end < start:
        return -working_days_between(end, start)
    first = _year(start.year)
    before = bisect_right(first.ordinals, start.toordinal())
    if start.year == end.year:
        return bisect_right(first.ordinals, end.toordinal()) - before
    count = len(first.ordinals) - before
    for year in range(start.year + 1, end.year):
        count += len(_year(year).ordinals)
    return count + bisect_right(_year(end.year).ordinals, end.toordinal())


def _spans(intervals: Sequence[Interval], now: datetime | None) -> list[tuple[datetime, datetime]]:
    """The suspensions as closed spans, overlaps merged; an open one ends at ``now``."""
    spans: list[tuple[datetime, datetime]] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        end = interval.end
        if end is None:
            if now is None:
                now = timezone.now()
            end = max(now, interval.start)  # opened after ``now``: nothing suspended yet
        if spans and interval.start <= spans[-1][1]:
            if end > spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
        else:
            spans.append((interval.start, end))
    return spans


def _suspended_working(spans: list[tuple[datetime, datetime]]) -> int:
    return sum(working_days_between(_local_date(s), _local_date(e)) for s, e in spans)


def suspended_working_days(intervals: Sequence[Interval], now: datetime) -> int:
    """Working days the clock stood still: per suspension, the working days in (start date, end date]."""
    return _suspended_working(_spans(intervals, now)) if intervals else 0


def deadline(
    start: datetime,
    limit: int,
    unit: str,
    *,
    suspended: Sequence[Interval] = (),
    extension: int = 0,
    now: datetime | None = None,
) -> datetime:
    """When a period of ``limit`` ``unit`` that starts at ``start`` ends (承诺期限届满时间).

    ``unit`` is a tongban.catalog.choices.LimitUnit value. ``now`` closes suspensions still open (default:
    the current time). Day limits end at 23:59:59.999999 local time on their last day.
    """
    if unit not in UNITS:
        raise DomainError.single(
            "unit",
            "limit_unit_unknown",
            f"未知的期限单位：{unit}（应为 working_days、calendar_days 或 hours）",
            f"unknown time-limit unit: {unit} (expected working_days, calendar_days or hours)",
        )
    if limit < 0:
        raise DomainError.single(
            "limit", "limit_negative", f"期限不能为负数：{limit}", f"the time limit cannot be negative: {limit}"
        )
    if extension < 0:
        raise DomainError.single(
            "extension",
            "extension_negative",
            f"延期不能为负数：{extension}",
            f"an extension cannot be negative: {extension}",
        )
    spans = _spans(suspended, now) if suspended else []
    if unit == WORKING_DAYS:
        days = limit + extension + _suspended_working(spans)
        return _end_of_day(add_working_days(_local_date(start), days))
    if unit == CALENDAR_DAYS:
        first = _local_date(start)
        _year(first.year)
        paused = sum((_local_date(e) - _local_date(s)).days for s, e in spans)
        last = first + timedelta(days=limit + extension + paused)
        while not is_working_day(last):
            last += timedelta(days=1)
        return _end_of_day(last)
    # Hours: no calendar; the clock simply stands still while suspended.
    if start.tzinfo is None:
        raise ValueError(f"an aware datetime is needed, got naive {start!r}")
    paused_time = sum((e - s for s, e in spans), timedelta())
    return timezone.localtime(start + timedelta(hours=limit + 24 * extension) + paused_time, _zone())


def progress(
    start: datetime,
    deadline_at: datetime,
    *,
    suspended: Sequence[Interval] = (),
    now: datetime,
    warn_days: int | None = None,
) -> Progress:
    """How far a case is through its period at ``now`` (办理进度), with its warning level (预警).

    ``used``: working days from the start date to now's date, less suspended ones. ``left``: working days
    from now's date to the deadline's date (0 on the deadline day, negative when overdue). ``level`` is
    "red" once ``now`` is past the deadline, "yellow" when ``left`` is at most ``warn_days`` (default: the
    TONGBAN_WARNING_DAYS setting), else "none".
    """
    today = _local_date(now)
    paused = suspended_working_days(suspended, now)
    used = max(0, working_days_between(_local_date(start), today) - paused)
    left = working_days_between(today, _local_date(deadline_at))
    threshold = days_setting("TONGBAN_WARNING_DAYS") if warn_days is None else warn_days
    if now > deadline_at:
        level = "red"
    elif left <= threshold:
        level = "yellow"
    else:
        level = "none"
    return Progress(deadline=deadline_at, used=used, left=left, suspended=paused, level=level)


def days_setting(name: str, minimum: int = 0) -> int:
    """A whole number of days from a TONGBAN_* setting; a wrong value stops the node with its name."""
    raw = env(name)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of days, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, got {value}")
    return value


def warn_days() -> int:
    """Working days before a deadline at which a case turns yellow (TONGBAN_WARNING_DAYS, default 2)."""
    return days_setting("TONGBAN_WARNING_DAYS")


def working_days_before(day: date, n: int) -> date:
    """The n-th working day before ``day`` (``day`` itself not counted); ``day`` when n is 0."""
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    candidate = day
    while n:
        candidate -= timedelta(days=1)
        if is_working_day(candidate):
            n -= 1
    return candidate


def days_after(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th calendar day after ``start``, holidays counted like any day.

    For internal targets that are not legal periods of the applicant (the 事后核查 window): they need no
    calendar, so they never wait on next year's schedule being loaded.
    """
    return _end_of_day(_local_date(start) + timedelta(days=days))


def supply_deadline(accepted_at: datetime, promised_deadline: datetime, days: int, margin: int) -> datetime | None:
    """When a material accepted as missing (容缺) must be in: ``days`` working days after acceptance, but
    at least ``margin`` working days before the promised deadline (Shenzhen's rule, STANDARDS §6).

    None when the promised limit is too short to leave any day to supply it.
    """
    latest = working_days_before(_local_date(promised_deadline), margin)
    due = min(add_working_days(_local_date(accepted_at), days), latest)
    if due <= _local_date(accepted_at):
        return None
    return _end_of_day(due)


__all__ = [
    "CalendarGap",
    "Interval",
    "Progress",
    "add_working_days",
    "days_after",
    "days_setting",
    "deadline",
    "forget",
    "is_working_day",
    "progress",
    "supply_deadline",
    "suspended_working_days",
    "warn_days",
    "working_days_before",
    "working_days_between",
    "working_days_in_year",
]
