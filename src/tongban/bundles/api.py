"""Bundle API (/api/v1/bundles/): read-only for now; the definitions and what they imply.

Reads are public like the rest of the catalog (``catalog.read``). The detail computes the levels, the
merged form and materials and the savings from the items' guides in force (tongban.bundles.plan).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.bundles import plan as bundle_plan
from tongban.bundles import serializers as s
from tongban.bundles.models import Bundle
from tongban.catalog import services as catalog_services
from tongban.core.errors import NotFound

_READ = "catalog.read"


def detail_data(bundle: Bundle) -> dict[str, Any]:
    """The detail representation's computed part, as plain data."""
    p = bundle_plan.of(bundle)
    items = []
    for key in p.keys:
        impl = p.implementations[key]
        version = impl.current_version
        assert version is not None  # a bundle's items have guides in force (create_bundle checks)
        items.append(
            {
                "key": key,
                "implementation_code": impl.implementation_code,
                "item_code": impl.item.code,
                "name": version.name,
                "department": impl.department.name,
                "guide_version": version.number,
                "promised_limit": version.promised_limit,
                "depends_on": p.depends_on(key),
            }
        )
    return {
        "items": items,
        "levels": p.levels,
        "form": {
            "schema": p.form.schema,
            "fills": p.form.fills,
            "conflicts": [{"field": c.field, "items": list(c.items), "reason": c.reason} for c in p.form.conflicts],
        },
        "materials": [
            {
                "name": m.name,
                "names": m.names,
                "license_types": m.license_types,
                "necessity": m.necessity,
                "serves": m.serves,
                "from_result_of": m.from_result_of,
            }
            for m in p.materials
        ],
        "savings": {
            "fields_separately": p.savings.fields_separately,
            "fields_in_bundle": p.savings.fields_in_bundle,
            "materials_separately": p.savings.materials_separately,
            "materials_in_bundle": p.savings.materials_in_bundle,
            "from_results": p.savings.from_results,
        },
    }


@extend_schema_view(
    list=extend_schema(
        summary="List life-event bundles (一件事)",
        parameters=[
            OpenApiParameter("region", str, description="bundles of this region or inside it"),
            OpenApiParameter("published", bool, description="true: published bundles only; false: drafts only"),
        ],
    ),
    retrieve=extend_schema(
        summary="One bundle: its items, parallel levels, merged form and materials, and the savings",
        responses=s.BundleDetailSerializer,
    ),
)
class BundleViewSet(viewsets.ReadOnlyModelViewSet):
    policy = {"list": _READ, "retrieve": _READ}
    serializer_class = s.BundleSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[Bundle]:
        qs = Bundle.objects.select_related("region__parent__parent", "lead_department")
        p = self.request.query_params
        if p.get("region"):
            qs = qs.filter(region__code__startswith=catalog_services.get_region(p["region"]).code_prefix)
        if p.get("published") in ("true", "false"):
            qs = qs.filter(published=p["published"] == "true")
        return qs

    def get_object(self) -> Bundle:
        bundle = self.get_queryset().filter(code=self.kwargs["code"]).first()
        if bundle is None:
            code = self.kwargs["code"]
            raise NotFound.single("code", "unknown_bundle", f"一件事“{code}”不存在", f"there is no bundle '{code}'")
        self.check_object_permissions(self.request, bundle)
        return bundle

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        bundle = self.get_object()
        return Response({**s.BundleSerializer(bundle).data, **detail_data(bundle)})
