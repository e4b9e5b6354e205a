"""Front desk API (一窗通办): tickets (/api/v1/queue-tickets/), calling (/api/v1/windows/{id}/call-next/),
the hall's queue and figures (/api/v1/halls/{id}/queue/, /figures/) and appointments (/api/v1/appointments/).

Who may do what (policy rules, the hall's region as the place):

- ``frontdesk.take``, anyone: take a ticket. Booking, checking in and cancelling an appointment are
  declared with it too, because an applicant does them for themself; the command then lets the person
  act on their own appointment and asks ``frontdesk.operate`` of anyone else.
- ``frontdesk.operate``, window clerks: call, recall, start, finish, mark absent, cancel a ticket.
- ``frontdesk.read``, window clerks and supervisors: the queue now and the figures.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.catalog.models import Hall, ItemImplementation, Window
from tongban.core.errors import DomainError, NotFound
from tongban.frontdesk import board, figures, services
from tongban.frontdesk import serializers as s
from tongban.frontdesk.models import Appointment, QueueTicket
from tongban.identity.actor import actor_for
from tongban.identity.denied import require
from tongban.identity.models import Person

TAKE, OPERATE, READ = "frontdesk.take", "frontdesk.operate", "frontdesk.read"
ROLE_HEADER = OpenApiParameter(
    "X-Tongban-Role", str, location=OpenApiParameter.HEADER, required=False, description="assignment id to act in"
)
ID = OpenApiParameter("id", int, location=OpenApiParameter.PATH, description="id of the record")


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def _text(data: Any, name: str) -> str:
    value = data.get(name) if hasattr(data, "get") else None
    return "" if value is None else str(value).strip()


def _id(data: Any, name: str, zh: str, en: str) -> int:
    raw = _text(data, name)
    if not raw:
        raise _fail(name, "required", f"请给出{zh}", f"{en} is required")
    if not raw.isdigit():
        raise _fail(name, "not_integer", f"{zh}应为整数编号", f"{en} must be a whole-number id")
    return int(raw)


def _hall(data: Any) -> Hall:
    hall = Hall.objects.filter(pk=_id(data, "hall", "办事大厅", "the hall")).select_related("region").first()
    if hall is None:
        raise _fail("hall", "unknown", "办事大厅不存在", "no such hall")
    return hall


def _implementation(data: Any, *, required: bool) -> ItemImplementation | None:
    code = _text(data, "implementation")
    if not code:
        if required:
            raise _fail("implementation", "required", "请选择事项", "choose the item")
        return None
    impl = ItemImplementation.objects.filter(implementation_code=code).first()
    if impl is None:
        raise _fail("implementation", "unknown", f"实施编码“{code}”不存在", f"no implementation has code '{code}'")
    return impl


class PlacedByHall:
    """Tickets and appointments are placed by their hall: the object check asks about the hall."""

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, getattr(obj, "hall", obj))  # type: ignore[misc]


def _ticket_command(summary: str) -> Any:
    return extend_schema(
        summary=summary, request=s.EmptySerializer, responses=s.QueueTicketSerializer, parameters=[ID, ROLE_HEADER]
    )


class QueueTicketViewSet(PlacedByHall, viewsets.GenericViewSet):
    """Queue tickets (排队号): taken at the kiosk, moved along by the window that called them."""

    policy = {
        "create": TAKE,
        "recall": OPERATE,
        "start": OPERATE,
        "finish": OPERATE,
        "no_show": OPERATE,
        "cancel": OPERATE,
    }
    serializer_class = s.QueueTicketSerializer
    queryset = QueueTicket.objects.select_related("hall", "window", "implementation")

    def get_object(self) -> QueueTicket:
        pk = str(self.kwargs.get("pk", ""))
        ticket = self.get_queryset().filter(pk=pk).first() if pk.isdigit() else None
        if ticket is None:
            raise NotFound.single("id", "not_found", "排队号不存在", "no such ticket")
        self.check_object_permissions(self.request, ticket)
        return ticket

    @extend_schema(
        summary="Take a ticket (取号) in a queue category of a hall; anyone, at the kiosk",
        request=s.TakeQueueTicketSerializer,
        responses={201: s.TakenQueueTicketSerializer},
    )
    def create(self, request: Request) -> Response:
        actor = actor_for(request)
        d = request.data
        ticket = services.take_ticket(
            actor,
            hall=_hall(d),
            category=_text(d, "category"),
            implementation=_implementation(d, required=False),
            # A logged-in applicant's own ticket is theirs; staff at a kiosk take tickets for others.
            person=actor.person if actor.assignment is None else None,
        )
        ticket.waiting_ahead = services.waiting_ahead(ticket)  # type: ignore[attr-defined]
        return Response(s.TakenQueueTicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    def _run(self, command: Any) -> Response:
        ticket = command(actor_for(self.request), self.get_object())
        return Response(s.QueueTicketSerializer(self.get_queryset().get(pk=ticket.pk)).data)

    @_ticket_command("Call a called ticket's number again (重呼)")
    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk: str) -> Response:
        return self._run(services.recall)

    @_ticket_command("The called visitor came: service starts (开始办理)")
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        return self._run(services.start)

    @_ticket_command("Service ends (办结); the window may call again")
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: str) -> Response:
        return self._run(services.finish)

    @_ticket_command("The called visitor did not come (过号)")
    @action(detail=True, methods=["post"], url_path="no-show", url_name="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        return self._run(services.no_show)

    @_ticket_command("Cancel a waiting ticket")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._run(services.cancel_ticket)


class WindowDeskViewSet(viewsets.GenericViewSet):
    """A window's calls (叫号)."""

    policy = {"call_next": OPERATE}
    queryset = Window.objects.select_related("hall")
    serializer_class = s.QueueTicketSerializer

    @extend_schema(
        summary="Call the next waiting ticket (叫号) of the categories this window serves",
        request=s.EmptySerializer,
        responses=s.QueueTicketSerializer,
        parameters=[ID, ROLE_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="call-next", url_name="call-next")
    def call_next(self, request: Request, pk: str) -> Response:
        window = self.get_object()
        ticket = services.call_next(actor_for(request), window=window)
        return Response(s.QueueTicketSerializer(ticket).data)


class HallDeskViewSet(viewsets.GenericViewSet):
    """A hall's queue now and its figures."""

    policy = {"queue": READ, "figures": READ}
    queryset = Hall.objects.select_related("region")
    serializer_class = s.QueueSerializer

    @extend_schema(
        summary="The hall's queue now: waiting per category, the number at each busy window (no personal data)",
        responses=s.QueueSerializer,
        parameters=[ID, ROLE_HEADER],
    )
    @action(detail=True, methods=["get"])
    def queue(self, request: Request, pk: str) -> Response:
        return Response(s.QueueSerializer(board.queue_now(self.get_object())).data)

    @extend_schema(
        summary="Hall figures: waiting and handling times, tickets per category, no-shows, for a day or range",
        responses=s.FiguresSerializer,
        parameters=[
            ID,
            OpenApiParameter("from", str, description="first day, YYYY-MM-DD (default today)"),
            OpenApiParameter("to", str, description="last day, YYYY-MM-DD (default: the first day)"),
            ROLE_HEADER,
        ],
    )
    @action(detail=True, methods=["get"])
    def figures(self, request: Request, pk: str) -> Response:
        hall = self.get_object()
        params = request.query_params
        first, last = figures.date_range(_text(params, "from"), _text(params, "to"), timezone.localdate())
        return Response(s.FiguresSerializer(figures.hall_figures(hall, first, last)).data)


class AppointmentViewSet(PlacedByHall, viewsets.GenericViewSet):
    """Appointments (预约): booked, checked in on arrival, or cancelled, by the person or a clerk."""

    policy = {"create": TAKE, "check_in": TAKE, "cancel": TAKE}
    queryset = Appointment.objects.select_related("hall", "implementation")
    serializer_class = s.AppointmentSerializer

    def get_object(self) -> Appointment:
        pk = str(self.kwargs.get("pk", ""))
        appt = self.get_queryset().filter(pk=pk).first() if pk.isdigit() else None
        if appt is None:
            raise NotFound.single("id", "not_found", "预约不存在", "no such appointment")
        self.check_object_permissions(self.request, appt)
        return appt

    @extend_schema(
        summary="Book a half-hour slot (预约) for an item: for yourself, or (clerks) for a person",
        request=s.BookSerializer,
        responses={201: s.AppointmentSerializer},
        parameters=[ROLE_HEADER],
    )
    def create(self, request: Request) -> Response:
        actor = actor_for(request)
        d = request.data
        hall = _hall(d)
        person = actor.person
        if _text(d, "person"):
            pid = _id(d, "person", "预约人", "the person")
            if person is None or person.pk != pid:
                # Only a clerk books for someone else; ask before looking the person up.
                require(actor, services.OPERATE, hall, field="person")
                person = Person.objects.filter(pk=pid).first()
                if person is None:
                    raise _fail("person", "unknown", "预约人不存在", "no such person")
        raw = _text(d, "slot_start")
        slot = parse_datetime(raw) if raw else None
        if raw and slot is None:
            raise _fail(
                "slot_start", "invalid_datetime", f"时间“{raw}”应为 ISO 8601 格式", f"'{raw}' is not an ISO 8601 time"
            )
        appt = services.book(
            actor, hall=hall, implementation=_implementation(d, required=True), slot_start=slot, person=person
        )
        return Response(s.AppointmentSerializer(appt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Check in on arrival (签到): gives a ticket that is called before walk-ins",
        request=s.EmptySerializer,
        responses={201: s.QueueTicketSerializer},
        parameters=[ID, ROLE_HEADER],
    )
    @action(detail=True, methods=["post"], url_path="check-in", url_name="check-in")
    def check_in(self, request: Request, pk: str) -> Response:
        ticket = services.check_in(actor_for(request), self.get_object())
        return Response(s.QueueTicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel an appointment before its slot begins",
        request=s.EmptySerializer,
        responses=s.AppointmentSerializer,
        parameters=[ID, ROLE_HEADER],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        appt = services.cancel(actor_for(request), self.get_object())
        return Response(s.AppointmentSerializer(appt).data)
