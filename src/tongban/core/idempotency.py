"""``Idempotency-Key`` for POST endpoints: a retried request gets the first answer, and nothing runs twice.

The key is scoped to the caller (two users may pick the same key). The first answer is stored in the
same transaction as the change it reports, so a crash cannot leave a change without its answer or an
answer without its change. Reusing a key for a different request is a 422, not a silent replay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.core.errors import DomainError
from tongban.core.models import IdempotentRequest

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY = 128


def _fingerprint(request: Request) -> str:
    try:
        data = request.data
        body = json.dumps(data if isinstance(data, dict) else {}, sort_keys=True, default=str, ensure_ascii=False)
    except Exception:  # an unparsable body is fingerprinted by its bytes
        body = request.body.decode("utf-8", "replace")
    digest = hashlib.sha256(f"{request.method} {request.path}\n{body}".encode())
    # Uploaded files count by their content, not their name: another file under the same key is another request.
    for name, upload in sorted(request.FILES.items()):
        digest.update(f"\n{name}:{upload.name}:{upload.size}:".encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise DomainError.single(
            "Idempotency-Key",
            "key_reused",
            "该幂等键已用于另一个不同的请求",
            "this Idempotency-Key was already used for a different request",
            status_code=422,
        )
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def run(request: Request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per (user, key); without the header, just run it."""
    key = (request.META.get(HEADER) or "").strip()
    if not key:
        return handler()
    if len(key) > MAX_KEY:
        raise DomainError.single(
            "Idempotency-Key",
            "too_long",
            f"幂等键不能超过{MAX_KEY}个字符",
            f"an Idempotency-Key has at most {MAX_KEY} characters",
        )
    user = request.user if request.user and request.user.is_authenticated else None
    fingerprint = _fingerprint(request)
    existing = IdempotentRequest.objects.filter(user=user, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            response = handler()
            if response.status_code < 500:
                IdempotentRequest.objects.create(
                    key=key,
                    user=user,
                    method=request.method,
                    path=request.path[:300],
                    fingerprint=fingerprint,
                    status_code=response.status_code,
                    body=response.data,
                )
            return response
    except IntegrityError:
        # The same key raced in from a parallel retry and won; answer as it did.
        return _replay(IdempotentRequest.objects.get(user=user, key=key), fingerprint)
