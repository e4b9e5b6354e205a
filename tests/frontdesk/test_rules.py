"""The worker's rule for appointments never checked in: past the slot and its grace they are no-shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories as f
from tests.frontdesk.world import IN, World, local, world
from tests.identity import make
from tongban.core.errors import Conflict
from tongban.frontdesk import services
from tongban.frontdesk.models import Appointment
from tongban.frontdesk.services import GRACE_MINUTES, mark_missed_appointments

pytestmark = pytest.mark.django_db
EIGHT = local(2026, 3, 2, 8, 0)
TEN = local(2026, 3, 2, 10, 0)  # slots of 30 minutes: this one ends at 10:30


def booked(w: World, slot: object = TEN) -> Appointment:
    impl = f.implementation(region_code=IN)
    return services.book(w.actor(), hall=w.hall, implementation=impl, slot_start=slot, person=make.person(), at=EIGHT)


def status(appt: Appointment) -> str:
    appt.refresh_from_db()
    return appt.status


def test_a_booked_appointment_past_its_slot_and_the_grace_becomes_a_no_show():
    w = world()
    missed = booked(w)
    after = TEN + timedelta(minutes=30 + GRACE_MINUTES + 1)
    assert mark_missed_appointments(now=after) == 1
    assert status(missed) == "no_show"
    # A no-show is final: it cannot be checked in any more.
    with pytest.raises(Conflict):
        services.check_in(w.actor(), missed, at=after)


def test_a_slot_not_yet_over_or_within_the_grace_is_left_booked():
    w = world()
    appt = booked(w)
    for now in (TEN + timedelta(minutes=10), TEN + timedelta(minutes=30 + GRACE_MINUTES - 1)):
        assert mark_missed_appointments(now=now) == 0
        assert status(appt) == "booked"


def test_checked_in_and_cancelled_appointments_are_left_as_they_are():
    w = world()
    came = booked(w)
    services.check_in(w.actor(), came, at=TEN + timedelta(minutes=5))
    cancelled = booked(w, TEN + timedelta(minutes=30))
    services.cancel(w.actor(), cancelled, at=EIGHT)
    assert mark_missed_appointments(now=TEN + timedelta(hours=3)) == 0
    assert (status(came), status(cancelled)) == ("checked_in", "cancelled")


def test_a_second_run_changes_nothing():
    w = world()
    first, second = booked(w), booked(w, TEN + timedelta(minutes=30))
    later = TEN + timedelta(hours=3)
    assert mark_missed_appointments(now=later) == 2
    assert mark_missed_appointments(now=later) == 0
    assert [status(first), status(second)] == ["no_show", "no_show"]
