"""The front desk's fixed vocabularies: queue categories, ticket and appointment states, and the ticket
lifecycle as one table (which action moves a ticket from which states to which)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """排队类别: the letter a ticket number starts with. The same five in every hall, so that a board, a
    kiosk and the figures read alike across the node; which departments' windows call a category is data
    (CategoryDepartment)."""

    GENERAL = "A", _("comprehensive intake")  # 综合受理
    REAL_ESTATE = "B", _("real estate")  # 不动产
    SOCIAL_SECURITY = "C", _("social and medical insurance")  # 社保医保
    BUSINESS = "D", _("starting a business")  # 企业开办
    BUNDLE = "E", _("one-thing bundles")  # 一件事


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("being served")
    DONE = "done", _("done")
    NO_SHOW = "no_show", _("did not come")
    CANCELLED = "cancelled", _("cancelled")


class Priority(models.IntegerChoices):
    """Higher is called first. An appointment checked in on time is served before walk-ins."""

    NORMAL = 0, _("walk-in")
    APPOINTMENT = 1, _("appointment")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    CANCELLED = "cancelled", _("cancelled")
    NO_SHOW = "no_show", _("did not come")


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[str]
    target: str


S = TicketStatus
# The ticket lifecycle. ``call`` is taken by call_next on the oldest waiting ticket; the rest name a ticket.
# A recall announces the number again and leaves the state as it is.
TICKET_MOVES: dict[str, Move] = {
    m.action: m
    for m in (
        Move("call", frozenset({S.WAITING}), S.CALLED),
        Move("recall", frozenset({S.CALLED}), S.CALLED),
        Move("start", frozenset({S.CALLED}), S.SERVING),
        Move("finish", frozenset({S.SERVING}), S.DONE),
        Move("no_show", frozenset({S.CALLED}), S.NO_SHOW),
        Move("cancel", frozenset({S.WAITING}), S.CANCELLED),
    )
}
# A window holds at most one ticket in these states: it finishes (or marks absent) before calling again.
AT_WINDOW = (S.CALLED, S.SERVING)

# Names used in refusals, in both languages whatever the catalogue of translations holds.
CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "A": ("综合受理", "comprehensive intake"),
    "B": ("不动产", "real estate"),
    "C": ("社保医保", "social and medical insurance"),
    "D": ("企业开办", "starting a business"),
    "E": ("一件事", "one-thing bundles"),
}
STATE_NAMES: dict[str, tuple[str, str]] = {
    "waiting": ("等候中", "waiting"),
    "called": ("已叫号", "called"),
    "serving": ("办理中", "being served"),
    "done": ("已办结", "done"),
    "no_show": ("过号未到", "did not come"),
    "cancelled": ("已取消", "cancelled"),
    "booked": ("已预约", "booked"),
    "checked_in": ("已签到", "checked in"),
}
ACTION_NAMES: dict[str, tuple[str, str]] = {
    "call": ("叫号", "call"),
    "recall": ("重呼", "recall"),
    "start": ("开始办理", "start"),
    "finish": ("办结", "finish"),
    "no_show": ("记为过号", "mark absent"),
    "cancel": ("取消", "cancel"),
}
