"""Front desk commands (一窗通办): take a ticket (取号), call the next one to a window (叫号), serve it,
book an appointment (预约), check in on arrival, cancel.

Each command takes the actor first, asks the policy (``frontdesk.take``, ``frontdesk.operate``; a hall,
its windows and tickets are placed by the hall's region), checks the state (409 naming what is possible)
and its input (400 naming the field), and writes in one transaction. Nothing is written on refusal.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tongban.catalog.choices import WindowKind
from tongban.catalog.models import Hall, ItemImplementation, Window
from tongban.config import env
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.core.messages import Text
from tongban.frontdesk import hours
from tongban.frontdesk.choices import (
    ACTION_NAMES,
    AT_WINDOW,
    CATEGORY_NAMES,
    STATE_NAMES,
    TICKET_MOVES,
    AppointmentStatus,
    Category,
    Priority,
    TicketStatus,
)
from tongban.frontdesk.models import Appointment, CategoryDepartment, QueueTicket, TicketCounter
from tongban.identity.actor import Actor
from tongban.identity.denied import require
from tongban.identity.models import Person

TAKE, OPERATE = "frontdesk.take", "frontdesk.operate"
# Slots start on the hour and the half hour; a booking names the start of one.
SLOT_MINUTES = 30
# Window kinds that call every category: they accept any item of any department in the hall.
_ALL_CATEGORIES = (WindowKind.COMPREHENSIVE, WindowKind.CROSS_REGION)


def slot_capacity() -> int:
    """Places per appointment slot in a hall (TONGBAN_APPOINTMENT_SLOT_CAPACITY; a test may set it in settings)."""
    configured = getattr(settings, "TONGBAN_APPOINTMENT_SLOT_CAPACITY", None)
    return int(configured if configured is not None else env("TONGBAN_APPOINTMENT_SLOT_CAPACITY"))


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def _name(table: dict[str, tuple[str, str]], key: str) -> Text:
    zh, en = table.get(key, (key, key))
    return Text(zh, en)


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


# --- categories --------------------------------------------------------------------------------------


def parse_category(value: str | None, field: str = "category") -> str:
    """A category letter, upper-cased; DomainError naming the field otherwise."""
    letter = (value or "").strip().upper()
    if letter not in Category.values:
        listed = "、".join(f"{c} {zh}" for c, (zh, _) in CATEGORY_NAMES.items())
        raise _fail(
            field,
            "invalid_choice",
            f"排队类别“{value or ''}”无效，可选：{listed}",
            f"'{value or ''}' is not a queue category; choose from {', '.join(Category.values)}",
        )
    return letter


def categories_of(window: Window) -> list[str]:
    """What a window calls: every category at a comprehensive or cross-region window; at a department
    window the categories its departments are listed under; nothing at the unified output window, which
    hands out results rather than taking applications."""
    if window.kind in _ALL_CATEGORIES:
        return list(Category.values)
    if window.kind == WindowKind.OUTPUT:
        return []
    rows = CategoryDepartment.objects.filter(department__in=window.departments.all())
    return sorted(set(rows.values_list("category", flat=True)))


def category_for(implementation: ItemImplementation) -> str:
    """The queue an item's visitors join: its department's first listed category, else A (综合受理)."""
    row = CategoryDepartment.objects.filter(department_id=implementation.department_id).order_by("category").first()
    return row.category if row else Category.GENERAL


# --- tickets -----------------------------------------------------------------------------------------


def _hall(hall: Hall | int) -> Hall:
    pk = hall.pk if isinstance(hall, Hall) else hall
    found = Hall.objects.select_related("region").filter(pk=pk).first()
    if found is None:
        raise _fail("hall", "unknown", "办事大厅不存在", "no such hall")
    return found


def _issue(
    hall: Hall,
    letter: str,
    now: datetime,
    *,
    implementation: ItemImplementation | None = None,
    person: Person | None = None,
    appointment: Appointment | None = None,
    priority: int = Priority.NORMAL,
) -> QueueTicket:
    """The next number of the hall's category today. The counter row is locked until the transaction
    ends, so two kiosks never print the same number; a day's first ticket creates the row."""
    day = timezone.localdate(now)
    counter, _ = TicketCounter.objects.select_for_update().get_or_create(hall=hall, category=letter, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return QueueTicket.objects.create(
        hall=hall,
        day=day,
        category=letter,
        number=f"{letter}{counter.last:03d}",
        implementation=implementation,
        person=person,
        appointment=appointment,
        priority=priority,
        taken_at=now,
    )


@transaction.atomic
def take_ticket(
    actor: Actor,
    *,
    hall: Hall | int,
    category: str,
    implementation: ItemImplementation | None = None,
    person: Person | None = None,
    at: datetime | None = None,
) -> QueueTicket:
    """取号: a ticket in ``category`` of the hall's queue today (at the kiosk, so anyone may)."""
    place = _hall(hall)
    require(actor, TAKE, place)
    letter = parse_category(category)
    return _issue(place, letter, _now(at), implementation=implementation, person=person)


def waiting_ahead(ticket: QueueTicket) -> int:
    """How many tickets of the same category would be called before this one, were it called now."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    same = QueueTicket.objects.filter(
        hall_id=ticket.hall_id, day=ticket.day, category=ticket.category, status=TicketStatus.WAITING
    )
    before = same.filter(priority__gt=ticket.priority) | same.filter(
        priority=ticket.priority, taken_at__lt=ticket.taken_at
    )
    return before.count()


def _window(window: Window | int) -> Window:
    pk = window.pk if isinstance(window, Window) else window
    found = Window.objects.select_related("hall").filter(pk=pk).first()
    if found is None:
        raise NotFound.single("window", "not_found", "窗口不存在", "no such window")
    return found


def _busy(window: Window) -> None:
    held = QueueTicket.objects.filter(window=window, status__in=AT_WINDOW).first()
    if held is not None:
        raise Conflict.single(
            "window",
            "window_busy",
            f"窗口{window.number}还在接待{held.number}号，请先办结或记为未到",
            f"window {window.number} still has ticket {held.number}; finish it or mark it absent first",
        )


@transaction.atomic
def call_next(actor: Actor, *, window: Window | int, at: datetime | None = None) -> QueueTicket:
    """叫号: give the window the next waiting ticket of the categories it calls, appointments first and
    then in the order taken. Two windows calling at once never get the same ticket: on PostgreSQL each
    skips the rows the other has locked; everywhere the claim is an update that only a waiting ticket
    passes, so a ticket taken from under a caller sends it on to the next one."""
    counter = _window(window)
    require(actor, OPERATE, counter)
    _busy(counter)
    letters = categories_of(counter)
    if not letters:
        raise Conflict.single(
            "window",
            "no_categories",
            f"窗口{counter.number}不叫号：统一出件窗口不排队，部门窗口须先为其部门设定排队类别",
            f"window {counter.number} calls no queue: output windows take no tickets, and a department "
            "window's departments need a queue category first",
        )
    now = _now(at)
    queue = QueueTicket.objects.filter(
        hall_id=counter.hall_id, day=timezone.localdate(now), status=TicketStatus.WAITING, category__in=letters
    ).order_by("-priority", "taken_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        queue = queue.select_for_update(skip_locked=True)
    # One row at a time: locking several at once would hide them all from the other window.
    passed: list[int] = []
    while (candidate := queue.exclude(pk__in=passed).first()) is not None:
        claimed = QueueTicket.objects.filter(pk=candidate.pk, status=TicketStatus.WAITING).update(
            status=TicketStatus.CALLED, window=counter, called_at=now, called_by_id=actor.user_id
        )
        if claimed:
            return QueueTicket.objects.select_related("window", "hall").get(pk=candidate.pk)
        passed.append(candidate.pk)
    raise Conflict.single(
        "window",
        "queue_empty",
        f"窗口{counter.number}可叫的类别（{'、'.join(letters)}）当前无人等候",
        f"nobody is waiting in the categories window {counter.number} calls ({', '.join(letters)})",
    )


def _lock_ticket(ticket: QueueTicket | int) -> QueueTicket:
    pk = ticket.pk if isinstance(ticket, QueueTicket) else ticket
    found = QueueTicket.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound.single("ticket", "not_found", "排队号不存在", "no such ticket")
    return found


def _move(actor: Actor, ticket: QueueTicket | int, action: str) -> QueueTicket:
    locked = _lock_ticket(ticket)
    require(actor, OPERATE, locked.hall)
    move = TICKET_MOVES[action]
    if locked.status not in move.sources:
        now, wanted = _name(STATE_NAMES, locked.status), _name(ACTION_NAMES, action)
        possible = [_name(ACTION_NAMES, a) for a, m in TICKET_MOVES.items() if locked.status in m.sources]
        listed = Text("、".join(p.zh for p in possible) or "无", ", ".join(p.en for p in possible) or "none")
        raise Conflict.single(
            "status",
            "wrong_state",
            f"{locked.number}号当前状态为“{now.zh}”，不能{wanted.zh}（此状态可：{listed.zh}）",
            f"ticket {locked.number} is '{now.en}'; it cannot {wanted.en} now (possible: {listed.en})",
        )
    locked.status = move.target
    return locked


@transaction.atomic
def recall(actor: Actor, ticket: QueueTicket | int) -> QueueTicket:
    """重呼: call a called ticket's number again; its first call time stays, for the waiting figures."""
    locked = _move(actor, ticket, "recall")
    locked.recalls += 1
    locked.save(update_fields=["recalls"])
    return locked


@transaction.atomic
def start(actor: Actor, ticket: QueueTicket | int, *, at: datetime | None = None) -> QueueTicket:
    """开始办理: the visitor came to the window."""
    locked = _move(actor, ticket, "start")
    locked.started_at = _now(at)
    locked.save(update_fields=["status", "started_at"])
    return locked


@transaction.atomic
def finish(actor: Actor, ticket: QueueTicket | int, *, at: datetime | None = None) -> QueueTicket:
    """办结: the visitor leaves the window; the window may call again."""
    locked = _move(actor, ticket, "finish")
    locked.finished_at = _now(at)
    locked.save(update_fields=["status", "finished_at"])
    return locked


@transaction.atomic
def no_show(actor: Actor, ticket: QueueTicket | int, *, at: datetime | None = None) -> QueueTicket:
    """过号: called and did not come; the window may call again."""
    locked = _move(actor, ticket, "no_show")
    locked.closed_at = _now(at)
    locked.save(update_fields=["status", "closed_at"])
    return locked


@transaction.atomic
def cancel_ticket(actor: Actor, ticket: QueueTicket | int, *, at: datetime | None = None) -> QueueTicket:
    """A waiting ticket given up (the visitor left, or took the wrong category)."""
    locked = _move(actor, ticket, "cancel")
    locked.closed_at = _now(at)
    locked.save(update_fields=["status", "closed_at"])
    return locked


# --- appointments ------------------------------------------------------------------------------------


def _owner_or_clerk(actor: Actor, person_id: int, hall: Hall, field: str) -> None:
    """A person books, checks in and cancels for themself; anyone else must be a clerk of the hall."""
    if actor.person is not None and actor.person.pk == person_id:
        return
    require(actor, OPERATE, hall, field=field)


def _check_slot(hall: Hall, slot_start: datetime | None, now: datetime) -> datetime:
    if slot_start is None:
        raise _fail("slot_start", "required", "请选择预约时段", "choose a slot")
    if timezone.is_naive(slot_start):
        slot_start = timezone.make_aware(slot_start)
    local = timezone.localtime(slot_start)
    if local.minute % SLOT_MINUTES or local.second or local.microsecond:
        raise _fail(
            "slot_start",
            "not_a_slot",
            f"预约时段须从整点或半点开始（每段{SLOT_MINUTES}分钟）",
            f"a slot starts on the hour or the half hour ({SLOT_MINUTES} minutes each)",
        )
    if slot_start <= now:
        raise _fail("slot_start", "in_the_past", "只能预约将来的时段", "only a slot in the future can be booked")
    end = local + timedelta(minutes=SLOT_MINUTES)
    if end.date() != local.date() or not hours.within(hall.hours, local.time(), end.time()):
        raise _fail(
            "slot_start",
            "outside_hours",
            f"该时段不在大厅办公时间（{hall.hours}）内",
            f"the slot is outside the hall's opening hours ({hall.hours})",
        )
    return slot_start


@transaction.atomic
def book(
    actor: Actor,
    *,
    hall: Hall | int,
    implementation: ItemImplementation,
    slot_start: datetime | None,
    person: Person | None,
    at: datetime | None = None,
) -> Appointment:
    """预约: a place in a half-hour slot of the hall, while the slot has room (``slot_capacity()``)."""
    place = _hall(hall)
    require(actor, TAKE, place)
    if person is None:
        raise _fail("person", "required", "请指明预约人", "say who the appointment is for")
    _owner_or_clerk(actor, person.pk, place, "person")
    if implementation is None:
        raise _fail("implementation", "required", "请选择预约办理的事项", "choose the item to book for")
    now = _now(at)
    slot_start = _check_slot(place, slot_start, now)
    # Locking the hall row serialises the bookings of one hall, so the count below cannot be outrun.
    Hall.objects.select_for_update().filter(pk=place.pk).first()
    taken = Appointment.objects.filter(
        hall=place, slot_start=slot_start, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
    )
    if taken.filter(person=person).exists():
        raise Conflict.single(
            "slot_start", "already_booked", "该预约人已预约此时段", "this person already has this slot"
        )
    capacity = slot_capacity()
    if taken.count() >= capacity:
        raise Conflict.single(
            "slot_start",
            "slot_full",
            f"该时段已约满（每时段{capacity}个号），请选择其他时段",
            f"the slot is full ({capacity} places per slot); choose another",
        )
    return Appointment.objects.create(
        hall=place,
        implementation=implementation,
        category=category_for(implementation),
        slot_start=slot_start,
        slot_minutes=SLOT_MINUTES,
        person=person,
    )


def _lock_appointment(appointment: Appointment | int) -> Appointment:
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    found = Appointment.objects.select_for_update().select_related("hall").filter(pk=pk).first()
    if found is None:
        raise NotFound.single("appointment", "not_found", "预约不存在", "no such appointment")
    return found


def _booked(appointment: Appointment, action: Text) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        now = _name(STATE_NAMES, appointment.status)
        raise Conflict.single(
            "status",
            "wrong_state",
            f"预约当前状态为“{now.zh}”，不能{action.zh}",
            f"the appointment is '{now.en}'; it cannot be {action.en}",
        )


@transaction.atomic
def check_in(actor: Actor, appointment: Appointment | int, *, at: datetime | None = None) -> QueueTicket:
    """签到: on the day, until the slot ends, the appointment becomes a ticket that is called first."""
    appt = _lock_appointment(appointment)
    require(actor, TAKE, appt.hall)
    _owner_or_clerk(actor, appt.person_id, appt.hall, "appointment")
    _booked(appt, Text("签到", "checked in"))
    now = _now(at)
    if timezone.localdate(now) != timezone.localdate(appt.slot_start):
        raise Conflict.single(
            "appointment",
            "not_today",
            f"预约日期为{timezone.localdate(appt.slot_start).isoformat()}，只能当天签到",
            f"the appointment is on {timezone.localdate(appt.slot_start).isoformat()}; check in on that day",
        )
    if now > appt.slot_end:
        raise Conflict.single(
            "appointment",
            "too_late",
            "预约时段已过，请取普通号排队",
            "the slot has passed; take an ordinary ticket",
        )
    appt.status = AppointmentStatus.CHECKED_IN
    appt.checked_in_at = now
    appt.save(update_fields=["status", "checked_in_at"])
    return _issue(
        appt.hall,
        appt.category,
        now,
        implementation=appt.implementation,
        person=appt.person,
        appointment=appt,
        priority=Priority.APPOINTMENT,
    )


@transaction.atomic
def cancel(actor: Actor, appointment: Appointment | int, *, at: datetime | None = None) -> Appointment:
    """取消预约: before the slot starts; the place goes back to the slot."""
    appt = _lock_appointment(appointment)
    require(actor, TAKE, appt.hall)
    _owner_or_clerk(actor, appt.person_id, appt.hall, "appointment")
    _booked(appt, Text("取消", "cancelled"))
    now = _now(at)
    if appt.slot_start <= now:
        raise Conflict.single(
            "appointment", "slot_started", "预约时段已开始，不能取消", "the slot has begun; it cannot be cancelled"
        )
    appt.status = AppointmentStatus.CANCELLED
    appt.cancelled_at = now
    appt.save(update_fields=["status", "cancelled_at"])
    return appt


__all__ = [
    "SLOT_MINUTES",
    "book",
    "call_next",
    "cancel",
    "cancel_ticket",
    "categories_of",
    "category_for",
    "check_in",
    "finish",
    "no_show",
    "parse_category",
    "recall",
    "slot_capacity",
    "start",
    "take_ticket",
    "waiting_ahead",
]


# --- the worker's rule: appointments nobody came to (爽约) ----------------------------------------------

log = logging.getLogger("tongban.frontdesk")

# Minutes after a slot's end before its appointment counts as missed. check_in already refuses once the
# slot is over, so this is not about letting anyone in late: it keeps the worker from deciding while a
# clerk may still be checking the person in at a window, and lets a worker round that runs late catch up.
# A module constant rather than a setting: it changes no one's rights, only when the record catches up.
GRACE_MINUTES = 30


def mark_missed_appointments(now: datetime | None = None) -> int:
    """Mark as no-show every appointment still booked whose slot ended more than GRACE_MINUTES ago;
    answers how many were marked."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=GRACE_MINUTES)
    # A slot that ended before the cutoff began before it too; the end itself is checked under the lock.
    candidates = Appointment.objects.filter(status=AppointmentStatus.BOOKED, slot_start__lt=cutoff)
    marked = 0
    for pk in list(candidates.values_list("pk", flat=True)):
        if _mark_missed(pk, cutoff) is not None:
            marked += 1
    return marked


@transaction.atomic
def _mark_missed(pk: int, cutoff: datetime) -> Appointment | None:
    appt = Appointment.objects.select_for_update().filter(pk=pk).first()
    if appt is None or appt.status != AppointmentStatus.BOOKED or appt.slot_end >= cutoff:
        return None  # checked in, cancelled or already marked meanwhile, or its slot is not over yet
    appt.status = AppointmentStatus.NO_SHOW
    appt.save(update_fields=["status"])
    log.info("appointment %s (slot %s) marked as not come", appt.pk, appt.slot_start.isoformat())
    return appt
