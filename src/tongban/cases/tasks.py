"""Background work of case handling, run by `tongban worker` (django-tasks with the database backend).

Rendering a notice takes a few hundred milliseconds, so commands only queue it; the periodic rules
(deadline colours, 行政许可法 art. 32) run from the worker's loop, see ``tongban.cases.worker``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django_tasks import task

from tongban.cases.choices import NoticeState
from tongban.cases.models import Notice

log = logging.getLogger("tongban.worker")


def render_notice_now(notice: Notice) -> Notice:
    """Render a notice's PDF from its stored content and keep it with its SHA-256."""
    from tongban.cases.notices.render import render_pdf

    try:
        pdf = render_pdf(notice.kind, notice.context)
    except Exception as exc:  # a notice that cannot render must show as failed, not vanish in a log
        notice.state = NoticeState.FAILED
        notice.error = f"{type(exc).__name__}: {exc}"[:2000]
        notice.save(update_fields=["state", "error"])
        raise
    if notice.file:
        notice.file.delete(save=False)
    notice.file.save(f"{notice.number}.pdf", ContentFile(pdf), save=False)
    notice.sha256 = hashlib.sha256(pdf).hexdigest()
    notice.state = NoticeState.READY
    notice.error = ""
    notice.rendered_at = timezone.now()
    notice.save(update_fields=["file", "sha256", "state", "error", "rendered_at"])
    return notice


@task()
def render_notice(notice_id: int) -> str:
    notice = Notice.objects.get(pk=notice_id)
    if notice.state == NoticeState.READY:
        return notice.sha256
    return render_notice_now(notice).sha256


def render_pending(older_than: timedelta = timedelta(seconds=60)) -> int:
    """Render notices still pending after ``older_than``: a queued task lost in a crash between the
    commit and the enqueue must not leave an applicant without their notice."""
    cutoff = timezone.now() - older_than
    done = 0
    for notice in Notice.objects.filter(state=NoticeState.PENDING, created_at__lte=cutoff).order_by("id"):
        try:
            render_notice_now(notice)
            done += 1
        except Exception:  # recorded on the notice as failed; the worker goes on with the others
            log.exception("notice %s could not be rendered", notice.number)
    return done
