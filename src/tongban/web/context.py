"""Values every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


def html_lang(language: str | None) -> str:
    """The BCP 47 tag for <html lang>: Django's "zh-hans" is written "zh-Hans"."""
    parts = (language or settings.LANGUAGE_CODE).split("-")
    return "-".join([parts[0], *(p.title() if len(p) == 4 else p.upper() for p in parts[1:])])


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "node_id": settings.TONGBAN_NODE_ID,
        "node_region": settings.TONGBAN_REGION,
        "large_text": request.COOKIES.get("tongban_large_text") == "1",
        "html_lang": html_lang(translation.get_language()),
    }
