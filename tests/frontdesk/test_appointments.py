"""Booking a slot (capacity, the future, opening hours), checking in (a priority ticket) and cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories as f
from tests.frontdesk.world import IN, local, world
from tests.identity import make
from tongban.core.errors import Conflict, DomainError
from tongban.frontdesk import services
from tongban.frontdesk.models import Appointment, CategoryDepartment, QueueTicket
from tongban.identity.actor import Actor, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Person

pytestmark = pytest.mark.django_db
EIGHT = local(2026, 3, 2, 8, 0)
TEN = local(2026, 3, 2, 10, 0)


@pytest.fixture
def setting(settings):  # type: ignore[no-untyped-def]
    settings.TONGBAN_APPOINTMENT_SLOT_CAPACITY = 2
    return settings


def applicant():  # type: ignore[no-untyped-def]
    account = make.applicant()
    return actor_for_user(account), Person.objects.get(user=account)


def test_a_slot_takes_as_many_as_its_capacity(setting):
    w = world(hours="周一至周五 9:00-12:00，13:30-17:00")
    impl = f.implementation(region_code=IN)
    for _ in range(2):
        who, person = applicant()
        services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=person, at=EIGHT)
    who, person = applicant()
    with pytest.raises(Conflict) as full:
        services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=person, at=EIGHT)
    assert (full.value.problems[0].field, full.value.problems[0].code) == ("slot_start", "slot_full")
    later = services.book(
        who, hall=w.hall, implementation=impl, slot_start=TEN + timedelta(minutes=30), person=person, at=EIGHT
    )
    assert later.status == "booked" and Appointment.objects.count() == 3


@pytest.mark.parametrize(
    ("slot", "code"),
    [
        (local(2026, 3, 2, 7, 30), "in_the_past"),
        (local(2026, 3, 2, 10, 15), "not_a_slot"),
        (local(2026, 3, 2, 12, 0), "outside_hours"),
        (local(2026, 3, 2, 16, 30), None),
    ],
)
def test_a_slot_is_in_the_future_on_the_half_hour_within_opening_hours(slot, code):
    w = world(hours="9:00-12:00 13:30-17:00")
    who, person = applicant()
    impl = f.implementation(region_code=IN)
    if code is None:
        services.book(who, hall=w.hall, implementation=impl, slot_start=slot, person=person, at=EIGHT)
        return
    with pytest.raises(DomainError) as refused:
        services.book(who, hall=w.hall, implementation=impl, slot_start=slot, person=person, at=EIGHT)
    assert (refused.value.problems[0].field, refused.value.problems[0].code) == ("slot_start", code)
    assert not Appointment.objects.exists()


def test_only_a_clerk_books_for_someone_else():
    w = world()
    impl = f.implementation(region_code=IN)
    _, other = applicant()
    who, _ = applicant()
    with pytest.raises(PolicyDenied):
        services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=other, at=EIGHT)
    with pytest.raises(PolicyDenied):
        services.book(Actor(), hall=w.hall, implementation=impl, slot_start=TEN, person=other, at=EIGHT)
    booked = services.book(w.actor(), hall=w.hall, implementation=impl, slot_start=TEN, person=other, at=EIGHT)
    assert booked.person_id == other.pk and Appointment.objects.count() == 1


def test_checking_in_gives_a_ticket_called_before_walk_ins():
    w = world()
    impl = f.implementation(dept=w.estate_department)
    who, person = applicant()
    appt = services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=person, at=EIGHT)
    walk_in = services.take_ticket(Actor(), hall=w.hall, category="B", at=TEN - timedelta(minutes=20))
    ticket = services.check_in(who, appt, at=TEN - timedelta(minutes=10))
    assert (ticket.category, ticket.priority, ticket.number) == ("B", 1, "B002")
    assert Appointment.objects.get(pk=appt.pk).status == "checked_in"
    called = services.call_next(w.actor(), window=w.estate, at=TEN)
    assert called.pk == ticket.pk != walk_in.pk


def test_check_in_only_on_the_day_and_before_the_slot_ends():
    w = world()
    impl = f.implementation(region_code=IN)
    who, person = applicant()
    appt = services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=person, at=EIGHT)
    with pytest.raises(Conflict) as early:
        services.check_in(who, appt, at=EIGHT - timedelta(days=1))
    with pytest.raises(Conflict) as late:
        services.check_in(who, appt, at=TEN + timedelta(minutes=31))
    assert (early.value.problems[0].code, late.value.problems[0].code) == ("not_today", "too_late")
    assert Appointment.objects.get(pk=appt.pk).status == "booked" and not QueueTicket.objects.exists()


def test_an_item_without_a_listed_department_queues_in_category_a():
    w = world()
    impl = f.implementation(region_code=IN)
    assert not CategoryDepartment.objects.filter(department=impl.department).exists()
    who, person = applicant()
    appt = services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=person, at=EIGHT)
    assert appt.category == "A"


def test_cancelling_frees_the_place_and_a_cancelled_appointment_cannot_check_in(setting):
    w = world()
    impl = f.implementation(region_code=IN)
    first, person = applicant()
    appt = services.book(first, hall=w.hall, implementation=impl, slot_start=TEN, person=person, at=EIGHT)
    stranger, _ = applicant()
    with pytest.raises(PolicyDenied):
        services.cancel(stranger, appt, at=EIGHT)
    services.cancel(first, appt, at=EIGHT)
    with pytest.raises(Conflict) as wrong:
        services.check_in(first, appt, at=TEN)
    assert wrong.value.problems[0].code == "wrong_state"
    for _ in range(2):
        who, p = applicant()
        services.book(who, hall=w.hall, implementation=impl, slot_start=TEN, person=p, at=EIGHT)
