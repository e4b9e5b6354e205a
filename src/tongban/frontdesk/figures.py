"""Hall figures (大厅效能) for supervisors: waiting time (taken → first called), handling time per window
(started → finished), tickets per category and no-shows, and the cases received in the hall's region per
department, over one day or a range of days.

``summarise`` is a pure function over plain rows, so the arithmetic is tested without a database;
``hall_figures`` reads the rows. Times are in seconds; the 90th percentile is the nearest-rank one (the
smallest value at least 90% of the values do not exceed).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tongban.catalog.models import Hall
from tongban.core.errors import DomainError
from tongban.frontdesk.choices import Category, TicketStatus
from tongban.frontdesk.models import QueueTicket


@dataclass(frozen=True)
class Row:
    category: str
    status: str
    taken_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    window_id: int | None
    window_number: str | None


@dataclass(frozen=True)
class Durations:
    count: int
    average: float | None
    p90: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Durations:
        if not seconds:
            return cls(0, None, None)
        ordered = sorted(seconds)
        rank = math.ceil(0.9 * len(ordered))
        return cls(len(ordered), round(sum(ordered) / len(ordered), 1), round(ordered[rank - 1], 1))


@dataclass(frozen=True)
class Figures:
    date_from: date
    date_to: date
    tickets: int
    no_shows: int
    waiting: Durations
    per_category: dict[str, dict[str, int]] = field(default_factory=dict)
    per_window: list[dict[str, Any]] = field(default_factory=list)
    per_department: list[dict[str, Any]] = field(default_factory=list)


def summarise(rows: list[Row], date_from: date, date_to: date) -> Figures:
    waits = [(r.called_at - r.taken_at).total_seconds() for r in rows if r.called_at is not None]
    per_category: dict[str, dict[str, int]] = {
        c: {"taken": 0, "done": 0, "no_show": 0, "waiting": 0} for c in Category.values
    }
    handling: dict[int, list[float]] = defaultdict(list)
    numbers: dict[int, str] = {}
    served: Counter[int] = Counter()
    for r in rows:
        counts = per_category.setdefault(r.category, {"taken": 0, "done": 0, "no_show": 0, "waiting": 0})
        counts["taken"] += 1
        if r.status in ("done", "no_show", "waiting"):
            counts[r.status] += 1
        if r.window_id is not None:
            numbers[r.window_id] = r.window_number or ""
            served[r.window_id] += 1
            if r.started_at is not None and r.finished_at is not None:
                handling[r.window_id].append((r.finished_at - r.started_at).total_seconds())
    per_window = []
    for window_id in sorted(numbers, key=lambda w: (numbers[w], w)):
        spans = Durations.of(handling[window_id])
        per_window.append(
            {
                "window": window_id,
                "number": numbers[window_id],
                "called": served[window_id],
                "finished": spans.count,
                "handling_average": spans.average,
                "handling_p90": spans.p90,
            }
        )
    return Figures(
        date_from=date_from,
        date_to=date_to,
        tickets=len(rows),
        no_shows=sum(1 for r in rows if r.status == TicketStatus.NO_SHOW),
        waiting=Durations.of(waits),
        per_category=per_category,
        per_window=per_window,
    )


MAX_DAYS = 366


def _day(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError.single(
            name, "invalid_date", f"日期“{raw}”格式应为 YYYY-MM-DD", f"date '{raw}' must be written YYYY-MM-DD"
        ) from None


def date_range(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """The days asked for (``from``, ``to`` as YYYY-MM-DD; today, and one day, by default), checked."""
    start = _day((first or "").strip(), "from") or today
    end = _day((last or "").strip(), "to") or start
    if end < start:
        raise DomainError.single("to", "before_start", "结束日期早于开始日期", "'to' is before 'from'")
    if end - start > timedelta(days=MAX_DAYS):
        raise DomainError.single("to", "range_too_long", f"统计区间不能超过{MAX_DAYS}天", f"at most {MAX_DAYS} days")
    return start, end


def cases_per_department(hall: Hall, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Cases that arrived in the hall's region in the range, per handling department: received, completed
    and refused so far (a department's back office answers for the cases its front desk took in)."""
    from django.db.models import Count, Q

    from tongban.cases.choices import Status
    from tongban.cases.models import Case

    rows = (
        Case.objects.filter(
            receiving_region_id=hall.region_id, arrived_at__date__gte=date_from, arrived_at__date__lte=date_to
        )
        .values("department_id", "department__name")
        .annotate(
            received=Count("id"),
            completed=Count("id", filter=Q(status=Status.COMPLETED)),
            refused=Count("id", filter=Q(status__in=(Status.REFUSED, Status.DENIED))),
        )
        .order_by("-received", "department__name")
    )
    return [
        {
            "department": r["department_id"],
            "name": r["department__name"],
            "received": r["received"],
            "completed": r["completed"],
            "refused": r["refused"],
        }
        for r in rows
    ]


def hall_figures(hall: Hall, date_from: date, date_to: date | None = None) -> Figures:
    """The figures of the hall's tickets from ``date_from`` to ``date_to`` (inclusive; default one day)."""
    date_to = date_to or date_from
    rows = [
        Row(*values)
        for values in QueueTicket.objects.filter(hall=hall, day__gte=date_from, day__lte=date_to).values_list(
            "category", "status", "taken_at", "called_at", "started_at", "finished_at", "window_id", "window__number"
        )
    ]
    summary = summarise(rows, date_from, date_to)
    return dataclasses.replace(summary, per_department=cases_per_department(hall, date_from, date_to))
