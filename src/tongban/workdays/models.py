"""The working-day calendar (工作日历): which years are known, and each year's exceptions to the week.

Only exceptions are stored: holidays (and the rest days joined to them) and make-up working days (调休上班日).
Every other Monday–Friday is a working day and every other Saturday and Sunday a rest day. A year is
covered exactly when its :class:`CalendarYear` row exists; tongban.workdays.clock refuses any other year.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def statutory_days(year: int) -> tuple[date, date]:
    """Days off by statute every year whatever the schedule (元旦 and 国庆节, 全国年节及纪念日放假办法 art. 2).

    A year's exceptions that lack them are a partial schedule, not a year to count deadlines by.
    """
    return date(year, 1, 1), date(year, 10, 1)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday or rest day")
    WORKDAY = "workday", _("make-up working day")


class CalendarYear(models.Model):
    """工作日历年度: one year's holiday schedule as the State Council published it."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(
        _("source document"),
        max_length=200,
        help_text=_("Where the schedule comes from, e.g. the State Council notice's document number"),
    )
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """节假日或调休上班日: one day that does not follow the week."""

    year = models.ForeignKey(CalendarYear, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True, help_text=_("e.g. 春节, 国庆节调休"))

    class Meta:
        # Not "calendar day": that msgid is the 自然日 time-limit unit.
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".rstrip()

    def clean(self) -> None:
        # The loader checks the same; this guards hand edits in the admin.
        errors: dict[str, str] = {}
        try:
            year = self.year
        except CalendarYear.DoesNotExist:
            year = None
        if self.date and year is not None and self.date.year != year.year:
            errors["date"] = _("The date lies outside this calendar year.")
        if self.date and self.kind == DayKind.WORKDAY and self.date.weekday() < 5:
            errors["kind"] = _("A make-up working day must be a Saturday or Sunday.")
        if errors:
            raise ValidationError(errors)
