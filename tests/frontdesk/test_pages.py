"""The front desk's pages through the Django test client: a clerk calls and serves at the workbench, the
public board shows numbers and nothing personal, the kiosk gives a ticket with how many wait ahead.

Plain forms, so everything here works without JavaScript. Labels are checked on the English pages
(/en/): the Chinese ones come from the translation catalogue.
"""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client

from tests.cases import make as cases
from tests.cases.conftest import MONDAY, Clock
from tests.frontdesk.world import OUT, ZONE, World, world
from tests.identity import make
from tongban.frontdesk import services
from tongban.frontdesk.models import QueueTicket
from tongban.identity.actor import Actor
from tongban.identity.models import Person, PersonalDataAccess

pytestmark = pytest.mark.django_db
KIOSK = Actor()  # nobody logged in


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    """A Monday morning in 信阳, so the queue's day and the case deadlines do not depend on today."""
    now = Clock(MONDAY)
    with mock.patch("django.utils.timezone.now", now):
        yield now


@pytest.fixture
def w() -> World:
    return world()


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def press(client: Client, window_id: int, action: str, ticket: QueueTicket | None = None, lang: str = "") -> str:
    """Press a workbench button and follow the redirect back, as a browser does."""
    url = f"{lang}/frontdesk/windows/{window_id}/actions/{action}/"
    response = client.post(url, {"ticket": ticket.pk} if ticket else {})
    assert response.status_code == 302, (url, response.status_code, response.content.decode()[:2000])
    assert response["Location"] == f"{lang}/frontdesk/windows/{window_id}/"
    return page(client, response["Location"])


def text_of(html: str, ident: str) -> str:
    """The text inside the element with this id (its tags dropped)."""
    found = re.search(rf'id="{ident}"[^>]*>(.*?)</(?:p|dd|div|section|td|span)>', html, re.S)
    assert found, ident
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def buttons(html: str) -> list[str]:
    return re.findall(r'data-action="([^"]+)"', html)


def take(w: World, category: str = "A", **kw) -> QueueTicket:  # type: ignore[no-untyped-def]
    return services.take_ticket(KIOSK, hall=w.hall, category=category, **kw)


# --- the workbench -----------------------------------------------------------------------------------


def test_the_clerk_finds_the_window_calls_the_next_ticket_and_sees_its_number(client, w):
    first, _second = take(w), take(w)
    client.force_login(w.clerk)
    windows = page(client, "/frontdesk/")
    assert f'href="/frontdesk/windows/{w.comprehensive.pk}/"' in windows
    assert f'href="/frontdesk/halls/{w.hall.pk}/board/"' in windows

    before = page(client, f"/frontdesk/windows/{w.comprehensive.pk}/")
    assert buttons(before) == ["call-next"]
    assert 'id="no-ticket"' in before
    html = press(client, w.comprehensive.pk, "call-next")
    assert text_of(html, "current-number") == first.number == "A001"
    assert "A001" in text_of(html, "flash")
    assert re.search(r'data-category="A">1<', html), "one still waits in A"
    assert buttons(html) == ["recall", "start", "no-show"]
    first.refresh_from_db()
    assert (first.status, first.window_id) == ("called", w.comprehensive.pk)


def test_the_clerk_recalls_starts_and_finishes_then_the_window_is_free(client, w):
    take(w)
    client.force_login(w.clerk)
    called = QueueTicket.objects.get(pk=services.call_next(w.actor(), window=w.comprehensive).pk)

    html = press(client, w.comprehensive.pk, "recall", called, lang="/en")
    assert "called again once" in text_of(html, "current-status")
    html = press(client, w.comprehensive.pk, "start", called, lang="/en")
    assert text_of(html, "current-status").startswith("being served")
    assert buttons(html) == ["finish"]
    html = press(client, w.comprehensive.pk, "finish", called)
    assert 'id="no-ticket"' in html and buttons(html) == ["call-next"]
    called.refresh_from_db()
    assert (called.status, called.recalls) == ("done", 1)
    assert called.started_at is not None and called.finished_at is not None


def test_a_called_visitor_who_does_not_come_is_marked_absent(client, w):
    take(w)
    client.force_login(w.clerk)
    called = services.call_next(w.actor(), window=w.comprehensive)
    html = press(client, w.comprehensive.pk, "no-show", called)
    assert 'id="no-ticket"' in html
    called.refresh_from_db()
    assert called.status == "no_show"


def test_a_refused_command_shows_its_reason_on_the_page_and_changes_nothing(client, w):
    client.force_login(w.clerk)
    # Nobody waits: the command's own words, in Chinese by default and in English under /en/.
    html = press(client, w.comprehensive.pk, "call-next")
    assert "当前无人等候" in text_of(html, "error-summary")
    html = press(client, w.comprehensive.pk, "call-next", lang="/en")
    assert "nobody is waiting" in text_of(html, "error-summary")
    # The output window calls no queue at all.
    take(w)
    html = press(client, w.output.pk, "call-next", lang="/en")
    assert "calls no queue" in text_of(html, "error-summary")
    # A stale page: finishing a ticket that was only called names its state and what is possible.
    called = services.call_next(w.actor(), window=w.comprehensive)
    html = press(client, w.comprehensive.pk, "finish", called, lang="/en")
    assert "cannot finish now" in text_of(html, "error-summary")
    assert text_of(html, "current-number") == called.number
    called.refresh_from_db()
    assert called.status == "called"
    # A ticket that is not at this window is not touched through it.
    html = press(client, w.estate.pk, "start", called, lang="/en")
    assert "does not hold this ticket" in text_of(html, "error-summary")
    called.refresh_from_db()
    assert called.status == "called"


def test_a_clerk_of_another_region_is_refused_and_nothing_is_called(client, w):
    waiting = take(w)
    client.force_login(make.staff("window_clerk", OUT))
    page(client, f"/frontdesk/windows/{w.comprehensive.pk}/", status=403)
    response = client.post(f"/frontdesk/windows/{w.comprehensive.pk}/actions/call-next/")
    assert response.status_code == 403
    assert f"/frontdesk/windows/{w.comprehensive.pk}/" not in page(client, "/frontdesk/")
    waiting.refresh_from_db()
    assert waiting.status == "waiting"


def test_the_workbench_needs_a_login_and_a_window_clerk(client, w):
    response = client.get(f"/frontdesk/windows/{w.comprehensive.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make.staff("reviewer"))
    page(client, f"/frontdesk/windows/{w.comprehensive.pk}/", status=403)
    page(client, "/frontdesk/", status=403)
    assert 'href="/frontdesk/"' not in page(client, "/cases/queue/")
    client.force_login(w.clerk)
    page(client, "/frontdesk/windows/999999/", status=404)


def test_a_ticket_naming_a_person_shows_their_open_cases_with_the_id_number_masked(client, w):
    c = cases.world()
    case = cases.online(c)
    closed = cases.online(c)
    from tongban.cases import services as case_services

    case_services.withdraw(c.actor("applicant"), closed, reason="不办了")
    person = Person.objects.get(user=c.applicant)
    ticket = take(w, person=person)
    services.call_next(w.actor(), window=w.comprehensive)
    client.force_login(w.clerk)
    html = page(client, f"/frontdesk/windows/{w.comprehensive.pk}/")
    assert text_of(html, "current-number") == ticket.number
    assert person.id_number not in html
    assert person.id_number[-4:] in text_of(html, "current-person")
    assert f'href="/cases/{case.number}/"' in html
    assert closed.number not in html
    assert PersonalDataAccess.objects.filter(user=w.clerk, person=person).exists()


def test_an_appointment_called_first_shows_its_item(client, w):
    take(w)
    impl = cases.world().implementation
    person = make.person()
    appt = services.book(
        w.actor(), hall=w.hall, implementation=impl, slot_start=MONDAY + timedelta(hours=1), person=person
    )
    checked_in = services.check_in(w.actor(), appt)
    client.force_login(w.clerk)
    html = press(client, w.comprehensive.pk, "call-next", lang="/en")
    assert text_of(html, "current-number") == checked_in.number
    assert impl.current_version.name in html and "checked in on time" in html


def test_the_workbench_reads_in_english_and_links_to_window_intake(client, w):
    client.force_login(w.clerk)
    html = page(client, f"/en/frontdesk/windows/{w.comprehensive.pk}/")
    assert '<html lang="en"' in html
    for label in ["Window 01 · 综合受理", "At this window now", "Call the next ticket", "Waiting in the hall"]:
        assert label in html
    assert 'href="/en/cases/intake/"' in html
    assert "<form" in html and "csrfmiddlewaretoken" in html
    # The case menu leads a window clerk here.
    assert 'href="/en/frontdesk/"' in page(client, "/en/cases/queue/")


# --- the public board --------------------------------------------------------------------------------


def test_the_board_shows_numbers_at_windows_and_nothing_personal(w):
    person = make.person(name="王小明")
    take(w, person=person)
    take(w)
    take(w, "B")
    called = services.call_next(w.actor(), window=w.comprehensive)
    services.recall(w.actor(), called)
    anonymous = Client()
    html = page(anonymous, f"/en/frontdesk/halls/{w.hall.pk}/board/")
    assert "A001" in html and "Window 01" in html and "called again" in html
    assert "王小明" not in html and "王*" not in html
    assert person.id_number not in html and person.id_number[-4:] not in html
    assert re.search(r'data-category="A">1 waiting<', html) and re.search(r'data-category="B">1 waiting<', html)
    response = anonymous.get(f"/frontdesk/halls/{w.hall.pk}/board/")
    assert response["Refresh"] == "10"
    assert "Refresh" not in anonymous.get(f"/frontdesk/halls/{w.hall.pk}/board/?refresh=0")


def test_the_board_of_an_unknown_hall_is_not_found(client):
    page(client, "/frontdesk/halls/999999/board/", status=404)


# --- the kiosk ---------------------------------------------------------------------------------------


def test_the_kiosk_gives_a_ticket_with_how_many_wait_ahead(client, w):
    take(w, "B"), take(w, "B"), take(w, "A")
    html = page(client, f"/en/frontdesk/halls/{w.hall.pk}/take/")
    assert 'name="category" value="B"' in html and "real estate" in html
    response = client.post(f"/en/frontdesk/halls/{w.hall.pk}/take/", {"category": "B"})
    assert response.status_code == 302
    html = page(client, response["Location"])
    assert text_of(html, "ticket-number") == "B003"
    assert text_of(html, "ticket-ahead") == "2 people"
    assert "09:00" in html  # when it was taken
    assert QueueTicket.objects.filter(number="B003", status="waiting").count() == 1


def test_the_kiosk_refuses_an_unknown_category_on_the_page(client, w):
    response = client.post(f"/en/frontdesk/halls/{w.hall.pk}/take/", {"category": "Z"})
    assert response.status_code == 400
    assert "is not a queue category" in response.content.decode()
    assert not QueueTicket.objects.exists()


def test_a_ticket_link_that_was_altered_shows_no_ticket(client, w):
    client.post(f"/frontdesk/halls/{w.hall.pk}/take/", {"category": "A"})
    other = take(w)
    page(client, f"/frontdesk/halls/{w.hall.pk}/take/?ticket={other.pk}:forged", status=404)


def test_a_supervisor_reads_the_hall_figures_with_cases_per_department(client, w):
    c = cases.world()
    case = cases.online(c)  # arrives in 411500 today, for c's department
    take(w)
    services.call_next(w.actor(), window=w.comprehensive)
    client.force_login(make.staff("supervisor", "410000", descendants=True))
    day = case.arrived_at.astimezone(ZONE).date().isoformat()
    html = page(client, f"/frontdesk/halls/{w.hall.pk}/figures/?from={day}&to={day}")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td>", html.split('id="per-department"')[1])
    assert (c.department.name, "1") in rows
    bad = client.get(f"/frontdesk/halls/{w.hall.pk}/figures/", {"from": "2026-13-01"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.content.decode()
    client.force_login(make.applicant())
    page(client, f"/frontdesk/halls/{w.hall.pk}/figures/", status=403)


def test_the_workbench_shows_the_called_persons_life_event_applications(client, w):
    from tests.bundles.test_create_bundle import impl
    from tongban.bundles import services as bundles
    from tongban.bundles.services import applications
    from tongban.catalog.models import Region
    from tongban.identity.actor import SYSTEM

    first, second = impl("出生医学证明签发"), impl("新生儿入户")
    bundle = bundles.create_bundle(
        SYSTEM,
        code="wb-birth",
        name="新生儿出生一件事",
        region=Region.objects.get(code="411500"),
        lead_department=first.department,
        promised_limit=5,
        items=[{"key": "cert", "implementation": first}, {"key": "hukou", "implementation": second}],
        dependencies=[("hukou", "cert")],
    )
    bundles.publish(SYSTEM, bundle)
    person = make.person()
    application = applications.start(w.actor(), bundle.code, person=person, identity_check="身份证原件")
    take(w, person=person)
    services.call_next(w.actor(), window=w.comprehensive)
    client.force_login(w.clerk)
    html = page(client, f"/frontdesk/windows/{w.comprehensive.pk}/")
    assert f'href="/bundles/applications/{application.number}/"' in html
