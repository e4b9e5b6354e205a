"""Catalog API (/api/v1/): regions, departments, halls, items, implementations, agreements, search.

Reads are public: a guide is published information. Writes call the catalog commands in services.py
and need a catalog administrator whose assignment covers the record (see tongban.identity.policy);
each view declares the policy action of each of its actions in ``policy``, and the command asks the
policy again with the request's actor and the record itself.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.catalog import comparison, search, services
from tongban.catalog import guide as guide_rules
from tongban.catalog import serializers as s
from tongban.catalog.agreements import item_ids_with_descendants, receivable
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    Hall,
    ItemImplementation,
    MaterialRequirement,
    Region,
    ServiceItem,
)
from tongban.core.errors import DomainError, NotFound
from tongban.identity.actor import actor_for
from tongban.identity.permissions import Needs, department_by_uscc, region_in

_READ = "catalog.read"
_WRITE = "catalog.write"


def _date_param(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:  # well-formed but impossible, such as 2025-13-01
        value = None
    if value is None:
        raise DomainError.single(
            name, "invalid_date", f"日期“{raw}”格式应为 YYYY-MM-DD", f"date '{raw}' must be written YYYY-MM-DD"
        )
    return value


def _within_region(qs: QuerySet, code: str) -> QuerySet:
    """Records of the region with this code and of every division inside it (a 400 for a bad code)."""
    return qs.filter(region__code__startswith=services.get_region(code).code_prefix)


@extend_schema_view(
    list=extend_schema(
        summary="List regions (行政区划)",
        parameters=[
            OpenApiParameter("q", str, description="part of the name, e.g. 杨浦"),
            OpenApiParameter("level", str, description="province, prefecture or county"),
            OpenApiParameter("parent", str, description="code of the parent division"),
        ],
    ),
    retrieve=extend_schema(summary="One region by its GB/T 2260 code"),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    policy = {"list": _READ, "retrieve": _READ, "ancestors": _READ, "descendants": _READ}
    serializer_class = s.RegionSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[Region]:
        qs = Region.objects.select_related("parent__parent")
        params = self.request.query_params
        if params.get("q"):
            qs = qs.filter(name__contains=params["q"])
        if params.get("level"):
            qs = qs.filter(level=params["level"])
        if params.get("parent"):
            qs = qs.filter(parent_id=params["parent"])
        return qs

    def get_object(self) -> Region:
        return services.get_region(self.kwargs["code"], "code", missing_status=404)

    @extend_schema(summary="The divisions above a region, province first", responses=s.RegionSerializer(many=True))
    @action(detail=True, pagination_class=None)
    def ancestors(self, request: Request, code: str) -> Response:
        return Response(s.RegionSerializer(self.get_object().ancestors(), many=True).data)

    @extend_schema(summary="Every division inside a region", responses=s.RegionSerializer(many=True))
    @action(detail=True)
    def descendants(self, request: Request, code: str) -> Response:
        region = self.get_object()
        qs = (
            Region.objects.filter(code__startswith=region.code_prefix)
            .exclude(code=region.code)
            .select_related("parent__parent")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.RegionSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List departments (实施机关)",
        parameters=[
            OpenApiParameter("region", str, description="departments in this region or inside it"),
            OpenApiParameter("uscc", str, description="unified social credit code"),
        ],
    ),
    retrieve=extend_schema(summary="One department"),
    create=extend_schema(summary="Register a department (catalog admins)"),
)
class DepartmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    policy = {"list": _READ, "retrieve": _READ, "create": Needs(_WRITE, target=region_in("region"))}
    serializer_class = s.DepartmentSerializer

    def get_queryset(self) -> QuerySet[Department]:
        qs = Department.objects.all()
        params = self.request.query_params
        if params.get("region"):
            qs = _within_region(qs, params["region"])
        if params.get("uscc"):
            qs = qs.filter(uscc=params["uscc"].upper())
        return qs

    def create(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        data = request.data
        dept = services.create_department(
            actor_for(request),
            region_code=str(data.get("region", "")),
            name=str(data.get("name", "")),
            uscc=str(data.get("uscc", "")),
            kind=str(data.get("kind", "organ")),
            phone=str(data.get("phone", "")),
            address=str(data.get("address", "")),
        )
        return Response(s.DepartmentSerializer(dept).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List service halls (政务服务中心) with their windows",
        parameters=[OpenApiParameter("region", str, description="halls in this region or inside it")],
    ),
    retrieve=extend_schema(summary="One hall with its windows"),
)
class HallViewSet(viewsets.ReadOnlyModelViewSet):
    policy = {"list": _READ, "retrieve": _READ}
    serializer_class = s.HallSerializer

    def get_queryset(self) -> QuerySet[Hall]:
        qs = Hall.objects.prefetch_related("windows__departments")
        if self.request.query_params.get("region"):
            qs = _within_region(qs, self.request.query_params["region"])
        return qs


def _item_by_code(code: str, field: str = "code") -> ServiceItem:
    item = (
        ServiceItem.objects.filter(Q(basic_code=code.upper()) | Q(handling_code=code)).select_related("parent").first()
    )
    if item is None:
        raise NotFound.single(field, "unknown_item", f"事项编码“{code}”不存在", f"there is no item with code '{code}'")
    return item


@extend_schema_view(
    list=extend_schema(
        summary="List service items (政务服务事项)",
        parameters=[
            OpenApiParameter("kind", str, description="main, sub or handling"),
            OpenApiParameter("item_type", str, description="item type code"),
            OpenApiParameter("parent", str, description="code of the parent item"),
            OpenApiParameter("q", str, description="part of the name"),
        ],
    ),
    retrieve=extend_schema(summary="One item by its basic or handling code"),
)
class ServiceItemViewSet(viewsets.ReadOnlyModelViewSet):
    # Items are the national list: any catalog administrator may add one (policy: node-wide records).
    policy = {"list": _READ, "retrieve": _READ, "comparison": _READ, "create": _WRITE}
    serializer_class = s.ServiceItemSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[ServiceItem]:
        qs = ServiceItem.objects.select_related("parent")
        p = self.request.query_params
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"])
        if p.get("item_type"):
            qs = qs.filter(item_type=p["item_type"])
        if p.get("parent"):
            qs = qs.filter(parent=_item_by_code(p["parent"], "parent"))
        if p.get("q"):
            qs = qs.filter(name__contains=p["q"])
        return qs

    def get_object(self) -> ServiceItem:
        return _item_by_code(self.kwargs["code"])

    @extend_schema(
        summary="Add a service item (catalog admins)",
        request=s.ServiceItemWriteSerializer,
        responses={201: s.ServiceItemSerializer},
    )
    def create(self, request: Request) -> Response:
        body = s.ServiceItemWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        parent_code = data.pop("parent", None)
        parent = _item_by_code(parent_code, "parent") if parent_code else None
        item = services.create_item(actor_for(request), parent=parent, **data)
        return Response(s.ServiceItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="四级四同: every region's implementation of this item side by side, and the differences",
        responses=s.ComparisonSerializer,
    )
    @action(detail=True)
    def comparison(self, request: Request, code: str) -> Response:
        result = comparison.compare(self.get_object())
        return Response(
            {
                "item": result.item.code,
                "columns": [
                    {
                        "implementation_code": col.implementation.implementation_code,
                        "region": col.implementation.region_id,
                        "region_name": col.implementation.region.full_name,
                        "department": col.implementation.department.name,
                        "materials": col.materials,
                        "values": col.values,
                    }
                    for col in result.columns
                ],
                "differences": [
                    {"element": d.element, "label": str(d.label), "values": d.values}
                    for d in result.differences
                ],
            }
        )


_IMPL_PREFETCH = (Prefetch("current_version__materials", queryset=MaterialRequirement.objects.order_by("order", "id")),)


@extend_schema_view(
    list=extend_schema(
        summary="List implementations (事项实施清单)",
        parameters=[
            OpenApiParameter("region", str, description="implementations in this region or inside it"),
            OpenApiParameter("department", str, description="USCC of the department"),
            OpenApiParameter("item", str, description="item code (its sub-items and handling items included)"),
        ],
    ),
    retrieve=extend_schema(summary="One implementation with the guide in force and its materials"),
)
class ImplementationViewSet(viewsets.ReadOnlyModelViewSet):
    policy = {
        "list": _READ,
        "retrieve": _READ,
        "versions": _READ,
        "version": _READ,
        "diff": _READ,
        "create": Needs(_WRITE, target=department_by_uscc("department")),
        "revise": _WRITE,
        "draft": _WRITE,
        "publish": _WRITE,
    }
    lookup_field = "implementation_code"
    lookup_value_regex = r"[^/]+"

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return s.ImplementationListSerializer if self.action == "list" else s.ImplementationSerializer

    def get_queryset(self) -> QuerySet[ItemImplementation]:
        qs = ItemImplementation.objects.select_related(
            "item__parent", "region__parent__parent", "department", "current_version"
        ).prefetch_related(*_IMPL_PREFETCH)
        p = self.request.query_params
        if p.get("region"):
            qs = _within_region(qs, p["region"])
        if p.get("department"):
            qs = qs.filter(department__uscc=p["department"].upper())
        if p.get("item"):
            qs = qs.filter(item_id__in=item_ids_with_descendants([_item_by_code(p["item"], "item").pk]))
        return qs

    def get_object(self) -> ItemImplementation:
        impl = self.get_queryset().filter(implementation_code=self.kwargs["implementation_code"].upper()).first()
        if impl is None:
            code = self.kwargs["implementation_code"]
            raise NotFound.single(
                "implementation_code",
                "unknown_implementation",
                f"实施编码“{code}”不存在",
                f"there is no implementation with code '{code}'",
            )
        # The writes act on this implementation: the policy checks its region and department.
        self.check_object_permissions(self.request, impl)
        return impl

    def _version(self, impl: ItemImplementation, number: str | int, field: str = "number") -> GuideVersion:
        version = impl.versions.filter(number=int(number) if str(number).isdigit() else -1).first()
        if version is None:
            raise NotFound.single(field, "unknown_version", f"版本“{number}”不存在", f"there is no version '{number}'")
        return version

    @extend_schema(
        summary="Add an implementation with its first guide as a draft (catalog admins)",
        request=s.ImplementationWriteSerializer,
        responses={201: s.ImplementationSerializer},
    )
    def create(self, request: Request) -> Response:
        body = s.ImplementationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        department = Department.objects.filter(uscc=str(d["department"]).upper()).first()
        if department is None:
            raise DomainError.single(
                "department",
                "unknown_department",
                f"统一社会信用代码为“{d['department']}”的部门不存在",
                f"there is no department with USCC '{d['department']}'",
            )
        impl = services.create_implementation(
            actor_for(request),
            item=_item_by_code(d["item"], "item"),
            department=department,
            implementation_code=d["implementation_code"],
            guide=d["guide"],
            materials=d.get("materials") or [],
            region_code=d.get("region"),
            local_code=d["local_code"],
        )
        return Response(
            s.ImplementationSerializer(self.get_queryset().get(pk=impl.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="Every version of the guide", responses=s.GuideVersionSummarySerializer(many=True))
    @action(detail=True, pagination_class=None)
    def versions(self, request: Request, implementation_code: str) -> Response:
        impl = self.get_object()
        return Response(s.GuideVersionSummarySerializer(impl.versions.order_by("number"), many=True).data)

    @extend_schema(summary="One version of the guide, with its materials", responses=s.GuideVersionSerializer)
    @action(detail=True, url_path=r"versions/(?P<number>[^/]+)")
    def version(self, request: Request, implementation_code: str, number: str) -> Response:
        return Response(s.GuideVersionSerializer(self._version(self.get_object(), number)).data)

    @extend_schema(
        summary="What changed between two versions",
        responses=s.ChangeSerializer(many=True),
        parameters=[
            OpenApiParameter("from", int, required=True, description="older version number"),
            OpenApiParameter("to", int, required=True, description="newer version number"),
        ],
    )
    @action(detail=True, pagination_class=None)
    def diff(self, request: Request, implementation_code: str) -> Response:
        impl = self.get_object()
        old = self._version(impl, request.query_params.get("from", ""), "from")
        new = self._version(impl, request.query_params.get("to", ""), "to")
        changes = guide_rules.diff(services.guide_content(old), services.guide_content(new))
        return Response(
            [
                {"field": c.field, "label": str(c.label), "kind": c.kind, "before": c.before, "after": c.after}
                for c in changes
            ]
        )

    @extend_schema(
        summary="Start a new draft from the guide in force (catalog admins)",
        request=None,
        responses={201: s.GuideVersionSerializer},
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, implementation_code: str) -> Response:
        draft = services.start_revision(actor_for(request), self.get_object())
        return Response(s.GuideVersionSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the draft guide (catalog admins); published versions are immutable",
        request=s.GuideWriteSerializer,
        responses=s.GuideVersionSerializer,
    )
    @action(detail=True, methods=["post"])
    def draft(self, request: Request, implementation_code: str) -> Response:
        impl = self.get_object()
        body = s.GuideWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = impl.versions.filter(status="draft").first()
        if draft is None:
            raise DomainError.single(
                "status",
                "no_draft",
                "该实施清单没有草稿，请先创建新草稿（revise）",
                "this implementation has no draft; start one with revise",
                status_code=409,
            )
        draft = services.update_draft(
            actor_for(request),
            draft,
            guide=body.validated_data["guide"],
            materials=body.validated_data.get("materials"),
        )
        return Response(s.GuideVersionSerializer(draft).data)

    @extend_schema(
        summary="Publish the draft guide (catalog admins)",
        request=s.PublishSerializer,
        responses=s.GuideVersionSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, implementation_code: str) -> Response:
        impl = self.get_object()
        body = s.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = impl.versions.filter(status="draft").first()
        if draft is None:
            raise DomainError.single(
                "status",
                "no_draft",
                "该实施清单没有待发布的草稿",
                "this implementation has no draft to publish",
                status_code=409,
            )
        published = services.publish_guide(
            actor_for(request), draft, effective_from=body.validated_data.get("effective_from")
        )
        return Response(s.GuideVersionSerializer(published).data)


@extend_schema_view(
    list=extend_schema(
        summary="List cross-region agreements (通办协议)",
        parameters=[OpenApiParameter("region", str, description="agreements with a member containing this region")],
    ),
    retrieve=extend_schema(summary="One agreement"),
)
class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    policy = {"list": _READ, "retrieve": _READ, "receivable": _READ, "create": _WRITE}
    serializer_class = s.AgreementSerializer

    def get_queryset(self) -> QuerySet[Agreement]:
        qs = Agreement.objects.prefetch_related("regions", "items")
        code = self.request.query_params.get("region")
        if code:
            region = services.get_region(code)
            ids = [a.pk for a in qs if any(r.contains(region.code) for r in a.regions.all())]
            qs = qs.filter(pk__in=ids)
        return qs

    @extend_schema(
        summary="Record an agreement (catalog admins)",
        request=s.AgreementWriteSerializer,
        responses={201: s.AgreementSerializer},
    )
    def create(self, request: Request) -> Response:
        body = s.AgreementWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        agreement = services.create_agreement(
            actor_for(request),
            name=d["name"],
            kind=d["kind"],
            region_codes=d["regions"],
            item_codes=d["items"],
            modes=d["modes"],
            effective_from=d["effective_from"],
            effective_to=d.get("effective_to"),
            note=d["note"],
        )
        return Response(s.AgreementSerializer(agreement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="May a window in one region receive an item handled by another, and in which modes?",
        responses=s.ReceivabilitySerializer,
        parameters=[
            OpenApiParameter("receiving", str, required=True, description="region code of the window"),
            OpenApiParameter("handling", str, required=True, description="region code of the handling office"),
            OpenApiParameter("item", str, required=True, description="item code"),
            OpenApiParameter("on", OpenApiTypes.DATE, description="date; today when omitted"),
        ],
    )
    @action(detail=False, pagination_class=None)
    def receivable(self, request: Request) -> Response:
        p = request.query_params
        answer = receivable(
            services.get_region(p.get("receiving", ""), "receiving"),
            _item_by_code(p.get("item", ""), "item"),
            services.get_region(p.get("handling", ""), "handling"),
            _date_param(request, "on"),
        )
        return Response({"allowed": answer.allowed, "modes": list(answer.modes), "agreements": list(answer.agreements)})


class SearchView(APIView):
    """Chinese full-text search over implementations, ranked, with filters."""

    policy = {"GET": _READ}

    @extend_schema(
        summary="Search items and implementations (事项检索)",
        responses=s.ImplementationListSerializer(many=True),
        parameters=[
            OpenApiParameter("q", str, description="words to find, e.g. 社保, 公积金提取"),
            OpenApiParameter("region", str, description="implementations in this region or inside it"),
            OpenApiParameter("department", int, description="department id"),
            OpenApiParameter("item_type", str, description="item type code"),
            OpenApiParameter("mode", str, description="a handling mode the guide offers"),
            OpenApiParameter("service_object", str, description="natural or legal"),
            OpenApiParameter("receivable_in", str, description="items a window in this region may receive"),
            OpenApiParameter("limit", int, description="results per page (≤ 100)"),
            OpenApiParameter("offset", int, description="results to skip"),
        ],
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        try:
            limit = min(max(int(p.get("limit", 20)), 1), 100)
            offset = max(int(p.get("offset", 0)), 0)
            department = int(p["department"]) if p.get("department") else None
        except ValueError as exc:
            raise DomainError.single(
                "limit",
                "not_a_number",
                "limit、offset 和 department 应为整数",
                "limit, offset and department must be whole numbers",
            ) from exc
        for name in ("region", "receivable_in"):
            if p.get(name):
                services.get_region(p[name], name)
        filters = search.Filters(
            region=p.get("region") or None,
            department=department,
            item_type=p.get("item_type") or None,
            mode=p.get("mode") or None,
            service_object=p.get("service_object") or None,
            receivable_in=p.get("receivable_in") or None,
        )
        page = search.search(p.get("q", ""), filters, limit=limit, offset=offset)
        found = ItemImplementation.objects.select_related(
            "item", "region__parent__parent", "department", "current_version"
        ).in_bulk(page.ids)
        rows = [found[i] for i in page.ids if i in found]
        return Response(
            {
                "count": page.total,
                "limit": limit,
                "offset": offset,
                "results": s.ImplementationListSerializer(rows, many=True).data,
            }
        )
