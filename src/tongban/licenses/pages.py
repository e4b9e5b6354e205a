"""The pages of e-licences (电子证照): the holder's wallet (我的证照) and showing a licence (亮证), the public
check (核验), and one licence's page for its holder and the issuing department's staff.

Changes go through the commands of ``tongban.licenses.services``; a page reads, calls a command with
what its form sent and shows the command's refusal beside the field it names. Forms are plain HTML
forms (POST, then a redirect to GET), so every page works without JavaScript.

Showing a licence (亮证) hands out a link that stands for the licence for a while: a TimestampSigner
token over the identifier and the chosen lifetime, so nothing is stored and nothing can be extended.
The page it opens and the check by identifier say as little about the holder as the asker needs: the
masked name, the type, number, issuer, validity and status.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tongban.cases.pages.common import Errors, Panel, errors_from
from tongban.catalog.models import LicenseType
from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text
from tongban.federation.sm2 import SM2Error
from tongban.federation.trust import TrustError
from tongban.identity.actor import Actor, actor_for
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.policy import may, own_organisations
from tongban.licenses import document, rendering, services
from tongban.licenses.models import License, LicenseStatus
from tongban.web.views import not_found

log = logging.getLogger("tongban.licenses")

SHOW_SALT = "tongban.licenses.show"
# The lifetimes a holder may give a shown licence's link, in seconds.
SHOW_CHOICES: tuple[tuple[int, Any], ...] = (
    (600, gettext_lazy("10 minutes")),
    (3600, gettext_lazy("1 hour")),
    (86400, gettext_lazy("24 hours")),
)
NOT_FOUND = gettext_lazy("There is no licence with this identifier, or you may not see it.")

# The words for each step of a verification (document.Report), as the check page lists them.
CHECK_LABELS: dict[str, Any] = {
    "format": gettext_lazy("File format"),
    "identifier": gettext_lazy("Identifier and check character"),
    "content": gettext_lazy("Content unchanged"),
    "seal": gettext_lazy("Electronic seal on the trust list"),
    "signature": gettext_lazy("Seal's signature"),
    "log": gettext_lazy("Issuance recorded in the log"),
    "validity": gettext_lazy("Period of validity"),
    "status": gettext_lazy("Status at the issuer"),
}

# The forms of a licence's page for staff who may manage it, and the inputs each has.
ACTIONS: dict[str, set[str]] = {
    "annotate": {"text", "reason", "until"},
    "suspend": {"reason", "until"},
    "reinstate": {"reason"},
    "revoke": {"reason"},
    "new-version": {"reason", "changes"},
}
ACTION_LABELS: dict[str, Any] = {
    "annotate": gettext_lazy("Add an annotation (加注)"),
    "suspend": gettext_lazy("Suspend (中止)"),
    "reinstate": gettext_lazy("Reinstate"),
    "revoke": gettext_lazy("Revoke (撤销)"),
    "new-version": gettext_lazy("Issue a new version (换发)"),
}
# Which action each status allows (the commands check it again; the page only offers what may succeed).
_OFFERED = {
    LicenseStatus.VALID: ("annotate", "suspend", "revoke", "new-version"),
    LicenseStatus.SUSPENDED: ("annotate", "reinstate", "revoke"),
}


# --- who may see what -------------------------------------------------------------------------------


def holder_codes(actor: Actor) -> list[str]:
    """The holder codes that are the actor's own: their ID number, and the USCCs of the organisations
    they represent or are authorised for (``policy.own_organisations``)."""
    codes = [actor.person.id_number] if actor.person is not None and actor.person.id_number else []
    return codes + [c for c in own_organisations(actor).values_list("uscc", flat=True) if c]


def own_licenses(actor: Actor) -> QuerySet[License]:
    return License.objects.filter(holder_code__in=holder_codes(actor)).select_related("license_type", "issuer")


def is_holder(actor: Actor, lic: License) -> bool:
    return actor.is_authenticated and lic.holder_code in holder_codes(actor)


def may_read(actor: Actor, lic: License) -> bool:
    return is_holder(actor, lic) or bool(may(actor, "license.read", lic))


def _find(actor: Actor, identifier: str) -> License | None:
    """The licence with this identifier, if the actor may read it."""
    try:
        lic = services.get(identifier)
    except DomainError:
        return None
    return lic if may_read(actor, lic) else None


def _not_found(request: HttpRequest) -> HttpResponse:
    return not_found(request, str(NOT_FOUND))


def in_force(lic: License, today: dt.date | None = None) -> bool:
    """Whether the licence may be relied on today: its status and its period of validity."""
    today = today or timezone.localdate()
    return (
        lic.status == LicenseStatus.VALID
        and lic.valid_from <= today
        and (lic.valid_to is None or today <= lic.valid_to)
    )


@dataclass
class Card:
    """A licence as lists and the shown page present it."""

    lic: License
    holder_masked: str
    in_force: bool
    expired: bool


def card(lic: License) -> Card:
    today = timezone.localdate()
    return Card(lic, mask_name(lic.holder_name), in_force(lic, today), bool(lic.valid_to and lic.valid_to < today))


# --- 我的证照: the wallet -----------------------------------------------------------------------------


@login_required
@require_safe
def wallet(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    licenses = [card(lic) for lic in own_licenses(actor)]
    return render(
        request,
        "licenses/wallet.html",
        {"cards": licenses, "show_choices": SHOW_CHOICES, "has_person": actor.person is not None},
    )


def _download_name(lic: License, suffix: str) -> str:
    return f"{lic.license_type.name}-{lic.number}-v{lic.version}.{suffix}"


@login_required
@require_safe
def pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = actor_for(request)
    lic = _find(actor, identifier)
    if lic is None:
        return _not_found(request)
    from tongban.licenses.tasks import ensure_pdf

    try:
        content = ensure_pdf(lic)
    except DomainError as exc:  # e.g. the node has no key to sign the log proof the PDF carries
        return _unavailable(exc)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = _disposition(_download_name(lic, "pdf"))
    return response


@login_required
@require_safe
def json_document(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = actor_for(request)
    lic = _find(actor, identifier)
    if lic is None:
        return _not_found(request)
    try:
        body = json.dumps(services.with_proof(lic), ensure_ascii=False, indent=2)
    except DomainError as exc:
        return _unavailable(exc)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = _disposition(_download_name(lic, "json"))
    return response


def _unavailable(exc: DomainError) -> HttpResponse:
    text = exc.problems[0].text
    return HttpResponse(f"{text.zh}\n{text.en}\n", status=exc.status, content_type="text/plain; charset=utf-8")


def _disposition(name: str) -> str:
    return content_disposition_header(True, name) or "attachment"


# --- 亮证: a time-limited link ------------------------------------------------------------------------


def share_token(identifier: str, seconds: int) -> str:
    """A token that stands for the licence for ``seconds`` from now."""
    return signing.TimestampSigner(salt=SHOW_SALT).sign_object({"id": identifier, "s": int(seconds)})


class ShareError(Exception):
    """A shown licence's link that cannot be honoured: ``status`` 400 when altered, 410 when expired."""

    def __init__(self, status: int, text: Text) -> None:
        super().__init__(text.en)
        self.status = status
        self.text = text


def read_share_token(token: str) -> tuple[str, dt.datetime]:
    """The identifier a share token stands for and when it stops; ShareError when altered or expired."""
    signer = signing.TimestampSigner(salt=SHOW_SALT)
    altered = ShareError(
        400,
        Text(
            "该亮证链接无效：链接不完整或已被改动",
            "this link to a shown licence is not valid: it is incomplete or was altered",
        ),
    )
    try:
        data = signer.unsign_object(token)
    except signing.BadSignature:
        raise altered from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or data.get("s") not in dict(SHOW_CHOICES):
        raise altered
    seconds = int(data["s"])
    # value:timestamp:signature, the signature checked above; the time is only read to say when it ends.
    made = dt.datetime.fromtimestamp(signing.b62_decode(token.rsplit(signer.sep, 2)[1]), tz=dt.UTC)
    expires = made + dt.timedelta(seconds=seconds)
    try:
        signer.unsign_object(token, max_age=seconds)
    except signing.SignatureExpired:
        at = f"{timezone.localtime(expires):%Y-%m-%d %H:%M}"
        raise ShareError(
            410,
            Text(
                f"该亮证链接已于{at}过期，请持证人重新亮证",
                f"this link expired at {at}; ask the holder to show the licence again",
            ),
        ) from None
    return data["id"], expires


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def show(request: HttpRequest, identifier: str) -> HttpResponse:
    """POST: make a link for the chosen time and go to it; GET with ``token``: the link and its QR code."""
    actor = actor_for(request)
    lic = _find(actor, identifier)
    if lic is None or not is_holder(actor, lic):
        return _not_found(request)
    if request.method == "POST":
        seconds = _int(request.POST.get("seconds"))
        if seconds not in dict(SHOW_CHOICES):
            messages.error(request, _("Choose for how long the link may be opened."))
            return HttpResponseRedirect(reverse("licenses:wallet") + f"#license-{lic.pk}")
        token = share_token(lic.identifier, seconds)
        return HttpResponseRedirect(f"{reverse('licenses:show', args=[lic.identifier])}?{urlencode({'t': token})}")
    token = request.GET.get("t", "")
    try:
        shown_id, expires = read_share_token(token)
    except ShareError as exc:
        return render(request, "licenses/shown.html", {"problem": str(exc.text)}, status=exc.status)
    if shown_id != lic.identifier:
        return _not_found(request)
    link = request.build_absolute_uri(reverse("licenses:shown", args=[token]))
    context = {
        "card": card(lic),
        "link": link,
        "qr": rendering.qr_svg(link, _("QR code of the link to this licence")),
        "expires": expires,
    }
    return render(request, "licenses/show.html", context)


@require_safe
def shown(request: HttpRequest, token: str) -> HttpResponse:
    """The page a shown licence's link opens, for anyone holding the link, until it expires."""
    try:
        identifier, expires = read_share_token(token)
    except ShareError as exc:
        return render(request, "licenses/shown.html", {"problem": str(exc.text)}, status=exc.status)
    lic = License.objects.select_related("license_type", "issuer").filter(identifier=identifier).first()
    if lic is None:
        return not_found(request, str(NOT_FOUND))
    report = _verify_own(lic)
    context = {"card": card(lic), "expires": expires, "report": report, "checks": _checks(report)}
    return render(request, "licenses/shown.html", context)


def _verify_own(lic: License) -> document.Report | None:
    """The verification of a licence this node issued, as any verifier would make it; None when it
    cannot be made now (no node key to sign a fresh tree head with, no trust list yet)."""
    try:
        return services.verify_here(services.with_proof(lic))
    except (DomainError, TrustError, SM2Error):
        log.exception("licence %s could not be verified for its shown page", lic.identifier)
        return None


# --- 核验: the public check -------------------------------------------------------------------------


@dataclass
class CheckRow:
    name: str
    label: str
    ok: bool | None
    message: str

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗"}.get(self.ok, "—")  # type: ignore[arg-type]

    @property
    def state(self) -> str:
        return {True: "ok", False: "failed"}.get(self.ok, "unknown")  # type: ignore[arg-type]


def _checks(report: document.Report | None) -> list[CheckRow]:
    if report is None:
        return []
    return [CheckRow(c.name, str(CHECK_LABELS.get(c.name, c.name)), c.ok, str(c.text)) for c in report.checks]


def _read_upload(request: HttpRequest) -> dict[str, Any]:
    """The licence document in the uploaded file (its JSON, or the one a PDF carries); DomainError saying
    what is wrong with the file."""
    upload = request.FILES.get("file")
    if upload is None:
        raise DomainError.single(
            "file", "required", "请选择电子证照的 PDF 或 JSON 文件", "choose the PDF or JSON file of an e-licence"
        )
    limit = int(settings.TONGBAN_MAX_UPLOAD_BYTES)
    if upload.size is not None and upload.size > limit:
        raise DomainError.single(
            "file",
            "file_too_large",
            f"文件超过{limit // (1 << 20)}MB的上限",
            f"the file is larger than the {limit // (1 << 20)} MiB limit",
            413,
        )
    raw = upload.read(limit + 1)
    if b"%PDF-" in raw[:1024]:
        found = rendering.embedded_document(raw)
        if found is None:
            raise DomainError.single(
                "file",
                "no_license_in_pdf",
                "该 PDF 不含电子证照文件（license.json），无法核验；请上传本系统出具的证照 PDF 或 JSON 文件",
                "this PDF carries no e-licence document (license.json), so it cannot be verified; upload a licence "
                "PDF or JSON file issued by this system",
            )
        return found
    if raw.lstrip()[:1] in (b"{", b"["):
        return document.parse(raw)
    raise DomainError.single(
        "file",
        "file_type",
        "文件格式不对：请上传电子证照的 PDF 或 JSON 文件",
        "wrong kind of file: upload the PDF or JSON file of an e-licence",
    )


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """核验: by identifier (``?id=``, what the QR code carries) the status in a few words; or a file
    checked step by step against this node's trust list."""
    context: dict[str, Any] = {
        "errors": None,
        "identifier": "",
        "lookup": None,
        "report": None,
        "checks": [],
        "max_mb": int(settings.TONGBAN_MAX_UPLOAD_BYTES) // (1 << 20),
    }
    status = 200
    if request.method == "POST":
        try:
            doc = _read_upload(request)
        except DomainError as exc:
            context["errors"] = errors_from(exc, {"file"})
            status = exc.status
        else:
            try:
                report = services.verify_here(doc)
            except TrustError as exc:  # a node without a trust list cannot vouch for any seal
                return render(request, "licenses/verify.html", {**context, "unavailable": str(exc.text)}, status=503)
            context.update(
                report=report,
                checks=_checks(report),
                failed=[str(c.text) for c in report.failed],
                unknown=[str(c.text) for c in report.checks if c.ok is None],
                summary=_summary(report.license or {}),
            )
            status = 200
    elif "id" in request.GET:
        identifier = request.GET.get("id", "").strip()
        context["identifier"] = identifier
        try:
            lic = services.get(identifier)
        except DomainError as exc:
            context["errors"] = errors_from(exc, {"identifier"})
            status = exc.status
        else:
            context["lookup"] = card(lic)
    return render(request, "licenses/verify.html", context, status=status)


def _summary(content: dict[str, Any]) -> dict[str, str]:
    """The licence a checked file names, in a few lines (the file's own words: the asker holds it)."""
    kind = content.get("type") if isinstance(content.get("type"), dict) else {}
    issuer = content.get("issuer") if isinstance(content.get("issuer"), dict) else {}
    holder = content.get("holder") if isinstance(content.get("holder"), dict) else {}
    return {
        "type": str(kind.get("name") or content.get("name") or ""),
        "number": str(content.get("number") or ""),
        "identifier": str(content.get("identifier") or ""),
        "issuer": str(issuer.get("name") or ""),
        "holder": mask_name(str(holder.get("name") or "")),
        "valid_from": str(content.get("valid_from") or ""),
        "valid_to": str(content.get("valid_to") or ""),
    }


# --- one licence: its holder and the issuing department's staff -----------------------------------


@dataclass
class DataInput:
    """One field of the new-version form: the licence's current value, and what the form sent."""

    name: str
    title: str
    kind: str
    current: str
    required: bool


def data_inputs(lic: License) -> list[DataInput]:
    schema = lic.license_type.schema or {}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    data = lic.document["license"].get("data") or {}
    rows = []
    for name, spec in properties.items():
        spec = spec if isinstance(spec, dict) else {}
        kind = {"number": "number", "integer": "number"}.get(str(spec.get("type")), "text")
        current = data.get(name)
        rows.append(
            DataInput(
                f"data.{name}",
                str(spec.get("title") or name),
                kind,
                "" if current is None else str(current),
                name in required,
            )
        )
    return rows


def _page(
    request: HttpRequest,
    actor: Actor,
    lic: License,
    *,
    failed: str | None = None,
    errors: Errors | None = None,
    values: Any = None,
    status: int = 200,
) -> HttpResponse:
    manage = bool(may(actor, "license.manage", lic))
    offered = _OFFERED.get(LicenseStatus(lic.status), ()) if manage else ()
    panels = [
        Panel(name, str(ACTION_LABELS[name]), errors if name == failed else None, values if name == failed else None)
        for name in offered
    ]
    holder = is_holder(actor, lic)
    staff = not holder or actor.assignment is not None
    content = lic.document["license"]
    events = list(lic.events.all())
    context = {
        "lic": lic,
        "card": card(lic),
        "content": content,
        "fields": rendering.fields_of(lic.license_type.schema or {}, content.get("data") or {}),
        "holder_code_shown": (
            mask_id_number(lic.holder_code) if lic.holder_code_type == services.CODE_TYPE_ID_CARD else lic.holder_code
        ),
        "events": events,
        "staff": staff,
        "holder": holder,
        "panels": panels,
        "page_errors": errors,
        "data_inputs": data_inputs(lic) if "new-version" in offered else [],
        "values": values or QueryDict(),
        "previous": lic.previous,
        "next_version": License.objects.filter(previous=lic).first(),
        "show_choices": SHOW_CHOICES,
        "today": timezone.localdate(),
    }
    return render(request, "licenses/detail.html", context, status=status)


@login_required
@require_safe
def detail(request: HttpRequest, identifier: str) -> HttpResponse:
    actor = actor_for(request)
    lic = _find(actor, identifier)
    if lic is None:
        return _not_found(request)
    return _page(request, actor, lic)


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _until(post: QueryDict) -> dt.date | None:
    text = (post.get("until") or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError.single(
            "until", "invalid_date", "期限应为日期（年-月-日）", "'until' must be a date (year-month-day)"
        ) from None


def _coerce(spec: dict[str, Any], name: str, text: str) -> Any:
    """A form's text as the schema's type wants it; DomainError beside the field when it cannot be."""
    kind = spec.get("type")
    if kind in ("number", "integer"):
        try:
            number = float(text)
        except ValueError:
            raise DomainError.single(f"license_data.{name}", "not_a_number", "请填写数字", "enter a number") from None
        if kind == "integer" or number.is_integer():
            return int(number)
        return number
    if kind == "boolean":
        return text.lower() in ("1", "true", "yes", "是")
    return text


def changes_from(lic: License, post: QueryDict) -> dict[str, Any]:
    """The fields of the new-version form whose value differs from the licence's, typed as the schema
    says; DomainError beside each field that cannot be read, or that was emptied (a new version changes
    values, it does not leave one out)."""
    properties = (lic.license_type.schema or {}).get("properties") or {}
    data = lic.document["license"].get("data") or {}
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, spec in properties.items():
        key = f"data.{name}"
        if key not in post:
            continue
        text = post.get(key, "").strip()
        current = data.get(name)
        if text == ("" if current is None else str(current)):
            continue
        if not text:
            problems.append(
                Problem(
                    f"license_data.{name}",
                    "emptied",
                    Text(
                        "换发不能删去原有的内容，请填写新的值",
                        "a new version cannot leave a value out; enter the new one",
                    ),
                )
            )
            continue
        try:
            changes[name] = _coerce(spec if isinstance(spec, dict) else {}, name, text)
        except DomainError as exc:
            problems += exc.problems
    if problems:
        raise DomainError(problems)
    return changes


def _run(actor: Actor, lic: License, action: str, post: QueryDict) -> License:
    def t(name: str) -> str:
        return post.get(name, "")

    if action == "annotate":
        return services.annotate(actor, lic, text=t("text"), reason=t("reason"), until=_until(post))
    if action == "suspend":
        return services.suspend(actor, lic, reason=t("reason"), until=_until(post))
    if action == "reinstate":
        return services.reinstate(actor, lic, reason=t("reason"))
    if action == "revoke":
        return services.revoke(actor, lic, reason=t("reason"))
    return services.new_version(actor, lic, changes=changes_from(lic, post), reason=t("reason"))


@login_required
@require_POST
def act(request: HttpRequest, identifier: str, action: str) -> HttpResponse:
    actor = actor_for(request)
    lic = _find(actor, identifier)
    if lic is None or action not in ACTIONS:
        return _not_found(request)
    properties = (lic.license_type.schema or {}).get("properties") or {}
    known = ACTIONS[action] | {f"data.{name}" for name in properties}
    rename = {f"license_data.{name}": f"data.{name}" for name in properties}
    try:
        result = _run(actor, lic, action, request.POST)
    except DomainError as exc:
        errors = errors_from(exc, known, rename)
        fresh = services.get(lic.identifier)
        return _page(request, actor, fresh, failed=action, errors=errors, values=request.POST, status=errors.status)
    messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
    return HttpResponseRedirect(reverse("licenses:detail", args=[result.identifier]))


# --- the case page's issue form ----------------------------------------------------------------------


@dataclass
class IssueInput:
    """An input of the issue form for a licence field the case's form does not give."""

    name: str  # license.<field>, as the case page's issue action reads it
    label: str
    required: bool
    kind: str


def license_type_of(case: Any) -> LicenseType | None:
    code = getattr(case.guide_version, "result_license_type", "")
    return LicenseType.objects.filter(code=code).first() if code else None


def issue_inputs(case: Any) -> list[IssueInput]:
    """The licence fields the issuing officer must or may enter: the type's schema fields the case's form
    does not give already (required ones marked)."""
    license_type = license_type_of(case)
    if license_type is None:
        return []
    schema = license_type.schema or {}
    required = set(schema.get("required") or [])
    given = case.form_data or {}
    rows = []
    for name, spec in (schema.get("properties") or {}).items():
        if given.get(name) not in (None, ""):
            continue
        spec = spec if isinstance(spec, dict) else {}
        kind = "number" if spec.get("type") in ("number", "integer") else "text"
        rows.append(IssueInput(f"license.{name}", str(spec.get("title") or name), name in required, kind))
    return rows


def issue_error_fields(case: Any) -> tuple[set[str], dict[str, str]]:
    """The issue form's inputs, and the licence commands' field names mapped onto them, so a refusal of
    the licence data shows beside the input it concerns."""
    names = [row.name.removeprefix("license.") for row in issue_inputs(case)]
    return {"result_number", *(f"license.{n}" for n in names)}, {f"license_data.{n}": f"license.{n}" for n in names}


def case_licenses(case: Any) -> list[License]:
    return list(License.objects.filter(case=case).select_related("license_type").order_by("signed_at"))
