"""Operational endpoints."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the node can serve: the database answers and the catalog tables exist."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM catalog_region")
            regions = cur.fetchone()[0]
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "database": "unavailable", "detail": str(exc)[:200]}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": connection.vendor,
            "node": settings.TONGBAN_NODE_ID,
            "region": settings.TONGBAN_REGION,
            "regions_loaded": regions,
        }
    )
