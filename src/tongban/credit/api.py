"""Credit record API (/api/v1/credit-entries/, /api/v1/credit-eligibility/).

Lists show what tongban.identity.policy.visible lets the actor see: staff the entries recorded in their
scope, applicants the entries about themselves and the organisations they represent or are authorised
for. Looking someone else up by ``subject_code`` is a look-up of personal data: it needs a ``reason``
(unless ``subject_type=organisation``: credit codes and the credit of organisations are public), and
every returned entry about a person is written to the personal data access log. So is the detail view
of someone else's entry, and every entry that bars a person at the eligibility check.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.core.codes import CodeError
from tongban.core.errors import DomainError, NotFound
from tongban.core.messages import Text
from tongban.credit import serializers as s
from tongban.credit import services, subjects
from tongban.credit.choices import EntryKind, Privilege, SubjectType
from tongban.credit.models import CreditEntry
from tongban.identity.actor import Actor, actor_for
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Person
from tongban.identity.permissions import Needs
from tongban.identity.policy import RULES, Decision, visible
from tongban.identity.services import log_personal_data_access

ROLE_HEADER = OpenApiParameter(
    "X-Tongban-Role", str, location=OpenApiParameter.HEADER, required=False, description="assignment id to act in"
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOGGED_FIELDS = ["subject_name", "subject_code (masked)", "kind", "decision", "note"]


def _text(data: Any, name: str) -> str:
    value = data.get(name) if hasattr(data, "get") else None
    return "" if value is None else str(value).strip()


def _bool(data: Any, name: str) -> bool:
    text = _text(data, name).lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise DomainError.single(name, "not_a_boolean", f"“{name}”应为 true 或 false", f"'{name}' must be true or false")


def _choice(data: Any, name: str, choices: list[str], required: bool = False) -> str:
    value = _text(data, name).lower()
    if not value and required:
        raise DomainError.single(name, "required", f"请给出“{name}”", f"'{name}' is required")
    if value and value not in choices:
        raise DomainError.single(
            name,
            "invalid_choice",
            f"“{name}”的值“{value}”无效，可选：{'、'.join(choices)}",
            f"'{value}' is not a valid {name}; choose from {', '.join(choices)}",
        )
    return value


def _date(data: Any, name: str) -> date | None:
    raw = _text(data, name)
    if not raw:
        return None
    if _DATE_RE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:  # well-formed but impossible, like 2026-13-01
            pass
    raise DomainError.single(
        name, "invalid_date", f"日期“{raw}”格式应为 YYYY-MM-DD", f"date '{raw}' must be written YYYY-MM-DD"
    )


def _reads_others(actor: Actor) -> bool:
    """Whether the actor reads credit beyond their own: staff in a reading role, superusers, the system."""
    if actor.system or actor.is_superuser:
        return True
    return actor.assignment is not None and actor.assignment.role in RULES["credit.read"].roles


def _log_person_entries(actor: Actor, entries: Any, reason: str, own: set[str]) -> None:
    """Rule 8 of the house: every look-up of someone else's personal data is logged, one line per entry."""
    if actor.system:
        return
    persons: dict[str, Person | None] = {}
    for entry in entries:
        if entry.subject_type != SubjectType.PERSON or entry.subject_code in own:
            continue
        if entry.subject_code not in persons:
            persons[entry.subject_code] = Person.objects.filter(id_number=entry.subject_code).first()
        log_personal_data_access(
            actor, record=entry, person=persons[entry.subject_code], fields=LOGGED_FIELDS, reason=reason
        )


LIST_PARAMETERS = [
    OpenApiParameter("subject_type", str, description="person or organisation"),
    OpenApiParameter(
        "subject_code",
        str,
        description="document number or credit code; looking someone else up needs reason and is logged",
    ),
    OpenApiParameter("reason", str, description="why you look the subject up (kept in the access log)"),
    OpenApiParameter("kind", str, description="good_conduct, broken_commitment, false_commitment, dishonest or repair"),
    OpenApiParameter("in_force", bool, description="1: only entries that apply today"),
    ROLE_HEADER,
]


@extend_schema_view(
    list=extend_schema(summary="List credit entries (信用记录) you may see", parameters=LIST_PARAMETERS),
    retrieve=extend_schema(
        summary="One credit entry (looking at someone else's is logged)",
        parameters=[OpenApiParameter("reason", str, description="why you look (kept in the access log)"), ROLE_HEADER],
    ),
)
class CreditEntryViewSet(viewsets.GenericViewSet):
    policy = {
        "list": "credit.read",
        "retrieve": "credit.read",
        "create": Needs("credit.record"),
        "repair": "credit.record",
        "import_file": Needs("credit.import"),
    }
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.CreditEntrySerializer

    def get_queryset(self) -> QuerySet:
        qs = CreditEntry.objects.select_related("case", "recorded_by").prefetch_related("repaired_by")
        return visible(actor_for(self.request), "credit.read", qs).order_by("-occurred_on", "-id")

    def get_object(self) -> CreditEntry:
        pk = self.kwargs.get("pk", "")
        entry = self.get_queryset().filter(pk=pk).first() if str(pk).isdigit() else None
        if entry is None:
            raise NotFound.single(
                "id", "not_found", "信用记录不存在或您无权查看", "no such credit entry, or you may not see it"
            )
        self.check_object_permissions(self.request, entry)
        return entry

    def list(self, request: Request) -> Response:
        actor = actor_for(request)
        p = request.query_params
        qs = self.get_queryset()
        subject_type = _choice(p, "subject_type", SubjectType.values)
        if subject_type:
            qs = qs.filter(subject_type=subject_type)
        code = subjects.normalise(_text(p, "subject_code"))
        reason = _text(p, "reason")
        own = subjects.own_codes(actor) if code else set()
        if code:
            if subject_type != SubjectType.ORGANISATION and code not in own and not reason and not actor.system:
                raise DomainError.single(
                    "reason",
                    "required",
                    "按证件号码查找他人的信用记录须说明理由（将记入个人信息查阅记录）",
                    "looking up someone else's credit by code needs a reason (it is kept in the access log)",
                )
            qs = qs.filter(subject_code=code)
        kind = _choice(p, "kind", EntryKind.values)
        if kind:
            qs = qs.filter(kind=kind)
        if _bool(p, "in_force"):
            qs = qs.in_force(timezone.localdate())
        page = self.paginate_queryset(qs)
        if code:
            _log_person_entries(actor, page, reason, own)
        return self.get_paginated_response(s.CreditEntrySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        entry = self.get_object()
        actor = actor_for(request)
        reason = _text(request.query_params, "reason") or "查看信用记录详情 / credit entry detail view"
        _log_person_entries(actor, [entry], reason, subjects.own_codes(actor))
        return Response(s.CreditEntrySerializer(entry).data)

    @extend_schema(
        summary="Record a credit entry by hand (supervisors; placed in your role's region)",
        request=s.CreditEntryWriteSerializer,
        responses={201: s.CreditEntrySerializer},
        parameters=[ROLE_HEADER],
    )
    def create(self, request: Request) -> Response:
        d = request.data
        entry = services.record_entry(
            actor_for(request),
            subject_type=_text(d, "subject_type"),
            subject_code=_text(d, "subject_code"),
            subject_name=_text(d, "subject_name"),
            kind=_text(d, "kind"),
            occurred_on=_date(d, "occurred_on"),
            valid_until=_date(d, "valid_until"),
            source_name=_text(d, "source_name"),
            decision=_text(d, "decision"),
            note=_text(d, "note"),
        )
        return Response(s.CreditEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Repair an entry (信用修复): appends a repair entry that ends it (supervisors in scope)",
        request=s.RepairSerializer,
        responses={201: s.CreditEntrySerializer},
        parameters=[ROLE_HEADER],
    )
    @action(detail=True, methods=["post"])
    def repair(self, request: Request, pk: str) -> Response:
        d = request.data
        fixed = services.repair(
            actor_for(request),
            self.get_object(),
            decision=_text(d, "decision"),
            note=_text(d, "note"),
            occurred_on=_date(d, "occurred_on"),
        )
        fixed = self.get_queryset().get(pk=fixed.pk)
        return Response(s.CreditEntrySerializer(fixed).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Import a credit list of another body (CSV or JSON; all or nothing; re-imported rows skipped)",
        request={"multipart/form-data": s.ImportUploadSerializer},
        responses={201: s.CreditImportSerializer},
        parameters=[ROLE_HEADER],
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_file(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError.single("file", "required", "请选择要导入的文件", "choose a file to import")
        batch = services.import_entries(
            actor_for(request), upload=upload, name=upload.name or "", source_name=_text(request.data, "source_name")
        )
        return Response(s.CreditImportSerializer(batch).data, status=status.HTTP_201_CREATED)


class EligibilityView(APIView):
    """Whether a subject may have 告知承诺 or 容缺受理 today, and which entries bar it."""

    policy = {"GET": "credit.read"}

    @extend_schema(
        summary="May this subject have commitment (告知承诺) or tolerance (容缺受理) today? (staff; or your own)",
        parameters=[
            OpenApiParameter("subject_type", str, required=True, description="person or organisation"),
            OpenApiParameter("subject_code", str, required=True, description="document number or credit code"),
            OpenApiParameter("privilege", str, required=True, description="commitment or tolerance"),
            OpenApiParameter("reason", str, description="why you check (kept in the access log when entries bar)"),
            ROLE_HEADER,
        ],
        responses=s.EligibilitySerializer,
    )
    def get(self, request: Request) -> Response:
        actor = actor_for(request)
        p = request.query_params
        subject_type = _choice(p, "subject_type", SubjectType.values, required=True)
        privilege = _choice(p, "privilege", Privilege.values, required=True)
        try:
            code = subjects.validate_subject_code(subject_type, _text(p, "subject_code"))
        except CodeError as exc:
            raise DomainError.from_code_error("subject_code", exc) from exc
        own = subjects.own_codes(actor)
        if code not in own and not _reads_others(actor):
            raise PolicyDenied(
                Decision(
                    False,
                    Text(
                        "只能查询本人或本人代表的组织能否适用告知承诺、容缺受理",
                        "you may check only yourself and the organisations you act for",
                    ),
                    "not_own",
                ),
                "subject_code",
            )
        result = services.eligibility(subject_type=subject_type, subject_code=code, privilege=privilege)
        reason = _text(p, "reason") or "受理时核查信用 / credit check at intake"
        _log_person_entries(actor, result.blocking, reason, own)
        return Response(s.EligibilitySerializer.of(result))
