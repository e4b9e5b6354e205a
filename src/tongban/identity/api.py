"""Identity API (/api/v1/): persons, organisations, authorisations, staff assignments, and the log of
look-ups of personal data.

Each viewset declares the policy action of each of its actions (``policy``); lists show only what
tongban.identity.policy.visible lets the actor see; every change is a command in services.py.
Document numbers and phones are masked; ``?full=1&reason=…`` on a person shows them whole when the
policy allows, and the look-up is logged. Looking at someone else's person record is logged too.

Staff with several assignments choose the one they act in on the role switcher page, or per call with
the ``X-Tongban-Role`` header (an assignment id, or ``none``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.catalog.services import get_region
from tongban.core.codes import CodeError
from tongban.core.errors import DomainError, NotFound
from tongban.identity import ids, services
from tongban.identity import serializers as s
from tongban.identity.actor import Actor, actor_for
from tongban.identity.models import Authorisation, Organisation, Person, PersonalDataAccess, StaffAssignment
from tongban.identity.permissions import Needs
from tongban.identity.policy import is_own, visible

ROLE_HEADER = OpenApiParameter(
    "X-Tongban-Role",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="id of the staff assignment to act in (see assignments/mine/), or none; default: the session's choice",
)


# --- reading parameters and bodies, with bilingual errors -------------------------------------------


def _text(data: Any, name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _bool(data: Any, name: str) -> bool:
    value = data.get(name)
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise DomainError.single(name, "not_a_boolean", f"“{name}”应为 true 或 false", f"'{name}' must be true or false")


def _date(data: Any, name: str) -> date | None:
    raw = _text(data, name)
    if not raw:
        return None
    try:
        value = parse_date(raw) if len(raw) == 10 else None
    except ValueError:  # well-formed but impossible, like 2025-13-01
        value = None
    if value is None:
        raise DomainError.single(
            name, "invalid_date", f"日期“{raw}”格式应为 YYYY-MM-DD", f"date '{raw}' must be written YYYY-MM-DD"
        )
    return value


def _int(data: Any, name: str) -> int | None:
    raw = _text(data, name)
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError.single(name, "not_a_number", f"“{name}”应为整数编号", f"'{name}' must be a whole-number id")
    return int(raw)


def _in_region(qs: QuerySet, code: str, field: str = "region") -> QuerySet:
    region = get_region(code, field)
    return qs.filter(region__code__startswith=region.code_prefix)


def _paged(view: viewsets.GenericViewSet, qs: QuerySet, serializer: type, **context: Any) -> Response:
    page = view.paginate_queryset(qs)
    return view.get_paginated_response(serializer(page, many=True, context=context).data)


_MASKED_FIELDS = ["name", "id_number (masked)", "phone (masked)"]


def _log_view(actor: Actor, person: Person, reason: str, default: str) -> None:
    """Rule 8 of the house: every look-up of someone else's personal data is logged."""
    if actor.system or is_own(actor, person):
        return
    services.log_personal_data_access(
        actor, record=person, person=person, fields=_MASKED_FIELDS, reason=reason or default
    )


# --- persons ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List natural persons (自然人), masked; only those you may see",
        parameters=[
            OpenApiParameter("q", str, description="part of the name"),
            OpenApiParameter("region", str, description="registered in this region or inside it"),
            OpenApiParameter("id_type", str, description="document type for id_number (default resident_id)"),
            OpenApiParameter("id_number", str, description="exact document number; the look-up is logged"),
            OpenApiParameter("nationality", str, description="nationality for id_number (default CHN)"),
            OpenApiParameter("reason", str, description="why you look a person up (kept in the access log)"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(
        summary="One person; masked unless full=1 is allowed (the look-up is logged)",
        parameters=[
            OpenApiParameter("full", bool, description="1: the whole document number and phone"),
            OpenApiParameter("reason", str, description="why you need the data; required with full=1"),
            ROLE_HEADER,
        ],
    ),
)
class PersonViewSet(viewsets.GenericViewSet):
    policy = {
        "list": "identity.person.read",
        "retrieve": "identity.person.read",
        "me": "identity.person.read",
        "create": Needs("identity.person.write"),
        "partial_update": "identity.person.write",
    }
    queryset = Person.objects.select_related("region").order_by("id")
    serializer_class = s.PersonSerializer

    def list(self, request: Request) -> Response:
        actor = actor_for(request)
        qs = visible(actor, "identity.person.read", self.get_queryset())
        p = request.query_params
        if p.get("q"):
            qs = qs.filter(name__contains=p["q"].strip())
        if p.get("region"):
            qs = _in_region(qs, p["region"])
        number = _text(p, "id_number")
        if number:
            id_type = _text(p, "id_type") or "resident_id"
            try:
                number = ids.validate_id_number(id_type, number, _text(p, "nationality") or "CHN")
            except CodeError as exc:
                raise DomainError.from_code_error("id_number", exc) from exc
            qs = qs.filter(id_type=id_type, id_number=number)
        page = self.paginate_queryset(qs)
        if number:
            for person in page:
                _log_view(actor, person, _text(p, "reason"), "按证件号码查找 / look-up by document number")
        return self.get_paginated_response(s.PersonSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        person = self.get_object()
        actor = actor_for(request)
        full = _bool(request.query_params, "full")
        reason = _text(request.query_params, "reason")
        if full:
            services.reveal_person(actor, person, reason=reason)
        else:
            _log_view(actor, person, reason, "查看详情（脱敏） / detail view (masked)")
        return Response(s.PersonSerializer(person, context={"full": full}).data)

    @extend_schema(
        summary="Your own person record (full=1 shows it unmasked)",
        parameters=[OpenApiParameter("full", bool, description="1: unmasked")],
        responses=s.PersonSerializer,
    )
    @action(detail=False, pagination_class=None)
    def me(self, request: Request) -> Response:
        person = actor_for(request).person
        if person is None:
            raise NotFound.single(
                None, "no_person", "您的账号尚未关联自然人信息", "your login is not linked to a person record"
            )
        return Response(s.PersonSerializer(person, context={"full": _bool(request.query_params, "full")}).data)

    @extend_schema(
        summary="Register a person: a window clerk in scope, or yourself (myself=true)",
        request=s.PersonWriteSerializer,
        responses={201: s.PersonSerializer},
        parameters=[ROLE_HEADER],
    )
    def create(self, request: Request) -> Response:
        d = request.data
        person = services.register_person(
            actor_for(request),
            name=_text(d, "name"),
            id_type=_text(d, "id_type"),
            id_number=_text(d, "id_number"),
            nationality=_text(d, "nationality") or "CHN",
            phone=_text(d, "phone"),
            region_code=_text(d, "region") or None,
            user=request.user if _bool(d, "myself") else None,
        )
        return Response(s.PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a person's name or phone (the person, or a window clerk in scope)",
        request=s.PersonUpdateSerializer,
        responses=s.PersonSerializer,
        parameters=[ROLE_HEADER],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        person = self.get_object()
        d = request.data
        person = services.update_person(
            actor_for(request),
            person,
            name=_text(d, "name") if "name" in d else None,
            phone=_text(d, "phone") if "phone" in d else None,
        )
        return Response(s.PersonSerializer(person).data)


# --- organisations ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List organisations (法人) you may see",
        parameters=[
            OpenApiParameter("q", str, description="part of the name"),
            OpenApiParameter("uscc", str, description="unified social credit code"),
            OpenApiParameter("region", str, description="registered in this region or inside it"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One organisation", parameters=[ROLE_HEADER]),
)
class OrganisationViewSet(viewsets.GenericViewSet):
    policy = {
        "list": "identity.organisation.read",
        "retrieve": "identity.organisation.read",
        "create": Needs("identity.organisation.write"),
    }
    queryset = Organisation.objects.select_related("legal_representative", "region").order_by("id")
    serializer_class = s.OrganisationSerializer

    def list(self, request: Request) -> Response:
        qs = visible(actor_for(request), "identity.organisation.read", self.get_queryset())
        p = request.query_params
        if p.get("q"):
            qs = qs.filter(name__contains=p["q"].strip())
        if p.get("uscc"):
            qs = qs.filter(uscc=p["uscc"].strip().upper())
        if p.get("region"):
            qs = _in_region(qs, p["region"])
        return _paged(self, qs, s.OrganisationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.OrganisationSerializer(self.get_object()).data)

    @extend_schema(
        summary="Register an organisation (window clerks in scope)",
        request=s.OrganisationWriteSerializer,
        responses={201: s.OrganisationSerializer},
        parameters=[ROLE_HEADER],
    )
    def create(self, request: Request) -> Response:
        d = request.data
        org = services.register_organisation(
            actor_for(request),
            name=_text(d, "name"),
            uscc=_text(d, "uscc"),
            legal_representative=_text(d, "legal_representative") or None,
            region_code=_text(d, "region") or None,
        )
        return Response(s.OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)


# --- authorisations ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List authorisations (授权委托) you may see",
        parameters=[
            OpenApiParameter("agent", int, description="id of the agent's person record"),
            OpenApiParameter("principal_person", int, description="id of the principal person"),
            OpenApiParameter("principal_organisation", int, description="id of the principal organisation"),
            OpenApiParameter("in_force", bool, description="1: only those that apply today"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One authorisation", parameters=[ROLE_HEADER]),
)
class AuthorisationViewSet(viewsets.GenericViewSet):
    policy = {
        "list": "identity.authorisation.read",
        "retrieve": "identity.authorisation.read",
        "create": Needs("identity.authorisation.write"),
        "revoke": "identity.authorisation.revoke",
    }
    queryset = Authorisation.objects.select_related(
        "principal_person", "principal_organisation", "agent", "recorded_by"
    ).order_by("-recorded_at", "-id")
    serializer_class = s.AuthorisationSerializer

    def list(self, request: Request) -> Response:
        qs = visible(actor_for(request), "identity.authorisation.read", self.get_queryset())
        p = request.query_params
        for name in ("agent", "principal_person", "principal_organisation"):
            value = _int(p, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        if _bool(p, "in_force"):
            from django.utils import timezone

            today = timezone.localdate()
            qs = qs.filter(revoked_at__isnull=True, valid_from__lte=today, valid_to__gte=today)
        return _paged(self, qs, s.AuthorisationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.AuthorisationSerializer(self.get_object()).data)

    @extend_schema(
        summary="Record an authorisation: signed form (upload, multipart) or in person with the ID check noted",
        request={
            "multipart/form-data": s.AuthorisationWriteSerializer,
            "application/json": s.AuthorisationWriteSerializer,
        },
        responses={201: s.AuthorisationSerializer},
        parameters=[ROLE_HEADER],
    )
    def create(self, request: Request) -> Response:
        d = request.data
        authorisation = services.record_authorisation(
            actor_for(request),
            principal_person=_text(d, "principal_person") or None,
            principal_organisation=_text(d, "principal_organisation") or None,
            agent=_text(d, "agent") or None,
            scope=_text(d, "scope"),
            valid_from=_date(d, "valid_from"),
            valid_to=_date(d, "valid_to"),
            evidence=_text(d, "evidence"),
            evidence_file=request.FILES.get("evidence_file"),
            id_check_note=_text(d, "id_check_note"),
            region_code=_text(d, "region") or None,
        )
        return Response(s.AuthorisationSerializer(authorisation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an authorisation (its principal, or a window clerk in scope)",
        request=s.ReasonSerializer,
        responses=s.AuthorisationSerializer,
        parameters=[ROLE_HEADER],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        authorisation = services.revoke_authorisation(
            actor_for(request), self.get_object(), reason=_text(request.data, "reason")
        )
        return Response(s.AuthorisationSerializer(authorisation).data)


# --- staff assignments ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List staff assignments (岗位): node operators and supervisors in scope; others see their own",
        parameters=[
            OpenApiParameter("user", str, description="username"),
            OpenApiParameter("role", str, description="role"),
            OpenApiParameter("region", str, description="assignments in this region or inside it"),
            OpenApiParameter("active", bool, description="1: only active ones"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One staff assignment", parameters=[ROLE_HEADER]),
)
class StaffAssignmentViewSet(viewsets.GenericViewSet):
    policy = {
        "list": "identity.assignment.read",
        "retrieve": "identity.assignment.read",
        "mine": "identity.assignment.read",
        "create": Needs("identity.assignment.write"),
        "end": "identity.assignment.write",
    }
    queryset = StaffAssignment.objects.select_related("user", "region__parent__parent", "department").order_by(
        "user_id", "role", "region_id", "id"
    )
    serializer_class = s.StaffAssignmentSerializer

    def _context(self, request: Request) -> dict[str, Any]:
        current = actor_for(request).assignment
        return {"current": current.pk if current else None}

    def list(self, request: Request) -> Response:
        qs = visible(actor_for(request), "identity.assignment.read", self.get_queryset())
        p = request.query_params
        if p.get("user"):
            qs = qs.filter(user__username=p["user"].strip())
        if p.get("role"):
            qs = qs.filter(role=p["role"].strip())
        if p.get("region"):
            qs = _in_region(qs, p["region"])
        if _bool(p, "active"):
            qs = qs.filter(active=True)
        return _paged(self, qs, s.StaffAssignmentSerializer, **self._context(request))

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.StaffAssignmentSerializer(self.get_object(), context=self._context(request)).data)

    @extend_schema(
        summary="Your active assignments; 'current' marks the one you act in",
        responses=s.StaffAssignmentSerializer(many=True),
        parameters=[ROLE_HEADER],
    )
    @action(detail=False, pagination_class=None)
    def mine(self, request: Request) -> Response:
        actor = actor_for(request)
        return Response(s.StaffAssignmentSerializer(actor.assignments, many=True, context=self._context(request)).data)

    @extend_schema(
        summary="Give a user a role in a region (node operators in scope)",
        request=s.StaffAssignmentWriteSerializer,
        responses={201: s.StaffAssignmentSerializer},
        parameters=[ROLE_HEADER],
    )
    def create(self, request: Request) -> Response:
        d = request.data
        assignment = services.assign_role(
            actor_for(request),
            user=_text(d, "user"),
            role=_text(d, "role"),
            region_code=_text(d, "region"),
            department=_text(d, "department") or None,
            include_descendants=_bool(d, "include_descendants"),
        )
        return Response(
            s.StaffAssignmentSerializer(assignment, context=self._context(request)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="End an assignment (node operators in scope)",
        request=None,
        responses=s.StaffAssignmentSerializer,
        parameters=[ROLE_HEADER],
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        assignment = services.end_assignment(actor_for(request), self.get_object())
        return Response(s.StaffAssignmentSerializer(assignment, context=self._context(request)).data)


# --- the personal data access log -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Who looked at whose personal data (supervisors in scope; a person sees their own)",
        parameters=[
            OpenApiParameter("person", int, description="id of the person concerned"),
            OpenApiParameter("user", str, description="username of who looked"),
            OpenApiParameter("from", str, description="first day, YYYY-MM-DD"),
            OpenApiParameter("to", str, description="last day, YYYY-MM-DD"),
            OpenApiParameter("record_type", str, description="e.g. identity.person"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One entry of the access log", parameters=[ROLE_HEADER]),
)
class PersonalDataAccessViewSet(viewsets.GenericViewSet):
    policy = {"list": "identity.access_log.read", "retrieve": "identity.access_log.read"}
    queryset = PersonalDataAccess.objects.select_related("user", "assignment", "person").order_by("-at", "-id")
    serializer_class = s.PersonalDataAccessSerializer

    def list(self, request: Request) -> Response:
        qs = visible(actor_for(request), "identity.access_log.read", self.get_queryset())
        p = request.query_params
        person = _int(p, "person")
        if person is not None:
            qs = qs.filter(person_id=person)
        if p.get("user"):
            qs = qs.filter(user__username=p["user"].strip())
        start, end = _date(p, "from"), _date(p, "to")
        if start and end and end < start:
            raise DomainError.single("to", "before_start", "结束日期早于开始日期", "'to' is before 'from'")
        if start:
            qs = qs.filter(at__date__gte=start)
        if end:
            qs = qs.filter(at__date__lte=end)
        if p.get("record_type"):
            qs = qs.filter(record_type=p["record_type"].strip())
        return _paged(self, qs, s.PersonalDataAccessSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.PersonalDataAccessSerializer(self.get_object()).data)
