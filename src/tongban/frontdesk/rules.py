"""The front desk's time rule, applied by the worker: an appointment (预约) never checked in becomes a
no-show (爽约) once its slot is well over, so the figures count it and nobody checks in on it later.

Written like a command: each appointment is locked in its own transaction and its state checked again
under the lock, so a check-in at the last moment wins or loses cleanly, and a second run (or a second
worker) changes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tongban.frontdesk.choices import AppointmentStatus
from tongban.frontdesk.models import Appointment

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
