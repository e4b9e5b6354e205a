"""Front desk records (一窗通办): queue tickets (取号), their daily counters, appointments (预约), and which
departments' windows call which queue category."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.frontdesk.choices import AppointmentStatus, Category, Priority, TicketStatus


class CategoryDepartment(models.Model):
    """A department window calls the categories its departments are listed under here (不动产登记中心 → B).

    Node-wide: a department belongs to one region, so its rows serve every hall where it has a window.
    """

    department = models.ForeignKey(
        "catalog.Department", verbose_name=_("department"), on_delete=models.CASCADE, related_name="queue_categories"
    )
    category = models.CharField(_("queue category"), max_length=1, choices=Category.choices)

    class Meta:
        verbose_name = _("queue category of a department")
        verbose_name_plural = _("queue categories of departments")
        ordering = ["department_id", "category"]
        constraints = [
            models.UniqueConstraint(fields=["department", "category"], name="frontdesk_category_department_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department} → {self.category}"


class TicketCounter(models.Model):
    """The last number given in one hall, category and day; locked while the next number is taken."""

    hall = models.ForeignKey("catalog.Hall", verbose_name=_("hall"), on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("queue category"), max_length=1, choices=Category.choices)
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")
        constraints = [
            models.UniqueConstraint(fields=["hall", "category", "day"], name="frontdesk_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.category} {self.day.isoformat()}: {self.last}"


class QueueTicket(models.Model):
    """排队号: one visitor's place in a hall's queue on one day, from taking to being served."""

    hall = models.ForeignKey("catalog.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("day"))
    category = models.CharField(_("queue category"), max_length=1, choices=Category.choices)
    number = models.CharField(_("number"), max_length=8, help_text=_("category letter and serial, e.g. A012"))
    implementation = models.ForeignKey(
        "catalog.ItemImplementation",
        verbose_name=_("item implementation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        "identity.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.OneToOneField(
        "Appointment",
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    taken_at = models.DateTimeField(_("taken at"))
    called_at = models.DateTimeField(_("first called at"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("times called again"), default=0)
    started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("service finished at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("when it was marked absent or cancelled")
    )
    window = models.ForeignKey(
        "catalog.Window", verbose_name=_("window"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        ordering = ["hall_id", "day", "-priority", "taken_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "category", "day", "number"], name="frontdesk_ticket_number"),
        ]
        # The call query: a hall's waiting tickets of a day in call order.
        indexes = [models.Index(fields=["hall", "day", "status", "category"], name="frontdesk_ticket_queue")]

    def __str__(self) -> str:
        return f"{self.number} ({self.day.isoformat()})"


class Appointment(models.Model):
    """预约: a person's slot in a hall for one item implementation."""

    hall = models.ForeignKey(
        "catalog.Hall", verbose_name=_("hall"), on_delete=models.PROTECT, related_name="appointments"
    )
    implementation = models.ForeignKey(
        "catalog.ItemImplementation", verbose_name=_("item implementation"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(
        _("queue category"),
        max_length=1,
        choices=Category.choices,
        help_text=_("the queue its check-in ticket joins, from the implementing department"),
    )
    slot_start = models.DateTimeField(_("slot start"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"))
    person = models.ForeignKey(
        "identity.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="appointments"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["hall_id", "slot_start", "id"]
        indexes = [models.Index(fields=["hall", "slot_start", "status"], name="frontdesk_appointment_slot")]

    def __str__(self) -> str:
        return f"{self.hall} {self.slot_start.isoformat()}"

    @property
    def slot_end(self) -> datetime:
        return self.slot_start + timedelta(minutes=self.slot_minutes)
