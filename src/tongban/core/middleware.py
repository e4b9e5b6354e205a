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
