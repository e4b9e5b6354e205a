"""Language for API calls.

Pages carry their language in the path (/en/…, Chinese without a prefix), so Django's LocaleMiddleware
gives every unprefixed path the default language. API clients have no path prefix to choose by: for
them the Accept-Language header (or the language cookie) decides.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ApiLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class ApiBodyLimitMiddleware:
    """Refuse API bodies over the upload limit before reading them, in the API's error shape (413).

    Django would otherwise answer an HTML 400 from deep inside the parser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            from django.conf import settings
            from django.http import JsonResponse

            from tongban.core.errors import Problem
            from tongban.core.messages import Text

            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.TONGBAN_MAX_UPLOAD_BYTES
            if length > limit:
                mib = limit // (1024 * 1024)
                problem = Problem(None, "request_too_large", Text(
                    f"请求体过大：上限为 {mib} MiB", f"the request body is too large: the limit is {mib} MiB"))
                return JsonResponse({"status": 413, "errors": [problem.as_dict()]}, status=413)
        return self.get_response(request)
