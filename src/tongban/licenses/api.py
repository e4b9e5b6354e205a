"""E-licence API (电子证照): the licences this node issued, their public status, verification of any licence,
the W3C VC export, and the transparency log (证照存证日志).

Who sees what:

- ``/api/v1/licenses/`` and its details: staff the licences of the departments in their scope
  (``license.read``), a logged-in person their own (the holder code is their ID number, or the credit
  code of an organisation they represent or are authorised for). Resident ID numbers are masked in lists;
  a look at someone else's licence in full is written to the personal data access log.
- ``POST /api/v1/licenses/{identifier}/{action}/``: the licence commands, for staff who may
  ``license.manage`` it; the command itself asks the policy with the licence in hand.
- Public, no login (``license.verify``): the status of one licence (nothing about its holder), the
  verification of a licence document, PDF or credential, and the log; the licence types (``catalog.read``).
- Node operators (``federation.operate``): the heads other nodes sent and the fork alerts.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.catalog.models import LicenseType
from tongban.core.errors import DomainError, NotFound
from tongban.federation.sm2 import SM2Error
from tongban.federation.trust import TrustError
from tongban.identity.actor import Actor, actor_for
from tongban.identity.models import Person
from tongban.identity.policy import own_organisations, visible
from tongban.identity.services import log_personal_data_access
from tongban.licenses import document, identifiers, ledger, services
from tongban.licenses import serializers as s
from tongban.licenses import vc as credentials
from tongban.licenses.models import License, LicenseStatus
from tongban.licenses.models.log import ForkAlert, PeerTreeHead, head_dict

READ, MANAGE, PUBLIC, OPERATE = "license.read", "license.manage", "license.verify", "federation.operate"
# The largest licence file the public verification takes. A printed licence with its fonts embedded is
# a few hundred KiB; anything much larger is not a licence and only costs the node memory.
MAX_VERIFY_BYTES = 10 * 1024 * 1024
LOGGED_FIELDS = ["holder_name", "holder_code", "data"]
DEFAULT_REASON = "查看电子证照 / e-licence viewed"

ROLE_HEADER = OpenApiParameter(
    "X-Tongban-Role", str, location=OpenApiParameter.HEADER, required=False, description="assignment id to act in"
)
REASON = OpenApiParameter(
    "reason", str, description="why you look at someone else's licence (kept in the personal data access log)"
)
IDENTIFIER = OpenApiParameter(
    "identifier",
    str,
    location=OpenApiParameter.PATH,
    description="licence identifier (GB/T 36904), e.g. 1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>",
)
IDENTIFIER_PATTERN = r"[0-9A-Za-z.]+"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fail(field: str | None, code: str, zh: str, en: str, status_code: int | None = None) -> DomainError:
    return DomainError.single(field, code, zh, en, status_code)


def _text(data: Any, name: str) -> str:
    value = data.get(name) if hasattr(data, "get") else None
    return "" if value is None else str(value).strip()


def _date(data: Any, name: str) -> date | None:
    raw = _text(data, name)
    if not raw:
        return None
    if _DATE_RE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:  # well-formed but impossible, like 2026-13-01
            pass
    raise _fail(name, "invalid_date", f"日期“{raw}”格式应为 YYYY-MM-DD", f"date '{raw}' must be written YYYY-MM-DD")


def _int(data: Any, name: str, *, required: bool = True, minimum: int = 0) -> int | None:
    raw = _text(data, name)
    if not raw:
        if required:
            raise _fail(name, "required", f"请给出“{name}”", f"'{name}' is required")
        return None
    if not raw.isdigit() or int(raw) < minimum:
        raise _fail(
            name,
            "not_integer",
            f"“{name}”应为不小于{minimum}的整数",
            f"'{name}' must be a whole number of at least {minimum}",
        )
    return int(raw)


def _body(data: Any) -> Any:
    if not hasattr(data, "get"):
        raise _fail(None, "not_object", "请求体应为 JSON 对象", "the body must be a JSON object")
    return data


def _identifier(value: str) -> str:
    """The identifier in its normal form; DomainError (400) saying which part is wrong."""
    return str(identifiers.parse(value))


# --- whose licences -----------------------------------------------------------------------------------


def own_codes(actor: Actor) -> set[str]:
    """The holder codes that are the actor's own: their ID number and their organisations' credit codes."""
    if actor.person is None:
        return set()
    codes = {actor.person.id_number}
    codes.update(c for c in own_organisations(actor).values_list("uscc", flat=True) if c)
    return {c for c in codes if c}


def visible_licenses(actor: Actor) -> QuerySet:
    """Licences the actor may read: staff by their scope, anyone their own."""
    qs = License.objects.select_related("license_type", "issuer", "seal", "case", "previous")
    staff = visible(actor, READ, qs)
    codes = own_codes(actor)
    return (staff | qs.filter(holder_code__in=codes)) if codes else staff


def _log_look(actor: Actor, lic: License, reason: str) -> None:
    """Rule 8 of the house: a look at someone else's licence in full (a person's) is logged."""
    if actor.system or lic.holder_code_type != s.CODE_TYPE_ID_CARD or lic.holder_code in own_codes(actor):
        return
    person = Person.objects.filter(id_number=lic.holder_code).first()
    log_personal_data_access(actor, record=lic, person=person, fields=LOGGED_FIELDS, reason=reason or DEFAULT_REASON)


def _status_now(lic: License) -> tuple[bool, str]:
    if lic.status != LicenseStatus.VALID:
        return False, lic.status
    if lic.valid_to is not None and lic.valid_to < timezone.localdate():
        return False, "expired"
    return True, lic.status


# --- licences -----------------------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("type", str, description="licence type code"),
    OpenApiParameter(
        "holder_code",
        str,
        description="staff: the holder's ID number or credit code (someone else's ID number needs reason; logged)",
    ),
    OpenApiParameter("reason", str, description="why you look the holder up (kept in the access log)"),
    OpenApiParameter("status", str, description="valid, suspended, revoked or superseded"),
    OpenApiParameter("issued_from", str, description="issued on or after this day, YYYY-MM-DD"),
    OpenApiParameter("issued_to", str, description="issued on or before this day, YYYY-MM-DD"),
    ROLE_HEADER,
]


def _command(summary: str, request_serializer: type, code: int = 200) -> Any:
    return extend_schema(
        summary=summary,
        request=request_serializer,
        responses={code: s.LicenseDetailSerializer},
        parameters=[IDENTIFIER, ROLE_HEADER],
    )


@extend_schema_view(
    list=extend_schema(summary="List the e-licences (电子证照) you may see", parameters=LIST_PARAMETERS),
    retrieve=extend_schema(
        summary="One e-licence: its signed data, status and events (looking at someone else's is logged)",
        parameters=[IDENTIFIER, REASON, ROLE_HEADER],
        responses=s.LicenseDetailSerializer,
    ),
)
class LicenseViewSet(viewsets.GenericViewSet):
    lookup_field = "identifier"
    lookup_value_regex = IDENTIFIER_PATTERN
    serializer_class = s.LicenseListSerializer
    policy = {
        "list": READ,
        "retrieve": READ,
        "document": READ,
        "pdf": READ,
        "vc": READ,
        "annotate": MANAGE,
        "suspend": MANAGE,
        "reinstate": MANAGE,
        "revoke": MANAGE,
        "new_version": MANAGE,
    }

    def get_queryset(self) -> QuerySet:
        return visible_licenses(actor_for(self.request))

    def get_object(self) -> License:
        identifier = _identifier(self.kwargs.get("identifier", ""))
        lic = self.get_queryset().filter(identifier=identifier).first()
        if lic is None:
            raise NotFound.single(
                "identifier",
                "not_found",
                "本节点没有签发该证照，或您无权查看",
                "this node issued no such licence, or you may not see it",
            )
        if lic.holder_code not in own_codes(actor_for(self.request)):
            self.check_object_permissions(self.request, lic)
        return lic

    def _looked_at(self, lic: License) -> License:
        _log_look(actor_for(self.request), lic, _text(self.request.query_params, "reason"))
        return lic

    def _filtered(self, qs: QuerySet) -> tuple[QuerySet, str]:
        p = self.request.query_params
        if _text(p, "type"):
            qs = qs.filter(license_type__code=_text(p, "type").upper())
        wanted = _text(p, "status").lower()
        if wanted:
            if wanted not in LicenseStatus.values:
                raise _fail(
                    "status",
                    "unknown",
                    f"状态应为：{'、'.join(LicenseStatus.values)}",
                    f"status is one of {', '.join(LicenseStatus.values)}",
                )
            qs = qs.filter(status=wanted)
        first, last = _date(p, "issued_from"), _date(p, "issued_to")
        if first and last and last < first:
            raise _fail("issued_to", "before_from", "结束日期早于开始日期", "'issued_to' is before 'issued_from'")
        if first:
            qs = qs.filter(issued_on__gte=first)
        if last:
            qs = qs.filter(issued_on__lte=last)
        code = _text(p, "holder_code").upper()
        if code:
            qs = qs.filter(holder_code=code)
        return qs, code

    def list(self, request: Request) -> Response:
        actor = actor_for(request)
        qs, code = self._filtered(self.get_queryset())
        reason = _text(request.query_params, "reason")
        someone_else = bool(code) and code not in own_codes(actor) and not actor.system
        if someone_else and len(code) == 18 and code[:17].isdigit() and not reason:
            raise _fail(
                "reason",
                "required",
                "按公民身份号码查找他人的电子证照须说明理由（将记入个人信息查阅记录）",
                "looking up someone else's licences by ID number needs a reason (it is kept in the access log)",
            )
        page = self.paginate_queryset(qs.order_by("-signed_at", "-id"))
        if someone_else:
            for lic in page:
                _log_look(actor, lic, reason)
        return self.get_paginated_response(s.LicenseListSerializer(page, many=True).data)

    def retrieve(self, request: Request, identifier: str) -> Response:
        lic = self._looked_at(self.get_object())
        return Response(s.LicenseDetailSerializer(lic).data)

    @extend_schema(
        summary="The signed licence document (JSON) with a fresh proof of its log entry",
        parameters=[IDENTIFIER, REASON, ROLE_HEADER],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="the tongban-license/1 document: license, signature and log (see docs/licenses.md)",
            )
        },
    )
    @action(detail=True, methods=["get"])
    def document(self, request: Request, identifier: str) -> Response:
        lic = self._looked_at(self.get_object())
        response = Response(_with_proof(lic))
        response["Content-Disposition"] = f'attachment; filename="{lic.identifier}.json"'
        return response

    @extend_schema(
        summary="The printed form (PDF, with the signed document attached as license.json)",
        parameters=[IDENTIFIER, REASON, ROLE_HEADER],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the printed form"),
            404: OpenApiResponse(description="no such licence, or not rendered yet (code not_rendered)"),
        },
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, identifier: str) -> FileResponse:
        lic = self._looked_at(self.get_object())
        if not lic.pdf:
            raise NotFound.single(
                "pdf",
                "not_rendered",
                "证照版式文件正在生成，请稍后再试；签名的 JSON 文件现在即可下载",
                "the printed form is still being made; try again soon (the signed JSON document is ready now)",
            )
        return FileResponse(lic.pdf.open("rb"), content_type="application/pdf", filename=f"{lic.identifier}.pdf")

    @extend_schema(
        summary="The licence as a W3C Verifiable Credential 2.0, carrying the same seal signature",
        parameters=[IDENTIFIER, REASON, ROLE_HEADER],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="a W3C VC 2.0 with a DataIntegrityProof (cryptosuite sm2-sm3-jcs-2026, unregistered)",
            )
        },
    )
    @action(detail=True, methods=["get"])
    def vc(self, request: Request, identifier: str) -> Response:
        lic = self._looked_at(self.get_object())
        credential = credentials.to_vc(_with_proof(lic), base_url=settings.TONGBAN_PUBLIC_URL)
        response = Response(credential)
        response["Content-Disposition"] = f'attachment; filename="{lic.identifier}.vc.json"'
        return response

    def _act(self, request: Request, run: Any, code: int = status.HTTP_200_OK) -> Response:
        lic = self.get_object()
        changed = run(actor_for(request), lic, _body(request.data))
        changed = License.objects.select_related("license_type", "issuer", "seal", "case", "previous").get(
            pk=changed.pk
        )
        return Response(s.LicenseDetailSerializer(changed).data, status=code)

    @_command("Annotate (加注): a note on the licence, without changing what was signed", s.LicenseAnnotateSerializer)
    @action(detail=True, methods=["post"])
    def annotate(self, request: Request, identifier: str) -> Response:
        return self._act(
            request,
            lambda a, lic, d: services.annotate(
                a, lic, text=_text(d, "text"), reason=_text(d, "reason"), until=_date(d, "until")
            ),
        )

    @_command("Suspend (中止): the licence may not be relied on until reinstated", s.LicenseSuspendSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, identifier: str) -> Response:
        return self._act(
            request, lambda a, lic, d: services.suspend(a, lic, reason=_text(d, "reason"), until=_date(d, "until"))
        )

    @_command("Reinstate a suspended licence (恢复)", s.LicenseReasonSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, identifier: str) -> Response:
        return self._act(request, lambda a, lic, d: services.reinstate(a, lic, reason=_text(d, "reason")))

    @_command("Revoke (撤销/注销) for good; the signature stays verifiable", s.LicenseReasonSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, identifier: str) -> Response:
        return self._act(request, lambda a, lic, d: services.revoke(a, lic, reason=_text(d, "reason")))

    @_command(
        "Replace with a new version (换发): new data, new identifier; answers the new one",
        s.LicenseNewVersionSerializer,
        201,
    )
    @action(detail=True, methods=["post"], url_path="new-version", url_name="new-version")
    def new_version(self, request: Request, identifier: str) -> Response:
        return self._act(
            request,
            lambda a, lic, d: services.new_version(a, lic, changes=d.get("changes"), reason=_text(d, "reason")),
            status.HTTP_201_CREATED,
        )


def _with_proof(lic: License) -> dict[str, Any]:
    try:
        return services.with_proof(lic)
    except SM2Error as exc:
        raise _no_node_key() from exc


def _no_node_key() -> DomainError:
    return _fail(
        None,
        "no_node_key",
        "本节点尚无签名密钥，无法签署存证日志树头；请联系节点管理员",
        "this node has no signing key yet, so it cannot sign a head of its log; tell the node operator",
        503,
    )


class _Public(APIView):
    """A public endpoint: no login, and any bearer token may call it (it reveals nothing a token guards)."""

    required_scopes: list[str] = []
    policy = {"GET": PUBLIC}


class LicenseStatusView(_Public):
    @extend_schema(
        summary="Public status of a licence: in force or not, and nothing about its holder",
        parameters=[IDENTIFIER],
        responses=s.LicenseStatusSerializer,
    )
    def get(self, request: Request, identifier: str) -> Response:
        lic = services.get(identifier)
        valid, state = _status_now(lic)
        return Response(
            {
                "identifier": lic.identifier,
                "valid": valid,
                "status": state,
                "type_name": lic.license_type.name,
                "issuer_name": lic.issuer.name,
                "valid_to": lic.valid_to.isoformat() if lic.valid_to else None,
            }
        )


# --- verification -------------------------------------------------------------------------------------


def _too_large(field: str) -> DomainError:
    limit = MAX_VERIFY_BYTES // (1024 * 1024) or 1
    return _fail(
        field,
        "too_large",
        f"文件过大：电子证照文件不超过{limit} MiB",
        f"the file is too large: a licence file is at most {limit} MiB",
    )


def _parse_json(raw: bytes, field: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(
            field,
            "not_json",
            "文件既不是 JSON 证照文件，也不是带有证照附件的 PDF",
            "the file is neither a JSON licence document nor a PDF with the licence attached",
        ) from exc
    if not isinstance(data, dict):
        raise _fail(field, "not_an_object", "证照文件应为 JSON 对象", "a licence document is a JSON object")
    return data


def document_from_file(raw: bytes, field: str = "file") -> dict[str, Any]:
    """The licence document in an uploaded file: JSON document, PDF with ``license.json``, or a VC."""
    if b"%PDF-" in raw[:1024]:
        from tongban.licenses.rendering import embedded_document

        found = embedded_document(raw)
        if found is None:
            raise _fail(
                field,
                "no_attachment",
                "PDF 中没有附带电子证照文件（license.json），无法核验",
                "the PDF carries no licence document (license.json), so it cannot be verified",
            )
        return as_document(found, field)
    return as_document(_parse_json(raw, field), field)


def as_document(data: dict[str, Any], field: str) -> dict[str, Any]:
    """A licence document from parsed JSON: the document itself, or the one a credential carries."""
    if credentials.is_vc(data):
        return credentials.from_vc(data)
    if data.get("format") != document.FORMAT:
        raise _fail(
            field,
            "not_a_license",
            f"不是可识别的电子证照文件（应为 {document.FORMAT} 格式或其可验证凭证）",
            f"not a licence document this system reads ({document.FORMAT}, or its verifiable credential)",
        )
    return data


class VerificationView(APIView):
    """核验: check any licence document against this node's trust list, and its status when issued here."""

    required_scopes: list[str] = []
    policy = {"POST": PUBLIC}
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        summary="Verify a licence (核验): its JSON document, PDF or W3C VC; says which checks pass and why not",
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": s.VerificationUploadSerializer,
        },
        responses={
            200: s.VerificationReportSerializer,
            400: OpenApiResponse(description="not a licence, malformed or too large"),
        },
    )
    def post(self, request: Request) -> Response:
        multipart = (request.content_type or "").startswith("multipart/")
        field = "file" if multipart else "document"
        # A margin over the limit for the multipart envelope; the file's own size is checked below.
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_VERIFY_BYTES + 64 * 1024:
            raise _too_large(field)
        try:
            data = request.data
        except ParseError as exc:
            if multipart:
                raise _fail("file", "unreadable", "上传的内容无法读取", "the upload cannot be read") from exc
            raise _fail(
                field, "not_json", "请求体不是有效的 JSON 证照文件", "the body is not a valid JSON licence document"
            ) from exc
        if multipart:
            upload = request.FILES.get("file")
            if upload is None:
                raise _fail("file", "required", "请选择要核验的证照文件", "choose the licence file to verify")
            if upload.size > MAX_VERIFY_BYTES:
                raise _too_large("file")
            doc = document_from_file(upload.read(), "file")
        else:
            if not isinstance(data, dict):
                raise _fail(
                    "document", "not_an_object", "证照文件应为 JSON 对象", "a licence document is a JSON object"
                )
            doc = as_document(dict(data), "document")
        try:
            report = services.verify_here(doc)
        except TrustError as exc:
            raise _fail(
                None, exc.code, f"本节点暂不能核验：{exc.text.zh}", f"this node cannot verify now: {exc.text.en}", 503
            ) from exc
        return Response(report.as_dict())


# --- the licence types --------------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(summary="Licence types (证照类型) of the catalog, with their fields"))
class LicenseTypeListView(generics.ListAPIView):
    required_scopes = ["catalog:read"]  # catalog data, read with the catalog's scope
    policy = {"GET": "catalog.read"}
    serializer_class = s.LicenseTypeSerializer
    queryset = LicenseType.objects.order_by("code")


# --- the transparency log -----------------------------------------------------------------------------


class LogHeadView(_Public):
    @extend_schema(summary="The latest signed tree head of this node's licence log", responses=s.TreeHeadSerializer)
    def get(self, request: Request) -> Response:
        try:
            return Response(ledger.signed_head().to_dict())
        except SM2Error as exc:
            raise _no_node_key() from exc


class LogInclusionView(_Public):
    @extend_schema(
        summary="Proof that an entry is in the log (RFC 9162 inclusion proof)",
        parameters=[
            OpenApiParameter("index", int, required=True, description="the entry, from 0"),
            OpenApiParameter(
                "size", int, description="tree size to prove against; default the latest signed head (returned too)"
            ),
        ],
        responses=s.LogInclusionSerializer,
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        index = _int(p, "index")
        size = _int(p, "size", required=False, minimum=1)
        head = None
        if size is None:
            try:
                head = ledger.signed_head(index + 1)
            except SM2Error as exc:
                raise _no_node_key() from exc
            size = head.size
        if index >= size:
            raise _fail(
                "index",
                "beyond_size",
                f"第{index}条不在规模为{size}的树中",
                f"entry {index} is not in a tree of {size}",
            )
        proof = ledger.inclusion_proof(index, size)
        entry = ledger.leaf(index)
        return Response(
            {
                "index": index,
                "size": size,
                "leaf_hash": bytes(entry.leaf_hash).hex(),
                "root": ledger.root(size).hex(),
                "proof": [h.hex() for h in proof],
                "tree_head": head.to_dict() if head else None,
            }
        )


class LogConsistencyView(_Public):
    @extend_schema(
        summary="Proof that a later tree extends an earlier one (RFC 9162 consistency proof)",
        parameters=[
            OpenApiParameter("old", int, required=True, description="the older tree size (at least 1)"),
            OpenApiParameter("new", int, required=True, description="the newer tree size"),
        ],
        responses=s.LogConsistencySerializer,
    )
    def get(self, request: Request) -> Response:
        p = request.query_params
        old, new = _int(p, "old", minimum=1), _int(p, "new", minimum=1)
        if new < old:  # type: ignore[operator]
            raise _fail("new", "before_old", "new 不能小于 old", "'new' may not be smaller than 'old'")
        proof = ledger.consistency_proof(old, new)  # type: ignore[arg-type]
        return Response(
            {
                "old": old,
                "new": new,
                "old_root": ledger.root(old).hex(),  # type: ignore[arg-type]
                "new_root": ledger.root(new).hex(),  # type: ignore[arg-type]
                "proof": [h.hex() for h in proof],
            }
        )


class LogLeafView(_Public):
    @extend_schema(
        summary="One entry of the log, as hashed",
        parameters=[OpenApiParameter("index", int, location=OpenApiParameter.PATH, description="the entry, from 0")],
        responses=s.LogLeafSerializer,
    )
    def get(self, request: Request, index: int) -> Response:
        entry = ledger.leaf(int(index))
        return Response(
            {
                "index": entry.index,
                "kind": entry.kind,
                "data": bytes(entry.data).decode("utf-8"),
                "leaf_hash": bytes(entry.leaf_hash).hex(),
                "appended_at": entry.appended_at.isoformat(),
            }
        )


NODE_FILTER = OpenApiParameter("node", str, description="only this node")


@extend_schema_view(
    get=extend_schema(
        summary="Signed heads other nodes sent (node operators), largest first",
        parameters=[NODE_FILTER, ROLE_HEADER],
        responses=s.PeerTreeHeadSerializer(many=True),
    )
)
class LogPeersView(generics.GenericAPIView):
    policy = {"GET": OPERATE}
    serializer_class = s.PeerTreeHeadSerializer
    queryset = PeerTreeHead.objects.none()  # for the schema; get() reads the log

    def get(self, request: Request) -> Response:
        node = _text(request.query_params, "node")
        qs = ledger.peer_heads(node) if node else PeerTreeHead.objects.order_by("node", "-size", "received_at")
        page = self.paginate_queryset(qs)
        rows = [
            {
                **head_dict(h.node, h.size, h.root, h.timestamp, h.key_id, h.signature),
                "received_at": h.received_at.isoformat(),
            }
            for h in page
        ]
        return self.get_paginated_response(rows)


@extend_schema_view(
    get=extend_schema(
        summary="Fork alerts (分叉告警): two heads of a node's log that cannot both be true (node operators)",
        parameters=[NODE_FILTER, ROLE_HEADER],
        responses=s.LogForkAlertSerializer(many=True),
    )
)
class LogForksView(generics.GenericAPIView):
    policy = {"GET": OPERATE}
    serializer_class = s.LogForkAlertSerializer
    queryset = ForkAlert.objects.none()  # for the schema; get() reads the log

    def get(self, request: Request) -> Response:
        node = _text(request.query_params, "node")
        qs = ledger.fork_alerts()
        if node:
            qs = qs.filter(node=node)
        page = self.paginate_queryset(qs)
        rows = [
            {
                "node": a.node,
                "size": a.size,
                "root": bytes(a.root).hex(),
                "other_size": a.other_size,
                "other_root": bytes(a.other_root).hex(),
                "detected_at": a.detected_at.isoformat(),
                "detail": a.detail,
            }
            for a in page
        ]
        return self.get_paginated_response(rows)


__all__ = [
    "MAX_VERIFY_BYTES",
    "LicenseStatusView",
    "LicenseTypeListView",
    "LicenseViewSet",
    "LogConsistencyView",
    "LogForksView",
    "LogHeadView",
    "LogInclusionView",
    "LogLeafView",
    "LogPeersView",
    "VerificationView",
    "as_document",
    "document_from_file",
    "own_codes",
    "visible_licenses",
]
