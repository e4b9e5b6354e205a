"""Hall figures computed from the tickets' timestamps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.frontdesk.world import local, world
from tongban.frontdesk import figures
from tongban.frontdesk.models import QueueTicket

pytestmark = pytest.mark.django_db
NINE = local(2026, 3, 2, 9, 0)


def ticket(w, number: str, *, wait: int | None, handle: int | None = None, window=None, status="done"):  # type: ignore[no-untyped-def]
    called = NINE + timedelta(minutes=wait) if wait is not None else None
    return QueueTicket.objects.create(
        hall=w.hall,
        day=date(2026, 3, 2),
        category=number[0],
        number=number,
        status=status,
        taken_at=NINE,
        called_at=called,
        started_at=called,
        finished_at=called + timedelta(minutes=handle) if called and handle is not None else None,
        window=window,
    )


def test_waiting_and_handling_times_counts_and_no_shows():
    w = world()
    for i, wait in enumerate(range(1, 11)):  # waits of 1 … 10 minutes
        ticket(w, f"A{i + 1:03d}", wait=wait, handle=4 if i % 2 else 6, window=w.comprehensive)
    ticket(w, "B001", wait=20, window=w.estate, status="no_show")
    ticket(w, "B002", wait=None, status="waiting")
    result = figures.hall_figures(w.hall, date(2026, 3, 2))
    assert result.tickets == 12 and result.no_shows == 1
    assert result.waiting.count == 11
    assert result.waiting.average == round((sum(range(1, 11)) + 20) * 60 / 11, 1)
    assert result.waiting.p90 == 600.0  # nearest rank: the 10th of 11 sorted waits
    windows = {row["number"]: row for row in result.per_window}
    assert windows["01"]["finished"] == 10 and windows["01"]["handling_average"] == 300.0
    assert windows["01"]["handling_p90"] == 360.0
    assert windows["05"] == {
        "window": w.estate.pk,
        "number": "05",
        "called": 1,
        "finished": 0,
        "handling_average": None,
        "handling_p90": None,
    }
    assert result.per_category["A"] == {"taken": 10, "done": 10, "no_show": 0, "waiting": 0}
    assert result.per_category["B"] == {"taken": 2, "done": 0, "no_show": 1, "waiting": 1}


def test_a_range_takes_every_day_in_it_and_nothing_outside():
    w = world()
    ticket(w, "A001", wait=2)
    QueueTicket.objects.create(hall=w.hall, day=date(2026, 3, 5), category="A", number="A001", taken_at=NINE)
    assert figures.hall_figures(w.hall, date(2026, 3, 1), date(2026, 3, 4)).tickets == 1
    assert figures.hall_figures(w.hall, date(2026, 3, 1), date(2026, 3, 5)).tickets == 2
    assert figures.hall_figures(w.hall, date(2026, 3, 3)).waiting.average is None
