"""Numbering per hall, category and day; calling in order; a window calls only its categories."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.frontdesk.world import IN, local, world
from tests.identity import make
from tongban.catalog.models import Hall
from tongban.core.errors import Conflict, DomainError
from tongban.frontdesk import services
from tongban.frontdesk.models import QueueTicket
from tongban.identity.actor import SYSTEM, Actor, actor_for_user
from tongban.identity.denied import PolicyDenied

pytestmark = pytest.mark.django_db
KIOSK = Actor()  # nobody logged in
NINE = local(2026, 3, 2, 9, 0)


def take(hall, category: str, minutes: int = 0, **kw):  # type: ignore[no-untyped-def]
    return services.take_ticket(KIOSK, hall=hall, category=category, at=NINE + timedelta(minutes=minutes), **kw)


def test_numbers_count_per_hall_category_and_day():
    w = world()
    other = Hall.objects.create(region_id=IN, name="浉河区政务服务中心")
    numbers = [take(w.hall, c).number for c in ("A", "A", "b", "A")]
    assert numbers == ["A001", "A002", "B001", "A003"]
    assert take(other, "A").number == "A001"
    tomorrow = services.take_ticket(KIOSK, hall=w.hall, category="A", at=NINE + timedelta(days=1))
    assert (tomorrow.number, tomorrow.day.isoformat()) == ("A001", "2026-03-03")


def test_an_unknown_category_is_refused_naming_the_field():
    w = world()
    with pytest.raises(DomainError) as refused:
        take(w.hall, "Z")
    assert refused.value.problems[0].field == "category"
    assert not QueueTicket.objects.exists()


def test_appointments_first_then_in_the_order_taken():
    w = world()
    first, second = take(w.hall, "A", 0), take(w.hall, "C", 5)
    booked = take(w.hall, "A", 10)
    QueueTicket.objects.filter(pk=booked.pk).update(priority=1)
    clerk = w.actor()
    order = []
    for _ in range(3):
        ticket = services.call_next(clerk, window=w.comprehensive, at=NINE + timedelta(minutes=20))
        order.append(ticket.number)
        services.no_show(clerk, ticket)
    assert order == [booked.number, first.number, second.number]


def test_a_department_window_calls_only_its_departments_categories():
    w = world()
    take(w.hall, "A", 0)
    estate = take(w.hall, "B", 5)
    called = services.call_next(w.actor(), window=w.estate, at=NINE + timedelta(minutes=6))
    assert called.pk == estate.pk and called.window_id == w.estate.pk
    services.finish(w.actor(), services.start(w.actor(), called))
    with pytest.raises(Conflict) as empty:
        services.call_next(w.actor(), window=w.estate, at=NINE + timedelta(minutes=7))
    assert empty.value.problems[0].code == "queue_empty"
    with pytest.raises(Conflict) as output:
        services.call_next(w.actor(), window=w.output, at=NINE + timedelta(minutes=7))
    assert output.value.problems[0].code == "no_categories"


def test_a_window_finishes_its_ticket_before_calling_the_next():
    w = world()
    take(w.hall, "A", 0), take(w.hall, "A", 1)
    services.call_next(w.actor(), window=w.comprehensive, at=NINE + timedelta(minutes=2))
    with pytest.raises(Conflict) as busy:
        services.call_next(w.actor(), window=w.comprehensive, at=NINE + timedelta(minutes=3))
    assert busy.value.problems[0].code == "window_busy"
    assert QueueTicket.objects.filter(status="waiting").count() == 1


def test_finishing_a_waiting_ticket_is_refused_and_changes_nothing():
    w = world()
    ticket = take(w.hall, "A")
    with pytest.raises(Conflict) as wrong:
        services.finish(w.actor(), ticket)
    assert wrong.value.problems[0].code == "wrong_state"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.finished_at) == ("waiting", None)


def test_recall_keeps_the_first_call_time():
    w = world()
    take(w.hall, "A")
    called = services.call_next(w.actor(), window=w.comprehensive, at=NINE + timedelta(minutes=4))
    again = services.recall(w.actor(), called)
    assert again.recalls == 1 and again.called_at == NINE + timedelta(minutes=4) and again.status == "called"


@pytest.mark.parametrize("who", ["supervisor", "reviewer", "anonymous", "clerk elsewhere"])
def test_only_the_halls_window_clerks_call(who: str):
    w = world()
    take(w.hall, "A")
    actor = {
        "supervisor": lambda: actor_for_user(make.staff("supervisor", IN)),
        "reviewer": lambda: actor_for_user(make.staff("reviewer", IN)),
        "anonymous": lambda: KIOSK,
        "clerk elsewhere": lambda: actor_for_user(make.staff("window_clerk", "320500")),
    }[who]()
    with pytest.raises(PolicyDenied):
        services.call_next(actor, window=w.comprehensive, at=NINE)
    assert QueueTicket.objects.get().status == "waiting"


def test_the_system_actor_may_call_for_tests_and_tools():
    w = world()
    take(w.hall, "A")
    assert services.call_next(SYSTEM, window=w.comprehensive, at=NINE).called_by_id is None
