"""Background work of case handling, run by `tongban worker` (django-tasks with the database backend).

Rendering a notice takes a few hundred milliseconds, so commands only queue it; the periodic rules
(deadline colours, 行政许可法 art. 32) run from the worker's loop, see ``tongban.cases.worker``.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone
from django_tasks import task

from tongban.cases.choices import NoticeState
from tongban.cases.models import Notice


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
