"""Content-Security-Policy on every response.

The pages load only the node's own files (htmx is vendored, no CDN), so a strict policy costs nothing
and turns an injected <script> into a blocked one. Django sets the other security headers itself
(X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Cross-Origin-Opener-Policy).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# htmx adds one <style> element for its request indicators; allow exactly that text by its hash
# (it is in htmx.min.js, built from config.indicatorClass / requestClass, whose defaults we keep).
HTMX_INDICATOR_STYLE = (
    ".htmx-indicator{opacity:0;visibility: hidden} "
    ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator{opacity:1;visibility: visible;"
    "transition: opacity 200ms ease-in}"
)


def _hash_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {_hash_source(HTMX_INDICATOR_STYLE)}",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        # No form-action: a login on the provider ends in a redirect to the node that asked for it,
        # and browsers apply form-action to the redirects after a form is sent.
    ]
)

# Swagger UI (drf-spectacular) writes an inline <style> and <script>; only its page gets them.
RELAXED_PATHS = ("/api/docs/",)
RELAXED_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path_info.startswith(RELAXED_PATHS)
            response["Content-Security-Policy"] = RELAXED_POLICY if relaxed else POLICY
        return response
