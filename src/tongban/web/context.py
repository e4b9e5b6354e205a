"""Values every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

# Set by the large-text toggle (tongban.web.views.text_size); read on every page.
LARGE_TEXT_COOKIE = "tongban_large_text"


def html_lang(language: str | None) -> str:
    """The BCP 47 tag for <html lang>: Django's "zh-hans" is written "zh-Hans"."""
    parts = (language or settings.LANGUAGE_CODE).split("-")
    return "-".join([parts[0], *(p.title() if len(p) == 4 else p.upper() for p in parts[1:])])


def language_next(request: HttpRequest) -> str:
    """This page's address without its language prefix, for the language switcher's "next".

    Django's set_language translates "next" by resolving it in the default language (its own URL has
    no prefix), so "/en/guides/X/" would not resolve and switching back to Chinese would stay in
    English. The unprefixed "/guides/X/" resolves, and is translated to either language.
    """
    path = request.get_full_path()
    prefix = translation.get_language_from_path(request.path_info)
    if prefix and path.startswith(f"/{prefix}/"):
        return path[len(prefix) + 1 :]
    return path


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "node_id": settings.TONGBAN_NODE_ID,
        "node_region": settings.TONGBAN_REGION,
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "html_lang": html_lang(translation.get_language()),
        "language_next": language_next(request),
    }
