"""Case API (/api/v1/cases/): list and filter, one call for a whole case, and one POST per action.

``POST /api/v1/cases/{number}/{action}/`` runs the command of that action and answers the new state
with the actions the caller may take next. The permission layer only checks that the caller may see the
case (``case.read``); the command then asks the policy for the lifecycle row's own rule, so the answer
is the same whether a page, the API or a script acts. Every POST honours ``Idempotency-Key``; actions
take the version the caller saw (body ``version`` or ``If-Match``) and answer 409 when it is stale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.cases import national_export, services
from tongban.cases import serializers as s
from tongban.cases.choices import CLOSED, Status, VerificationState, WarningLevel
from tongban.cases.models import Case, MaterialFile, Notice, Verification
from tongban.catalog.services import get_region
from tongban.core import idempotency
from tongban.core.api_input import choices
from tongban.core.api_input import json_object as _body
from tongban.core.api_input import text as _str
from tongban.core.api_input import version_of as _version
from tongban.core.errors import DomainError, NotFound
from tongban.identity.actor import Actor, actor_for
from tongban.identity.models import Authorisation, Organisation, Person
from tongban.identity.permissions import Needs
from tongban.identity.policy import visible

ROLE_HEADER = OpenApiParameter(
    "X-Tongban-Role", str, location=OpenApiParameter.HEADER, required=False, description="assignment id to act in"
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="a retried request with the same key gets the first answer; nothing runs twice",
)
IF_MATCH = OpenApiParameter(
    "If-Match", str, location=OpenApiParameter.HEADER, required=False, description="the case version you saw"
)




def _int(data: Any, name: str, required: bool = False) -> int | None:
    raw = data.get(name) if hasattr(data, "get") else None
    if raw in (None, ""):
        if required:
            raise DomainError.single(name, "required", f"缺少“{name}”", f"'{name}' is required")
        return None
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise DomainError.single(
            name, "not_integer", f"“{name}”应为整数编号", f"'{name}' must be a whole-number id"
        ) from exc


def _record(model: type, data: Any, name: str) -> Any:
    pk = _int(data, name)
    if pk is None:
        return None
    try:
        return model.objects.get(pk=pk)
    except model.DoesNotExist as exc:
        raise DomainError.single(name, "unknown", f"“{name}”编号{pk}不存在", f"no {name} with id {pk}") from exc




def _list(data: Any, name: str) -> Any:
    """A list from JSON, or the repeated fields of a form (``materials=3&materials=4``)."""
    if hasattr(data, "getlist") and not isinstance(data, dict):
        values = data.getlist(name)
        return values[0] if len(values) == 1 and isinstance(values[0], list) else values
    return data.get(name) if hasattr(data, "get") else None




# --- one entry per action: what it reads from the body and which command it calls --------------------

Call = Callable[[Actor, Case, Any, int | None], Any]

ACTIONS: dict[str, tuple[type[drf_serializers.Serializer], str, Call]] = {
    "submit": (s.VersionSerializer, "Submit an online draft", lambda a, c, d, v: services.submit(a, c, version=v)),
    "save": (
        s.SaveSerializer,
        "Save a draft's form",
        lambda a, c, d, v: services.save_draft(a, c, form_data=d.get("form_data"), version=v),
    ),
    "accept": (
        s.VersionSerializer,
        "Accept (受理): the clock starts",
        lambda a, c, d, v: services.accept(a, c, version=v),
    ),
    "refuse": (
        s.ReasonsSerializer,
        "Refuse acceptance (不予受理)",
        lambda a, c, d, v: services.refuse(a, c, reasons=_str(d, "reasons"), basis=_str(d, "basis"), version=v),
    ),
    "request-correction": (
        s.CorrectionSerializer,
        "Request every correction at once (一次性告知补正)",
        lambda a, c, d, v: services.request_correction(a, c, items=d.get("items"), note=_str(d, "note"), version=v),
    ),
    "correct": (
        s.VersionSerializer,
        "Corrections supplied (补正)",
        lambda a, c, d, v: services.correct(a, c, version=v),
    ),
    "review": (
        s.OpinionBodySerializer,
        "Sign the current review step",
        lambda a, c, d, v: services.review(a, c, opinion=_str(d, "opinion"), version=v),
    ),
    "approve": (
        s.ApproveSerializer,
        "Approve (准予) at the last step, or an immediate case at once",
        lambda a, c, d, v: services.approve(a, c, opinion=_str(d, "opinion"), basis=_str(d, "basis"), version=v),
    ),
    "deny": (
        s.ReasonsSerializer,
        "Deny (不予), with reasons and basis",
        lambda a, c, d, v: services.deny(a, c, reasons=_str(d, "reasons"), basis=_str(d, "basis"), version=v),
    ),
    "extend": (
        s.ExtendSerializer,
        "Extend the limit (延期; department head)",
        lambda a, c, d, v: services.extend(a, c, days=d.get("days"), reason=_str(d, "reason"), version=v),
    ),
    "suspend": (
        s.SuspendSerializer,
        "Start a special procedure (特别程序; the clock stops)",
        lambda a, c, d, v: services.suspend(a, c, kind=_str(d, "kind"), reason=_str(d, "reason"), version=v),
    ),
    "resume": (
        s.ResumeSerializer,
        "End the special procedure",
        lambda a, c, d, v: services.resume(a, c, result=_str(d, "result"), version=v),
    ),
    "withdraw": (
        s.WithdrawSerializer,
        "Withdraw (撤回) before the decision",
        lambda a, c, d, v: services.withdraw(a, c, reason=_str(d, "reason"), version=v),
    ),
    "terminate": (
        s.TerminateSerializer,
        "Terminate (终止), with reasons",
        lambda a, c, d, v: services.terminate(a, c, reasons=_str(d, "reasons"), basis=_str(d, "basis"), version=v),
    ),
    "issue": (
        s.IssueSerializer,
        "Produce the result (制证)",
        lambda a, c, d, v: services.issue(
            a, c, result_number=_str(d, "result_number"), license_data=d.get("license_data"), version=v
        ),
    ),
    "deliver": (
        s.DeliverSerializer,
        "Deliver the result (送达) and complete (办结)",
        lambda a, c, d, v: services.deliver(
            a,
            c,
            method=_str(d, "method"),
            recipient_id_check=_str(d, "recipient_id_check"),
            carrier=_str(d, "carrier"),
            tracking_number=_str(d, "tracking_number"),
            address=_str(d, "address"),
            version=v,
        ),
    ),
    "forward": (
        s.ForwardSerializer,
        "Forward (转递) a case received here for another region's node, with its files (异地代收代办)",
        lambda a, c, d, v: services.forward(
            a, c, carrier=_str(d, "carrier"), tracking_number=_str(d, "tracking_number"), version=v
        ),
    ),
    "commit": (
        s.CommitSerializer,
        "Sign a commitment (告知承诺) or a promise to supply missing materials (容缺)",
        lambda a, c, d, v: services.commit(
            a,
            c,
            kind=_str(d, "kind"),
            materials=_list(d, "materials"),
            conditions=_list(d, "conditions"),
            signed_how=_str(d, "signed_how"),
            signer_name=_str(d, "signer_name"),
            upload=d.get("file") or None,
            version=v,
        ),
    ),
    "supply": (
        s.SupplySerializer,
        "Supply a material accepted as missing (补齐容缺材料)",
        lambda a, c, d, v: services.supply(
            a,
            c,
            material_id=_int(d, "material", True),
            evidence=_str(d, "evidence"),
            note=_str(d, "note"),
            upload=d.get("file") or None,
            version=v,
        ),
    ),
    "verify": (
        s.VerifySerializer,
        "Record the post-verification of a commitment (事后核查)",
        lambda a, c, d, v: services.verify(
            a, c, method=_str(d, "method"), outcome=_str(d, "outcome"), finding=_str(d, "finding"), version=v
        ),
    ),
    "revoke": (
        s.ReasonsSerializer,
        "Revoke an approval granted on a false commitment (撤销)",
        lambda a, c, d, v: services.revoke(a, c, reasons=_str(d, "reasons"), basis=_str(d, "basis"), version=v),
    ),
    "supervise": (
        s.SuperviseSerializer,
        "Issue a supervision order (督办)",
        lambda a, c, d, v: services.supervise(a, c, message=_str(d, "message"), days=d.get("days") or 2),
    ),
    "answer-supervision": (
        s.AnswerSerializer,
        "Answer a supervision order",
        lambda a, c, d, v: services.answer_supervision(a, c, order=_int(d, "order", True), answer=_str(d, "answer")),
    ),
}

LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="one status or several, comma-separated"),
    OpenApiParameter("item", str, description="basic code (基本编码) of the item"),
    OpenApiParameter("implementation", str, description="implementation code or id"),
    OpenApiParameter("region", str, description="handling region, or inside it"),
    OpenApiParameter("department", int, description="department id"),
    OpenApiParameter("warning", str, description="deadline colour: none, yellow, red"),
    OpenApiParameter("applicant", int, description="applicant person id"),
    OpenApiParameter("number", str, description="case number, or its beginning"),
    OpenApiParameter("open", bool, description="1: only cases not yet closed"),
    ROLE_HEADER,
]


def _state(actor: Actor, case: Case, code: int = status.HTTP_200_OK, fresh: bool = False) -> Response:
    if not fresh:
        case.refresh_from_db()
    context = {"allowed_actions": services.allowed_actions(actor, case)}
    return Response(s.CaseStateSerializer(case, context=context).data, status=code)


def _action_handler(name: str) -> Callable[..., Response]:
    serializer, summary, call = ACTIONS[name]

    def handler(self: CaseViewSet, request: Request, number: str) -> Response:
        case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            result = call(actor, case, data, _version(request))
            # Commands that move the case return it as they wrote it; the others changed a record beside it.
            return _state(actor, result, fresh=True) if isinstance(result, Case) else _state(actor, case)

        return idempotency.run(request, run)

    handler.__name__ = name.replace("-", "_")
    handler.__doc__ = summary
    takes_files = any(isinstance(f, drf_serializers.FileField) for f in serializer().fields.values())
    decorated = extend_schema(
        summary=summary,
        request={"application/json": serializer, "multipart/form-data": serializer} if takes_files else serializer,
        responses={200: s.CaseStateSerializer},
        parameters=[ROLE_HEADER, IDEMPOTENCY_HEADER, IF_MATCH],
    )(handler)
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(decorated)


@extend_schema_view(
    list=extend_schema(summary="List cases you may see (办件), filtered", parameters=LIST_PARAMETERS),
    retrieve=extend_schema(
        summary="One case whole: materials, clock, events, notices, and the actions you may take",
        parameters=[ROLE_HEADER],
        responses=s.CaseDetailSerializer,
    ),
)
class CaseViewSet(viewsets.GenericViewSet):
    lookup_field = "number"
    lookup_value_regex = r"[0-9A-Za-z\-]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.CaseListSerializer
    policy: dict[str, str | Needs] = {
        "list": "case.read",
        "retrieve": "case.read",
        "create": "case.apply",
        "receive": "case.intake",
        "upload": "case.read",
        "record_material": "case.read",
        "use_license": "case.read",
        "file": "case.read",
        "notice": "case.read",
        "export": "case.export",
        **{name.replace("-", "_"): "case.read" for name in ACTIONS},
    }

    def get_queryset(self) -> QuerySet:
        actor = actor_for(self.request)
        qs = Case.objects.select_related("department", "region")
        return visible(actor, "case.read", qs)

    def get_object(self) -> Case:
        try:
            case = self.get_queryset().get(number=self.kwargs["number"])
        except Case.DoesNotExist as exc:
            raise NotFound.single(
                "number", "not_found", "办件不存在或您无权查看", "no such case, or you may not see it"
            ) from exc
        self.check_object_permissions(self.request, case)
        return case

    def _filtered(self, qs: QuerySet) -> QuerySet:
        p = self.request.query_params
        if p.get("status"):
            qs = qs.filter(status__in=choices(p, "status", Status.values))
        if p.get("warning"):
            if p["warning"] not in WarningLevel.values:
                raise DomainError.single(
                    "warning", "unknown", "预警颜色应为 none、yellow 或 red", "warning is none, yellow or red"
                )
            qs = qs.filter(warning=p["warning"])
        if p.get("item"):
            qs = qs.filter(implementation__item__basic_code=p["item"].strip())
        if p.get("implementation"):
            value = p["implementation"].strip()
            qs = (
                qs.filter(implementation_id=int(value))
                if value.isdigit()
                else qs.filter(implementation__implementation_code=value)
            )
        if p.get("region"):
            region = get_region(p["region"].strip())
            qs = qs.filter(region__code__startswith=region.code_prefix)
        if p.get("department"):
            qs = qs.filter(department_id=_int(p, "department"))
        if p.get("applicant"):
            qs = qs.filter(applicant_person_id=_int(p, "applicant"))
        if p.get("number"):
            qs = qs.filter(number__startswith=p["number"].strip())
        if p.get("open") in ("1", "true", "yes"):
            qs = qs.exclude(status__in=CLOSED)
        return qs

    def list(self, request: Request) -> Response:
        qs = self._filtered(self.get_queryset()).order_by("-created_at", "-id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.CaseListSerializer(page, many=True).data)

    def retrieve(self, request: Request, number: str) -> Response:
        case = self.get_object()
        case = (
            Case.objects.select_related(
                "department", "region", "implementation", "applicant_person", "applicant_organisation", "agent"
            )
            .prefetch_related(
                "materials__files", "suspensions", "extensions", "opinions", "notices", "orders", "events"
            )
            .get(pk=case.pk)
        )
        context = {"allowed_actions": services.allowed_actions(actor_for(request), case)}
        return Response(s.CaseDetailSerializer(case, context=context).data)

    @extend_schema(
        summary="Start an online application (draft) as yourself or for an organisation you represent",
        request=s.CreateSerializer,
        responses={201: s.CaseStateSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request: Request) -> Response:
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            case = services.create_draft(
                actor,
                implementation=_implementation_ref(data),
                organisation=_record(Organisation, data, "organisation"),
                form_data=data.get("form_data"),
            )
            return _state(actor, case, status.HTTP_201_CREATED, fresh=True)

        return idempotency.run(request, run)

    @extend_schema(
        summary="Receive an application at the window (窗口收件), also on an applicant's behalf (帮办代办)",
        request=s.ReceiveSerializer,
        responses={201: s.CaseStateSerializer},
        parameters=[ROLE_HEADER, IDEMPOTENCY_HEADER],
    )
    @action(detail=False, methods=["post"])
    def receive(self, request: Request) -> Response:
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            case = services.receive(
                actor,
                implementation=_implementation_ref(data),
                person=_record(Person, data, "person"),
                organisation=_record(Organisation, data, "organisation"),
                agent=_record(Person, data, "agent"),
                authorisation=_record(Authorisation, data, "authorisation"),
                identity_check=_str(data, "identity_check"),
                form_data=data.get("form_data"),
            )
            return _state(actor, case, status.HTTP_201_CREATED, fresh=True)

        return idempotency.run(request, run)

    @extend_schema(
        summary="Upload a material's file (a new version; nothing is overwritten)",
        request={"multipart/form-data": s.UploadSerializer},
        responses={201: s.MaterialFileSerializer},
        parameters=[ROLE_HEADER, IDEMPOTENCY_HEADER, IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path=r"materials/(?P<material_id>\d+)/files", url_name="upload")
    def upload(self, request: Request, number: str, material_id: str) -> Response:
        case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError.single("file", "required", "请选择要上传的文件", "choose a file to upload")
            stored = services.attach_file(
                actor, case, material_id=int(material_id), upload=upload, name=upload.name, version=_version(request)
            )
            return Response(s.MaterialFileSerializer(stored).data, status=status.HTTP_201_CREATED)

        return idempotency.run(request, run)

    @extend_schema(
        summary="Record how a material was given at the window (original seen, copy scanned)",
        request=s.RecordMaterialSerializer,
        responses={200: s.CaseStateSerializer},
        parameters=[ROLE_HEADER, IDEMPOTENCY_HEADER, IF_MATCH],
    )
    @action(detail=True, methods=["post"], url_path=r"materials/(?P<material_id>\d+)/record", url_name="record")
    def record_material(self, request: Request, number: str, material_id: str) -> Response:
        case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            services.record_material(
                actor,
                case,
                material_id=int(material_id),
                evidence=_str(data, "evidence"),
                note=_str(data, "note"),
                version=_version(request),
            )
            return _state(actor, case)

        return idempotency.run(request, run)

    @extend_schema(
        summary="Satisfy a material with an e-licence (免提交): verified here before anything is written",
        request=s.UseLicenseSerializer,
        responses={200: s.CaseStateSerializer},
        parameters=[ROLE_HEADER, IDEMPOTENCY_HEADER, IF_MATCH],
    )
    @action(
        detail=True, methods=["post"], url_path=r"materials/(?P<material_id>\d+)/use-license", url_name="use-license"
    )
    def use_license(self, request: Request, number: str, material_id: str) -> Response:
        from tongban.licenses import sharing

        case = self.get_object()
        actor = actor_for(request)

        def run() -> Response:
            data = _body(request.data)
            sharing.use_license(
                actor,
                case,
                material_id=int(material_id),
                license_document=sharing.document_for(data.get("license_document"), _str(data, "identifier")),
                consent=_str(data, "consent"),
                version=_version(request),
            )
            return _state(actor, case)

        return idempotency.run(request, run)

    @extend_schema(
        summary="Cases that arrived in a date range, in the national exchange shape (JSON lines; numbers masked)",
        parameters=[
            OpenApiParameter("from", str, required=True, description="first arrival day, YYYY-MM-DD"),
            OpenApiParameter(
                "to", str, required=True, description="last arrival day, YYYY-MM-DD (at most 366 days on)"
            ),
            ROLE_HEADER,
        ],
        responses={(200, "application/x-ndjson"): bytes},
    )
    @action(detail=False, methods=["get"], url_path="export", url_name="export", pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        p = request.query_params
        first, last = _day(p, "from"), _day(p, "to")
        if last < first:
            raise DomainError.single("to", "before_from", "结束日期早于开始日期", "'to' is before 'from'")
        if (last - first).days > 366:
            raise DomainError.single("to", "range_too_long", "一次最多导出一年", "export at most a year at a time")
        cases = visible(actor_for(request), "case.export", Case.objects.all())
        response = StreamingHttpResponse(
            national_export.lines(first, last, queryset=cases), content_type="application/x-ndjson"
        )
        response["Content-Disposition"] = f'attachment; filename="cases-{first}-{last}.jsonl"'
        return response

    @extend_schema(summary="Download a material file", responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>\d+)", url_name="file")
    def file(self, request: Request, number: str, file_id: str) -> FileResponse:
        case = self.get_object()
        try:
            stored = MaterialFile.objects.get(pk=int(file_id), material__case=case)
        except MaterialFile.DoesNotExist as exc:
            raise NotFound.single("file_id", "not_found", "文件不存在", "no such file") from exc
        return FileResponse(stored.file.open("rb"), as_attachment=True, filename=stored.original_name)

    @extend_schema(summary="Download a notice (PDF)", responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], url_path=r"notices/(?P<notice_id>\d+)", url_name="notice")
    def notice(self, request: Request, number: str, notice_id: str) -> FileResponse:
        case = self.get_object()
        try:
            found = Notice.objects.get(pk=int(notice_id), case=case)
        except Notice.DoesNotExist as exc:
            raise NotFound.single("notice_id", "not_found", "文书不存在", "no such notice") from exc
        if not found.file:
            raise NotFound.single(
                "notice_id",
                "not_rendered",
                "文书正在生成，请稍后再试",
                "the notice is still being rendered; try again soon",
            )
        return FileResponse(found.file.open("rb"), content_type="application/pdf", filename=f"{found.number}.pdf")


def _day(data: Any, name: str) -> date:
    raw = _str(data, name).strip()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise DomainError.single(
            name, "invalid_date", f"日期“{raw}”格式应为 YYYY-MM-DD", f"date '{raw}' must be written YYYY-MM-DD"
        ) from exc


def _implementation_ref(data: Any) -> Any:
    raw = _str(data, "implementation").strip()
    if not raw:
        raise DomainError.single(
            "implementation", "required", "请指定办理的事项（实施编码）", "give the implementation code"
        )
    return int(raw) if raw.isdigit() else raw


@extend_schema_view(
    list=extend_schema(
        summary="Post-verifications (事后核查) of commitments you may see, soonest due first",
        parameters=[
            OpenApiParameter("state", str, description="open, true or false"),
            OpenApiParameter("overdue", bool, description="1: only open ones past their due date"),
            OpenApiParameter("department", int, description="department id of the case"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One post-verification", parameters=[ROLE_HEADER]),
)
class VerificationViewSet(viewsets.GenericViewSet):
    """The department's queue of 事后核查; the outcome is recorded with ``POST /cases/{number}/verify/``."""

    serializer_class = s.VerificationListSerializer
    policy: dict[str, str | Needs] = {"list": "case.read", "retrieve": "case.read"}

    def get_queryset(self) -> QuerySet:
        qs = Verification.objects.select_related("case", "case__department")
        return visible(actor_for(self.request), "case.read", qs).order_by("due_at", "id")

    def list(self, request: Request) -> Response:
        qs = self.get_queryset()
        p = request.query_params
        if p.get("state"):
            if p["state"] not in VerificationState.values:
                raise DomainError.single(
                    "state", "unknown", "核查状态应为 open、true 或 false", "state is open, true or false"
                )
            qs = qs.filter(state=p["state"])
        if p.get("overdue") in ("1", "true", "yes"):
            qs = services.commitments.overdue_verifications(qs)
        if p.get("department"):
            qs = qs.filter(case__department_id=_int(p, "department"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.VerificationListSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        try:
            found = self.get_queryset().get(pk=int(pk))
        except (Verification.DoesNotExist, ValueError) as exc:
            raise NotFound.single("id", "not_found", "核查记录不存在或您无权查看", "no such verification") from exc
        return Response(s.VerificationListSerializer(found).data)


for _name in ACTIONS:
    setattr(CaseViewSet, _name.replace("-", "_"), _action_handler(_name))
