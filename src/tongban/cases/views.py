"""Public pages of case handling: the authenticity check a notice's QR code leads to."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongban.cases.models import Notice

MAX_CHECK_BYTES = 20 * 1024 * 1024


def notice_verify(request: HttpRequest, token: str) -> HttpResponse:
    """文书核验: shows what the notice says it is; an uploaded PDF is compared with the stored one by hash.

    It shows the notice's number, kind, case number, item, organ and date, and no personal data beyond
    the masked applicant line printed on the notice itself.
    """
    notice = Notice.objects.select_related("case").filter(token=token).first()
    result = None
    if request.method == "POST" and notice is not None:
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_CHECK_BYTES:
            result = "missing"
        else:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            result = "match" if notice.sha256 and digest.hexdigest() == notice.sha256 else "mismatch"
    status = 200 if notice is not None else 404
    return render(request, "cases/notice_verify.html", {"notice": notice, "result": result}, status=status)
