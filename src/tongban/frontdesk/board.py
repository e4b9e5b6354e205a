"""The hall's queue now (叫号屏): how many wait in each category and which number is at which window.

Numbers and windows only: nothing on the board says who holds a ticket.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from tongban.catalog.models import Hall
from tongban.frontdesk.choices import AT_WINDOW, Category, TicketStatus
from tongban.frontdesk.models import QueueTicket


def queue_now(hall: Hall, day: date | None = None) -> dict[str, Any]:
    day = day or timezone.localdate()
    today = QueueTicket.objects.filter(hall=hall, day=day)
    waiting = dict.fromkeys(Category.values, 0)
    for letter in today.filter(status=TicketStatus.WAITING).values_list("category", flat=True):
        waiting[letter] = waiting.get(letter, 0) + 1
    at_windows = (
        today.filter(status__in=AT_WINDOW)
        .select_related("window")
        .order_by("window__number")
        .values_list("window__number", "window__name", "number", "status", "recalls")
    )
    return {
        "hall": hall.pk,
        "day": day,
        "categories": [{"category": c.value, "name": str(c.label), "waiting": waiting[c.value]} for c in Category],
        "windows": [
            {"window": w, "window_name": name, "number": number, "status": status, "recalls": recalls}
            for w, name, number, status, recalls in at_windows
        ],
    }
