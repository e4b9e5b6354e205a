"""The node's federation endpoint: other nodes POST signed envelopes here (no session, no CSRF: the
signature is the authentication)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tongban.federation import inbox
from tongban.federation.canonical import loads

MAX_BYTES = 25 * 1024 * 1024  # a message with its largest material chunk; bigger is refused unread


@csrf_exempt
@require_POST
def messages(request: HttpRequest) -> JsonResponse:
    remote = request.META.get("REMOTE_ADDR", "")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES:
        return JsonResponse({"code": "too_large", "message": "报文过大", "message_en": "message too large"}, status=413)
    try:
        document = loads(request.body)
    except (ValueError, TypeError):
        document = {"unreadable": request.body[:200].decode("utf-8", "replace")}
    answer = inbox.receive(document, remote)
    response = JsonResponse(answer.payload, status=answer.status, json_dumps_params={"ensure_ascii": False})
    if answer.duplicate:
        response["Idempotent-Replayed"] = "true"
    return response
