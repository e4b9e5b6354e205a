"""The front desk over HTTP: the kiosk, a window's calls, the board, appointments and figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories as f
from tests.frontdesk.world import IN, world
from tests.identity import make
from tongban.frontdesk.models import Appointment, QueueTicket

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_kiosk_gives_a_number_to_anyone_and_says_how_many_wait_ahead():
    w = world()
    kiosk = client_for()
    first = kiosk.post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "a"}, format="json")
    second = kiosk.post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "A"}, format="json")
    assert first.status_code == 201, first.content
    assert (first.json()["number"], second.json()["number"]) == ("A001", "A002")
    assert second.json()["waiting_ahead"] == 1
    bad = kiosk.post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "Q"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "category"


def test_a_clerk_calls_serves_and_finishes_and_the_board_follows():
    w = world()
    client_for().post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "B"}, format="json")
    clerk = client_for(w.clerk)
    called = clerk.post(f"/api/v1/windows/{w.estate.pk}/call-next/")
    assert called.status_code == 200, called.content
    ticket = called.json()
    assert (ticket["number"], ticket["window_number"], ticket["status"]) == ("B001", "05", "called")
    board = clerk.get(f"/api/v1/halls/{w.hall.pk}/queue/").json()
    assert board["windows"] == [
        {"window": "05", "window_name": "不动产", "number": "B001", "status": "called", "recalls": 0}
    ]
    assert "person" not in str(board)
    for step, state in (("start", "serving"), ("finish", "done")):
        answer = clerk.post(f"/api/v1/queue-tickets/{ticket['id']}/{step}/")
        assert answer.status_code == 200 and answer.json()["status"] == state
    assert clerk.get(f"/api/v1/halls/{w.hall.pk}/queue/").json()["windows"] == []


def test_finishing_a_waiting_ticket_is_409_and_changes_nothing():
    w = world()
    taken = client_for().post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "A"}, format="json").json()
    answer = client_for(w.clerk).post(f"/api/v1/queue-tickets/{taken['id']}/finish/")
    assert answer.status_code == 409
    error = answer.json()["errors"][0]
    assert error["code"] == "wrong_state" and "等候" in error["message_zh"] and "waiting" in error["message_en"]
    assert QueueTicket.objects.get(pk=taken["id"]).status == "waiting"


def test_wrong_role_or_region_is_refused():
    w = world()
    taken = client_for().post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "A"}, format="json").json()
    supervisor = client_for(make.staff("supervisor", IN))
    assert supervisor.post(f"/api/v1/windows/{w.comprehensive.pk}/call-next/").status_code == 403
    elsewhere = client_for(make.staff("window_clerk", "320500"))
    assert elsewhere.post(f"/api/v1/windows/{w.comprehensive.pk}/call-next/").status_code == 403
    assert elsewhere.post(f"/api/v1/queue-tickets/{taken['id']}/cancel/").status_code == 403
    assert client_for().get(f"/api/v1/halls/{w.hall.pk}/queue/").status_code in (401, 403)
    assert supervisor.get(f"/api/v1/halls/{w.hall.pk}/queue/").status_code == 200
    assert QueueTicket.objects.get().status == "waiting"


def test_an_applicant_books_checks_in_and_gets_a_priority_ticket():
    w = world()
    impl = f.implementation(region_code=IN)
    account = make.applicant()
    me = client_for(account)
    slot = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    booked = me.post(
        "/api/v1/appointments/",
        {"hall": w.hall.pk, "implementation": impl.implementation_code, "slot_start": slot.isoformat()},
        format="json",
    )
    assert booked.status_code == 201, booked.content
    assert booked.json()["status"] == "booked"
    someone = Appointment.objects.get().person_id
    other = client_for(make.applicant())
    assert other.post(f"/api/v1/appointments/{booked.json()['id']}/cancel/").status_code == 403
    refused = other.post(
        "/api/v1/appointments/",
        {
            "hall": w.hall.pk,
            "implementation": impl.implementation_code,
            "slot_start": slot.isoformat(),
            "person": someone,
        },
        format="json",
    )
    assert refused.status_code == 403
    # Checking in is for the day of the slot: tomorrow's appointment is refused today.
    early = me.post(f"/api/v1/appointments/{booked.json()['id']}/check-in/")
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "not_today"
    cancelled = me.post(f"/api/v1/appointments/{booked.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_figures_for_a_day_and_a_bad_range():
    w = world()
    client_for().post("/api/v1/queue-tickets/", {"hall": w.hall.pk, "category": "A"}, format="json")
    supervisor = client_for(make.staff("supervisor", IN))
    today = timezone.localdate().isoformat()
    answer = supervisor.get(f"/api/v1/halls/{w.hall.pk}/figures/", {"from": today})
    assert answer.status_code == 200, answer.content
    assert answer.json()["tickets"] == 1 and answer.json()["per_category"]["A"]["waiting"] == 1
    bad = supervisor.get(f"/api/v1/halls/{w.hall.pk}/figures/", {"from": today, "to": "2020-01-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "to"
