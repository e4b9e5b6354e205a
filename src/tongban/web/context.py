"""Values every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "node_id": settings.TONGBAN_NODE_ID,
        "node_region": settings.TONGBAN_REGION,
        "large_text": request.COOKIES.get("tongban_large_text") == "1",
    }
