"""Background work of e-licences, run by `tongban worker` (django-tasks): rendering the printed form.

Signing a licence is part of the issue step's transaction; its PDF takes about a second and is not, so
the command only queues it on commit. A licence whose PDF is not made yet (the task lost in a crash, or
still queued) is rendered when someone asks for it (``ensure_pdf``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django_tasks import task

from tongban.licenses.models import License

log = logging.getLogger("tongban.worker")


def file_name(lic: License) -> str:
    return f"{lic.identifier}.pdf"


def render_now(lic: License) -> License:
    """Render the licence's PDF (with its signed document attached) and keep it as ``lic.pdf``."""
    from tongban.licenses.rendering import render_pdf

    pdf = render_pdf(lic)
    if lic.pdf:
        lic.pdf.delete(save=False)
    lic.pdf.save(file_name(lic), ContentFile(pdf), save=False)
    lic.save(update_fields=["pdf"])
    return lic


def ensure_pdf(lic: License) -> bytes:
    """The licence's PDF, rendered now when it was never rendered or its file is gone."""
    if lic.pdf:
        try:
            with lic.pdf.open("rb") as handle:
                return handle.read()
        except FileNotFoundError:
            log.warning("the PDF of licence %s is missing from storage; rendering it again", lic.identifier)
    render_now(lic)
    with lic.pdf.open("rb") as handle:
        return handle.read()


@task()
def render_license(license_id: int) -> str:
    """The queued rendering of one licence's PDF; returns the stored file's name."""
    lic = License.objects.select_related("license_type", "seal", "issuer").get(pk=license_id)
    if lic.pdf:
        return lic.pdf.name
    return render_now(lic).pdf.name


def render_pending(older_than: timedelta = timedelta(seconds=60)) -> int:
    """Render the PDFs still missing after ``older_than``, as the worker does for notices: a queued task lost
    in a crash between the commit and the enqueue must not leave a holder without their printed form."""
    cutoff = timezone.now() - older_than
    done = 0
    for lic in License.objects.filter(pdf="", signed_at__lte=cutoff).select_related("license_type", "seal", "issuer"):
        try:
            render_now(lic)
            done += 1
        except Exception:  # logged; the worker goes on with the others, and a download renders it on demand
            log.exception("the PDF of licence %s could not be rendered", lic.identifier)
    return done
