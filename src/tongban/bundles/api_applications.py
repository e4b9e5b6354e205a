"""Bundle application API (/api/v1/bundle-applications/): apply for a 一件事 once and follow it as one.

``POST /api/v1/bundle-applications/`` starts a draft (at a window or online); ``POST …/{id}/form/``,
``…/{id}/materials/{material_id}/``, ``…/{id}/submit/`` and ``…/{id}/deliver/`` run the commands of
tongban.bundles.services.applications and answer the application as it now stands. As for cases, the
permission layer only checks that the caller may see the application (``case.read``; starting one,
``case.apply``: any logged-in user gets as far as the command); the command then asks the policy for its
own rule (``case.intake`` at a window, ``case.apply`` online, ``case.deliver`` at the output window), so
a page, the API and a script get the same answer. Every POST honours ``Idempotency-Key``; the actions
take the version the caller saw (body ``version`` or ``If-Match``) and answer 409 when it is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.bundles import serializers_applications as s
from tongban.bundles import timeline as bundle_timeline
from tongban.bundles.models import BundleCase, BundleCaseStatus
from tongban.bundles.services import applications as apply
from tongban.cases.api import IDEMPOTENCY_HEADER, ROLE_HEADER
from tongban.core import idempotency
from tongban.core.api_input import choices
from tongban.core.api_input import json_object as _body
from tongban.core.api_input import text as _str
from tongban.core.api_input import version_of as _version
from tongban.core.errors import DomainError, NotFound
from tongban.identity.actor import actor_for
from tongban.identity.models import Authorisation, Organisation, Person
from tongban.identity.permissions import Needs
from tongban.identity.policy import visible

IF_MATCH = OpenApiParameter(
    "If-Match", str, location=OpenApiParameter.HEADER, required=False, description="the application version you saw"
)
ID = OpenApiParameter("id", int, location=OpenApiParameter.PATH, description="id of the bundle application")
MATERIAL_ID = OpenApiParameter(
    "material_id", int, location=OpenApiParameter.PATH, description="id of a material on the application's list"
)
ACTION_PARAMETERS = [ID, ROLE_HEADER, IDEMPOTENCY_HEADER, IF_MATCH]








def _record(model: type, data: Any, name: str) -> Any:
    """The record whose id the body gives in ``name`` (None when absent); 400 naming the field otherwise."""
    raw = data.get(name)
    if raw in (None, ""):
        return None
    found = model.objects.filter(pk=int(raw)).first() if str(raw).isdigit() else None
    if found is None:
        raise DomainError.single(name, "unknown", f"“{name}”编号{raw}不存在", f"no {name} with id {raw}")
    return found


def _answer(bundle_case: BundleCase, code: int = status.HTTP_200_OK) -> Response:
    """The application as it now stands, read afresh: the command may have moved its item cases too."""
    fresh = (
        BundleCase.objects.select_related("bundle", "applicant_person", "applicant_organisation", "agent")
        .prefetch_related("materials", "item_cases")
        .get(pk=bundle_case.pk)
    )
    return Response(s.BundleApplicationSerializer(fresh).data, status=code)


def _command(summary: str, request_body: Any, **more: Any) -> Callable[[Any], Any]:
    return extend_schema(summary=summary, request=request_body, responses={200: s.BundleApplicationSerializer}, **more)


@extend_schema_view(
    list=extend_schema(
        summary="Bundle applications (一件事办件) you may see: your own, or your region's as staff",
        parameters=[
            OpenApiParameter("status", str, description="one status or several, comma-separated"),
            OpenApiParameter("bundle", str, description="code of the bundle"),
            OpenApiParameter("number", str, description="application number, or its beginning"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(
        summary="One bundle application: applicant, form, materials, and each item with its state and case",
        parameters=[ID, ROLE_HEADER],
        responses=s.BundleApplicationSerializer,
    ),
)
class BundleApplicationViewSet(viewsets.GenericViewSet):
    lookup_value_regex = r"[^/.]+"  # any segment, so that a bad id is our 404 in the API's shape
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.BundleApplicationListSerializer
    policy: dict[str, str | Needs] = {
        "list": "case.read",
        "retrieve": "case.read",
        "timeline": "case.read",
        "create": "case.apply",
        "save_form": "case.read",
        "give_material": "case.read",
        "submit": "case.read",
        "deliver": "case.read",
    }

    def get_queryset(self) -> QuerySet[BundleCase]:
        qs = BundleCase.objects.select_related("bundle")
        return visible(actor_for(self.request), "case.read", qs)

    def get_object(self) -> BundleCase:
        pk = str(self.kwargs.get("pk", ""))
        found = self.get_queryset().filter(pk=int(pk)).first() if pk.isdigit() else None
        if found is None:
            # The same answer whether it does not exist or is not the caller's to see.
            raise NotFound.single(
                "id", "not_found", "一件事申请不存在或您无权查看", "no such bundle application, or you may not see it"
            )
        self.check_object_permissions(self.request, found)
        return found

    def list(self, request: Request) -> Response:
        qs = self.get_queryset()
        p = request.query_params
        if p.get("status"):
            qs = qs.filter(status__in=choices(p, "status", BundleCaseStatus.values))
        if p.get("bundle"):
            qs = qs.filter(bundle__code=p["bundle"].strip())
        if p.get("number"):
            qs = qs.filter(number__startswith=p["number"].strip())
        page = self.paginate_queryset(qs.order_by("-created_at", "-id"))
        return self.get_paginated_response(s.BundleApplicationListSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return _answer(self.get_object())

    @extend_schema(
        summary="Start a bundle application (draft): at a window for the applicant there, or online as yourself",
        request=s.BundleStartSerializer,
        responses={201: s.BundleApplicationSerializer},
        parameters=[ROLE_HEADER, IDEMPOTENCY_HEADER],
    )
    def create(self, request: Request) -> Response:
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            bundle = _str(data, "bundle").strip()
            if not bundle:
                raise DomainError.single("bundle", "required", "请指定一件事（编码）", "give the bundle's code")
            bundle_case = apply.start(
                actor,
                bundle,
                channel=_str(data, "channel").strip(),
                person=_record(Person, data, "person"),
                organisation=_record(Organisation, data, "organisation"),
                agent=_record(Person, data, "agent"),
                authorisation=_record(Authorisation, data, "authorisation"),
                identity_check=_str(data, "identity_check"),
                form_data=data.get("form_data"),
                delivery_choice=_str(data, "delivery_choice").strip() or "together",
            )
            return _answer(bundle_case, status.HTTP_201_CREATED)

        return idempotency.run(request, run)

    @_command(
        "Save the merged form of a draft (checked in full on submission)",
        s.BundleFormSerializer,
        parameters=ACTION_PARAMETERS,
    )
    @action(detail=True, methods=["post"], url_path="form", url_name="form")
    def save_form(self, request: Request, pk: str) -> Response:
        bundle_case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            apply.save_form(actor, bundle_case, form_data=data.get("form_data"), version=_version(request))
            return _answer(bundle_case)

        return idempotency.run(request, run)

    @_command(
        "Give a material once for every item that needs it: seen at the window, scanned, or a file uploaded",
        {"application/json": s.BundleGiveMaterialSerializer, "multipart/form-data": s.BundleGiveMaterialSerializer},
        parameters=[*ACTION_PARAMETERS, MATERIAL_ID],
    )
    @action(detail=True, methods=["post"], url_path=r"materials/(?P<material_id>[^/.]+)", url_name="material")
    def give_material(self, request: Request, pk: str, material_id: str) -> Response:
        bundle_case = self.get_object()
        if not material_id.isdigit() or not bundle_case.materials.filter(pk=int(material_id)).exists():
            raise NotFound.single(
                "material_id", "not_found", "该材料不在本申请的材料清单中", "no such material on the application's list"
            )
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            upload = request.FILES.get("file")
            # A file on its own says how the material is given; seen or scanned at a window needs saying.
            evidence = _str(data, "evidence").strip() or ("upload" if upload is not None else "")
            apply.give_material(
                actor,
                bundle_case,
                material_id=int(material_id),
                evidence=evidence,
                upload=upload,
                name=upload.name if upload is not None else "",
                note=_str(data, "note"),
                version=_version(request),
            )
            return _answer(bundle_case)

        return idempotency.run(request, run)

    @_command(
        "Submit: the form and materials are checked, the clock starts, the items that wait for nothing go out",
        s.BundleVersionSerializer,
        parameters=ACTION_PARAMETERS,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        bundle_case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            _body(request.data)
            apply.submit(actor, bundle_case, version=_version(request))
            return _answer(bundle_case)

        return idempotency.run(request, run)

    @_command(
        "Hand out the package at the unified output window (统一出件): every result at once, in person or by post",
        s.BundleDeliverSerializer,
        parameters=ACTION_PARAMETERS,
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str) -> Response:
        bundle_case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            apply.deliver(
                actor,
                bundle_case,
                method=_str(data, "method").strip(),
                recipient_id_check=_str(data, "recipient_id_check"),
                carrier=_str(data, "carrier"),
                tracking_number=_str(data, "tracking_number"),
                address=_str(data, "address"),
                version=_version(request),
            )
            return _answer(bundle_case)

        return idempotency.run(request, run)

    @extend_schema(
        summary="One timeline: the application's own events and every item case's, oldest first",
        responses=s.BundleTimelineEntrySerializer(many=True),
        parameters=[ID, ROLE_HEADER],
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request: Request, pk: str) -> Response:
        entries = bundle_timeline.timeline(self.get_object())
        return Response(s.BundleTimelineEntrySerializer(entries, many=True).data)
