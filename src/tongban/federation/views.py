"""The node's federation endpoints: other nodes POST signed envelopes here, one at a time or in batches
(no session, no CSRF: each envelope's signature is the authentication)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tongban.federation import inbox
from tongban.federation.canonical import loads

MAX_BYTES = 25 * 1024 * 1024  # a message with its largest material chunk; bigger is refused unread
MAX_BATCH = 500  # envelopes in one POST


def _too_large(request: HttpRequest) -> JsonResponse | None:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES:
        return JsonResponse({"code": "too_large", "message": "报文过大", "message_en": "message too large"}, status=413)
    return None


@csrf_exempt
@require_POST
def messages(request: HttpRequest) -> JsonResponse:
    remote = request.META.get("REMOTE_ADDR", "")
    if (refusal := _too_large(request)) is not None:
        return refusal
    try:
        document = loads(request.body)
    except (ValueError, TypeError):
        document = {"unreadable": request.body[:200].decode("utf-8", "replace")}
    answer = inbox.receive(document, remote)
    response = JsonResponse(answer.payload, status=answer.status, json_dumps_params={"ensure_ascii": False})
    if answer.duplicate:
        response["Idempotent-Replayed"] = "true"
    return response


def _bad_batch(zh: str, en: str) -> JsonResponse:
    return JsonResponse({"code": "malformed_batch", "message": zh, "message_en": en}, status=400)


@csrf_exempt
@require_POST
def batch(request: HttpRequest) -> JsonResponse:
    """批量投递: ``{"messages": [{"envelope": {...}, "after": null | index}, ...]}`` → one answer per
    envelope, in order, each what the single endpoint would have answered (status, receipt or refusal).
    ``after`` is the index of the earlier envelope of the same stream in this batch."""
    if (refusal := _too_large(request)) is not None:
        return refusal
    try:
        document = loads(request.body)
    except (ValueError, TypeError):
        return _bad_batch("批量报文不是有效的JSON", "the batch is not valid JSON")
    messages = document.get("messages") if isinstance(document, dict) else None
    if not isinstance(messages, list) or not messages:
        return _bad_batch("批量报文缺少报文列表（messages）", "the batch has no list of messages")
    if len(messages) > MAX_BATCH:
        return _bad_batch(f"一批最多{MAX_BATCH}条报文", f"a batch holds at most {MAX_BATCH} messages")
    items: list[tuple[Any, int | None]] = []
    for index, item in enumerate(messages):
        after = item.get("after") if isinstance(item, dict) else None
        if not isinstance(item, dict) or "envelope" not in item:
            return _bad_batch(f"第{index + 1}条缺少报文信封", f"item {index + 1} has no envelope")
        if after is not None and (type(after) is not int or not 0 <= after < index):
            return _bad_batch(
                f"第{index + 1}条的after须为它之前某条的序号", f"item {index + 1}: 'after' must index an earlier item"
            )
        items.append((item["envelope"], after))
    answers = inbox.receive_batch(items, request.META.get("REMOTE_ADDR", ""))
    return JsonResponse(
        {"answers": [{"status": a.status, **a.payload} for a in answers]}, json_dumps_params={"ensure_ascii": False}
    )
