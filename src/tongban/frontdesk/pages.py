"""The front desk's pages (一窗通办): a window clerk's workbench (叫号 and serving), the hall's public
queue board (叫号屏) and the kiosk where visitors take a ticket (取号).

Changes go through the commands of ``tongban.frontdesk.services``; a page reads, calls a command with
what its form sent and shows the command's refusal. Forms are plain HTML forms (POST, then a redirect
to GET), so every page works without JavaScript. The workbench's buttons send nothing to correct, so a
refusal comes back as a message on the redirected page rather than a re-rendered form: reloading it
never repeats a call.

The board and the kiosk are public and say nothing about anyone: numbers, categories and windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tongban.bundles.models import BundleCase, BundleCaseStatus
from tongban.cases.choices import CLOSED
from tongban.cases.models import Case
from tongban.cases.pages.common import errors_from, role_needed, visible_cases
from tongban.catalog.models import Hall, ItemImplementation, Window
from tongban.core.errors import DomainError
from tongban.frontdesk import board as queue_board
from tongban.frontdesk import figures as hall_figures
from tongban.frontdesk import services
from tongban.frontdesk.choices import AT_WINDOW, TICKET_MOVES, Category, TicketStatus
from tongban.frontdesk.models import QueueTicket
from tongban.identity import services as identity
from tongban.identity.actor import Actor, actor_for
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.models import Person
from tongban.identity.policy import is_own, may, visible
from tongban.web.views import not_found

OPERATE = services.OPERATE
# The board reloads itself this often (seconds): often enough that a called visitor sees their number
# before the clerk gives up on them, rarely enough that a screen reader can read the page between loads.
BOARD_REFRESH_SECONDS = 10
TICKET_SALT = "tongban.frontdesk.ticket"
SERVING_REASON = "窗口叫号接待 / serving a called ticket at the window"
SHOWN_FIELDS = ["name (masked)", "id_number (masked)", "open cases"]

# The workbench's buttons: the address part of each, the lifecycle action it performs and its label.
# Which ones a ticket offers is read from the lifecycle table (TICKET_MOVES), so the page cannot offer
# what the command would refuse for the ticket's state.
ACTIONS: dict[str, str] = {
    "call-next": "call",
    "recall": "recall",
    "start": "start",
    "finish": "finish",
    "no-show": "no_show",
}
ACTION_LABELS: dict[str, Any] = {
    "call-next": gettext_lazy("Call the next ticket"),
    "recall": gettext_lazy("Call again"),
    "start": gettext_lazy("Start serving"),
    "finish": gettext_lazy("Finish serving"),
    "no-show": gettext_lazy("Did not come"),
}
_PRIMARY = {"call-next", "start", "finish"}


@dataclass
class Button:
    name: str
    label: str
    primary: bool


def offered(ticket: QueueTicket | None) -> list[Button]:
    """The buttons for the window's ticket: calling when the window is free, else the ticket's moves."""
    if ticket is None:
        names = ["call-next"]
    else:
        names = [n for n, a in ACTIONS.items() if a != "call" and ticket.status in TICKET_MOVES[a].sources]
    return [Button(n, str(ACTION_LABELS[n]), n in _PRIMARY) for n in names]


def flash(request: HttpRequest) -> dict[str, list[str]]:
    """The messages left by the last POST, refusals apart from what went well (the base shows both)."""
    shown: dict[str, list[str]] = {"flash_errors": [], "flash_done": []}
    for message in messages.get_messages(request):
        shown["flash_errors" if message.level == messages.ERROR else "flash_done"].append(str(message))
    return shown


def item_name(implementation: ItemImplementation | None) -> str:
    if implementation is None:
        return ""
    version = implementation.current_version
    return version.name if version is not None else implementation.item.name


def category_name(letter: str) -> str:
    try:
        return str(Category(letter).label)
    except ValueError:
        return letter


# --- the window clerk's workbench -------------------------------------------------------------------


def _window(window_id: int) -> Window | None:
    return Window.objects.select_related("hall", "hall__region").filter(pk=window_id).first()


def _window_not_found(request: HttpRequest) -> HttpResponse:
    return not_found(request, _("There is no window with this number."))


def _at_window(window: Window) -> QueueTicket | None:
    return (
        QueueTicket.objects.filter(window=window, status__in=AT_WINDOW)
        .select_related("implementation__item", "implementation__current_version", "person")
        .first()
    )


def _open_bundle_cases(actor: Actor, person: Person) -> QuerySet[BundleCase]:
    """The person's 一件事 applications not yet completed that the clerk may read."""
    qs = BundleCase.objects.filter(applicant_person=person).exclude(
        status__in=(BundleCaseStatus.COMPLETED, BundleCaseStatus.REFUSED)
    )
    return visible(actor, "case.read", qs.select_related("bundle")).order_by("-created_at", "-id")


def _open_cases(actor: Actor, person: Person) -> QuerySet[Case]:
    """The person's cases still open that the clerk may read (a draft stays the applicant's own)."""
    qs = Case.objects.filter(applicant_person=person).exclude(status__in=CLOSED)
    return visible_cases(actor, qs).order_by("-created_at", "-id")


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """/frontdesk/: the windows of the halls in the clerk's region, each linking to its workbench."""
    actor = actor_for(request)
    operates = may(actor, OPERATE)
    # Supervisors come for the hall figures: they read the halls of their scope without calling anyone.
    rule = OPERATE if operates else "frontdesk.read"
    decision = operates or may(actor, rule)
    if not decision:
        return role_needed(request, actor, operates.reason)
    halls = visible(actor, rule, Hall.objects.select_related("region").prefetch_related("windows"))
    context = {"halls": list(halls.order_by("region_id", "name")), "operates": bool(operates), **flash(request)}
    return render(request, "frontdesk/index.html", context)


@login_required
@require_safe
def workbench(request: HttpRequest, window_id: int) -> HttpResponse:
    actor = actor_for(request)
    window = _window(window_id)
    if window is None:
        return _window_not_found(request)
    decision = may(actor, OPERATE, window)
    if not decision:
        return role_needed(request, actor, decision.reason)
    ticket = _at_window(window)
    person = ticket.person if ticket is not None else None
    cases = list(_open_cases(actor, person)) if person is not None else []
    if person is not None and not is_own(actor, person):
        identity.log_personal_data_access(
            actor, record=person, person=person, fields=SHOWN_FIELDS, reason=SERVING_REASON
        )
    calls = services.categories_of(window)
    queue = queue_board.queue_now(window.hall)
    context = {
        "window": window,
        "hall": window.hall,
        "ticket": ticket,
        "ticket_item": item_name(ticket.implementation) if ticket else "",
        "ticket_category": category_name(ticket.category) if ticket else "",
        "person_name": mask_name(person.name) if person else "",
        "person_number": mask_id_number(person.id_number) if person else "",
        "cases": cases,
        "bundle_cases": list(_open_bundle_cases(actor, person)) if person is not None else [],
        "buttons": offered(ticket),
        "calls": [(letter, category_name(letter)) for letter in calls],
        "categories": [{**row, "called_here": row["category"] in calls} for row in queue["categories"]],
        **flash(request),
    }
    return render(request, "frontdesk/workbench.html", context)


def _run(actor: Actor, window: Window, name: str, ticket_id: Any) -> QueueTicket:
    if name == "call-next":
        return services.call_next(actor, window=window)
    # The ticket the page showed: a stale page (another tab, a double click) must not act on whatever
    # the window holds now; the command then says what state the shown ticket is in.
    pk = str(ticket_id or "").strip()
    ticket = QueueTicket.objects.filter(pk=pk, window=window).first() if pk.isdigit() else None
    if ticket is None:
        raise DomainError.single(
            "ticket",
            "not_at_window",
            f"窗口{window.number}没有这个排队号，请刷新页面后再操作",
            f"window {window.number} does not hold this ticket; reload the page and try again",
            409,
        )
    command = {
        "recall": services.recall,
        "start": services.start,
        "finish": services.finish,
        "no-show": services.no_show,
    }[name]
    return command(actor, ticket)


@login_required
@require_POST
def act(request: HttpRequest, window_id: int, action: str) -> HttpResponse:
    actor = actor_for(request)
    window = _window(window_id)
    if window is None or action not in ACTIONS:
        return _window_not_found(request)
    decision = may(actor, OPERATE, window)
    if not decision:
        return role_needed(request, actor, decision.reason)
    try:
        ticket = _run(actor, window, action, request.POST.get("ticket"))
    except DomainError as exc:
        for message in errors_from(exc).all():
            messages.error(request, message)
    else:
        if action == "call-next":
            messages.success(request, _("Called %(number)s to this window.") % {"number": ticket.number})
        else:
            messages.success(
                request,
                _("Ticket %(number)s: %(action)s.") % {"number": ticket.number, "action": ACTION_LABELS[action]},
            )
    return HttpResponseRedirect(reverse("frontdesk:workbench", args=[window.pk]))


# --- 叫号屏: the public queue board ------------------------------------------------------------------


def _hall(hall_id: int) -> Hall | None:
    return Hall.objects.select_related("region").filter(pk=hall_id).first()


def _hall_not_found(request: HttpRequest) -> HttpResponse:
    return not_found(request, _("There is no service hall with this number."))


@never_cache
@require_safe
def board(request: HttpRequest, hall_id: int) -> HttpResponse:
    """Anyone, on the hall's screen or a phone: the numbers at the windows and how many wait."""
    hall = _hall(hall_id)
    if hall is None:
        return _hall_not_found(request)
    queue = queue_board.queue_now(hall)
    # Someone reading the board with a screen reader, or zoomed in, can stop the reloading (WCAG 2.2.1).
    refreshing = request.GET.get("refresh") != "0"
    context = {
        "hall": hall,
        "windows": queue["windows"],
        "categories": queue["categories"],
        "updated": timezone.localtime(),
        "refreshing": refreshing,
        "refresh_seconds": BOARD_REFRESH_SECONDS,
    }
    response = render(request, "frontdesk/board.html", context)
    if refreshing:
        # The HTTP form of <meta http-equiv="refresh">: the base layout has no slot in <head> for it.
        response["Refresh"] = str(BOARD_REFRESH_SECONDS)
    return response


# --- 取号: the kiosk --------------------------------------------------------------------------------


def ticket_token(ticket: QueueTicket) -> str:
    """What the kiosk's address carries after taking: the ticket, signed, so numbers cannot be walked."""
    return signing.Signer(salt=TICKET_SALT).sign(str(ticket.pk))


def _shown_ticket(hall: Hall, token: str) -> QueueTicket | None:
    try:
        pk = signing.Signer(salt=TICKET_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return QueueTicket.objects.select_related("window").filter(pk=pk, hall=hall).first()


@require_http_methods(["GET", "HEAD", "POST"])
def kiosk(request: HttpRequest, hall_id: int) -> HttpResponse:
    """Anyone: choose a category, take a ticket, see it with how many wait ahead."""
    hall = _hall(hall_id)
    if hall is None:
        return _hall_not_found(request)
    here = reverse("frontdesk:kiosk", args=[hall.pk])
    errors = None
    status = 200
    if request.method == "POST":
        actor = actor_for(request)
        try:
            ticket = services.take_ticket(
                actor,
                hall=hall,
                category=request.POST.get("category", ""),
                # A logged-in applicant's own ticket is theirs; staff at a kiosk take tickets for others.
                person=actor.person if actor.assignment is None else None,
            )
        except DomainError as exc:
            errors = errors_from(exc, set())
            status = exc.status
        else:
            return HttpResponseRedirect(f"{here}?{urlencode({'ticket': ticket_token(ticket)})}")
    ticket = None
    token = request.GET.get("ticket", "")
    if token and request.method != "POST":
        ticket = _shown_ticket(hall, token)
        if ticket is None:
            return not_found(request, _("There is no such ticket in this hall."))
    queue = queue_board.queue_now(hall)
    context = {
        "hall": hall,
        "ticket": ticket,
        "ticket_category": category_name(ticket.category) if ticket else "",
        "ahead": services.waiting_ahead(ticket) if ticket else 0,
        "waiting": ticket is not None and ticket.status == TicketStatus.WAITING,
        "categories": queue["categories"],
        "page_errors": errors,
    }
    return render(request, "frontdesk/kiosk.html", context, status=status)


@login_required
@require_safe
def figures(request: HttpRequest, hall_id: int) -> HttpResponse:
    """大厅效能 for supervisors: waiting and handling times, tickets per category, cases per department."""
    actor = actor_for(request)
    hall = _hall(hall_id)
    if hall is None:
        return _hall_not_found(request)
    decision = may(actor, "frontdesk.read", hall)
    if not decision:
        return role_needed(request, actor, decision.reason)
    errors = None
    today = timezone.localdate()
    try:
        first, last = hall_figures.date_range(request.GET.get("from"), request.GET.get("to"), today)
    except DomainError as exc:
        errors = errors_from(exc, {"from", "to"})
        first = last = today
    context = {
        "hall": hall,
        "figures": hall_figures.hall_figures(hall, first, last),
        "categories": {c.value: str(c.label) for c in Category},
        "errors": errors,
        "values": request.GET,
    }
    return render(request, "frontdesk/figures.html", context, status=errors.status if errors else 200)
