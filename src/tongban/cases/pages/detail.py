"""One case (/cases/<number>/): the applicant's view of their own case, or the staff page.

The action forms are exactly ``services.allowed_actions(actor, case)``; each posts to
/cases/<number>/actions/<action>/ with the version the page showed, so a page that went stale meanwhile
gets the command's 409 message instead of acting on a case it has not seen. Materials are uploaded or
recorded one at a time; a draft's form and files are saved (and submitted) in one go. The forms of
告知承诺, 容缺受理 and 事后核查 (commit, supply, verify, revoke) and what they show are in ``commitments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tongban.cases import services
from tongban.cases.choices import (
    DeliveryMethod,
    MaterialEvidence,
    MaterialState,
    OrderState,
    SpecialProcedure,
    Status,
)
from tongban.cases.events import verify_chain
from tongban.cases.forms import DraftForm
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.pages import commitments, timeline
from tongban.cases.pages.common import (
    Errors,
    Panel,
    action_label,
    applicant_view,
    case_not_found,
    case_url,
    errors_from,
    find_case,
    int_or_none,
    is_staff,
    safe_next,
)
from tongban.cases.serializers import clock_view
from tongban.core.errors import DomainError
from tongban.identity.actor import Actor, actor_for
from tongban.identity.masking import mask_id_number
from tongban.identity.policy import may
from tongban.licenses import pages as license_pages
from tongban.licenses import pages_sharing as license_sharing

# The inputs of each action's form; a command's problem naming another field goes to the top of the form.
ACTION_FIELDS: dict[str, set[str]] = {
    "refuse": {"reasons", "basis"},
    "deny": {"reasons", "basis"},
    "terminate": {"reasons", "basis"},
    "request-correction": {"note"},
    "review": {"opinion"},
    "approve": {"opinion", "basis"},
    "extend": {"days", "reason"},
    "suspend": {"kind", "reason"},
    "resume": {"result"},
    "withdraw": {"reason"},
    "issue": {"result_number"},
    "deliver": {"method", "recipient_id_check", "carrier", "tracking_number", "address"},
    "forward": {"carrier", "tracking_number"},
    "supervise": {"message", "days"},
    "answer-supervision": {"order", "answer"},
    **commitments.FIELDS,
}
PAGE_ACTIONS = frozenset(ACTION_FIELDS) | {"accept", "submit", "correct"}


@dataclass
class MaterialRow:
    material: CaseMaterial
    files: list[Any]
    errors: list[str] = field(default_factory=list)
    problem: str = ""  # the correction form's values, when it failed
    requirement: str = ""
    problem_errors: list[str] = field(default_factory=list)


def _materials_editable(actor: Actor, case: Case) -> bool:
    """Who may upload now: the same rule as the command's (draft: apply, pending: intake, correction: correct)."""
    rule = {Status.DRAFT: "case.apply", Status.PENDING: "case.intake", Status.CORRECTION: "case.correct"}
    action = rule.get(case.status)
    return action is not None and bool(may(actor, action, case))


def _materials_recordable(actor: Actor, case: Case) -> bool:
    return case.status in (Status.PENDING, Status.CORRECTION) and bool(may(actor, "case.intake", case))


def _applicant_line(case: Case) -> dict[str, str]:
    if case.applicant_organisation_id:
        org = case.applicant_organisation
        return {"name": org.name, "code": org.uscc}
    person = case.applicant_person
    if person is None:
        return {"name": case.applicant_name, "code": ""}
    return {"name": person.name, "code": mask_id_number(person.id_number)}


def _form_rows(case: Case) -> list[tuple[str, Any]]:
    """The form's answers with the schema's titles, in the schema's order (unknown keys after)."""
    schema = case.guide_version.form_schema or {}
    properties = schema.get("properties") if isinstance(schema, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    data = case.form_data or {}
    rows = []
    for name, spec in properties.items():
        if name in data:
            title = spec.get("title") if isinstance(spec, dict) else None
            value = data[name]
            if isinstance(value, bool):
                value = _("yes") if value else _("no")
            rows.append((title or name, value))
    rows += [(name, value) for name, value in data.items() if name not in properties]
    return rows


def case_context(
    request: HttpRequest,
    actor: Actor,
    case: Case,
    *,
    failed: str | None = None,
    errors: Errors | None = None,
    values: Any = None,
    draft_form: DraftForm | None = None,
    material_errors: dict[int, list[str]] | None = None,
    correction: dict[int, tuple[str, str, list[str]]] | None = None,
) -> dict[str, Any]:
    applicant = applicant_view(actor, case)
    allowed = services.allowed_actions(actor, case)
    drafting = case.status == Status.DRAFT and "save" in allowed
    material_errors = material_errors or {}
    correction = correction or {}
    rows = []
    for m in case.materials.prefetch_related("files").order_by("order", "id"):
        row = MaterialRow(m, list(m.files.all()), list(material_errors.get(m.pk, [])))
        if m.pk in correction:
            row.problem, row.requirement, row.problem_errors = correction[m.pk]
        rows.append(row)
    panels = [
        Panel(
            name,
            action_label(name),
            errors if name == failed else None,
            values if name == failed else QueryDict(),
        )
        for name in allowed
        if not (drafting and name in ("save", "submit")) and name not in commitments.ACTIONS
    ]
    if drafting and draft_form is None:
        draft_form = DraftForm(case.guide_version.form_schema, form_data=case.form_data)
    events = list(case.events.order_by("seq"))
    open_orders = [o for o in case.orders.all() if o.state == OrderState.OPEN]
    return {
        "case": case,
        "applicant_view": applicant,
        "staff": is_staff(actor) and not applicant,
        "allowed": allowed,
        "drafting": drafting,
        "draft_form": draft_form,
        "draft_errors": errors if failed == "draft" else None,
        "page_errors": errors,
        "panels": panels,
        "materials": rows,
        "materials_editable": _materials_editable(actor, case) and not drafting,
        "materials_recordable": _materials_recordable(actor, case),
        # An upload records itself; an e-licence is verified through its own form (免提交).
        "evidence_choices": [
            c for c in MaterialEvidence.choices if c[0] not in (MaterialEvidence.UPLOAD, MaterialEvidence.LICENSE)
        ],
        "procedure_choices": SpecialProcedure.choices,
        "delivery_choices": DeliveryMethod.choices,
        "clock": clock_view(case),
        "suspensions": list(case.suspensions.all()),
        "extensions": list(case.extensions.all()),
        "opinions": list(case.opinions.all()) if not applicant else [],
        "notices": list(case.notices.all()),
        "orders": list(case.orders.all()) if not applicant else [],
        "open_orders": open_orders,
        "order_choices": [
            (o.pk, f"{timezone.localtime(o.issued_at):%Y-%m-%d %H:%M} {o.message[:40]}") for o in open_orders
        ],
        "timeline": timeline.lines(events, applicant=applicant, user=request.user),
        "applicant_line": _applicant_line(case),
        "form_rows": _form_rows(case),
        "rejected": [r for r in rows if r.material.state == MaterialState.REJECTED],
        # The e-licence of the result (电子证照): the issue form asks for the fields the case's form lacks.
        "license_inputs": license_pages.issue_inputs(case) if "issue" in allowed else [],
        "case_licenses": license_pages.case_licenses(case) if case.issued_at else [],
        # 免提交: the materials a holder's e-licence may satisfy now, each with its consent form.
        "license_offers": license_sharing.offers(actor, case),
        **commitments.context(actor, case, allowed, failed=failed, errors=errors, values=values),
    }


def _render(request: HttpRequest, actor: Actor, case: Case, status: int = 200, **kw: Any) -> HttpResponse:
    return render(request, "cases/case.html", case_context(request, actor, case, **kw), status=status)


@login_required
@require_safe
def detail(request: HttpRequest, number: str) -> HttpResponse:
    actor = actor_for(request)
    case = find_case(actor, number)
    if case is None:
        return case_not_found(request)
    return _render(request, actor, case)


# --- actions -----------------------------------------------------------------------------------------


def _correction_items(case: Case, post: QueryDict) -> tuple[list[dict[str, Any]], list[int]]:
    """The correction form's rows with a problem filled in, and the material of each, in order."""
    items, order = [], []
    for m in case.materials.order_by("order", "id"):
        problem = post.get(f"m{m.pk}-problem", "").strip()
        requirement = post.get(f"m{m.pk}-requirement", "").strip()
        if problem or requirement:
            items.append({"material": m.pk, "problem": problem, "requirement": requirement})
            order.append(m.pk)
    return items, order


def _run(
    actor: Actor, case: Case, action: str, post: QueryDict, version: int | None, files: MultiValueDict | None = None
) -> None:
    s = services
    if action in commitments.ACTIONS:  # 告知承诺, 容缺受理, 事后核查: with the files the form sent
        commitments.run(actor, case, action, post, files or MultiValueDict(), version)
        return

    def t(name: str) -> str:
        return post.get(name, "")

    if action == "accept":
        s.accept(actor, case, version=version)
    elif action == "submit":
        s.submit(actor, case, version=version)
    elif action == "correct":
        s.correct(actor, case, version=version)
    elif action == "refuse":
        s.refuse(actor, case, reasons=t("reasons"), basis=t("basis"), version=version)
    elif action == "deny":
        s.deny(actor, case, reasons=t("reasons"), basis=t("basis"), version=version)
    elif action == "terminate":
        s.terminate(actor, case, reasons=t("reasons"), basis=t("basis"), version=version)
    elif action == "request-correction":
        items, _order = _correction_items(case, post)
        s.request_correction(actor, case, items=items, note=t("note"), version=version)
    elif action == "review":
        s.review(actor, case, opinion=t("opinion"), version=version)
    elif action == "approve":
        s.approve(actor, case, opinion=t("opinion"), basis=t("basis"), version=version)
    elif action == "extend":
        s.extend(actor, case, days=t("days"), reason=t("reason"), version=version)
    elif action == "suspend":
        s.suspend(actor, case, kind=t("kind"), reason=t("reason"), version=version)
    elif action == "resume":
        s.resume(actor, case, result=t("result"), version=version)
    elif action == "withdraw":
        s.withdraw(actor, case, reason=t("reason"), version=version)
    elif action == "issue":
        # The licence's own fields come as license.<name> (the form lists what the case's form lacks).
        data = {k.removeprefix("license."): v.strip() for k, v in post.items() if k.startswith("license.")}
        data = {k: v for k, v in data.items() if v}
        s.issue(actor, case, result_number=t("result_number"), license_data=data or None, version=version)
    elif action == "deliver":
        s.deliver(
            actor,
            case,
            method=t("method"),
            recipient_id_check=t("recipient_id_check"),
            carrier=t("carrier"),
            tracking_number=t("tracking_number"),
            address=t("address"),
            version=version,
        )
    elif action == "forward":
        s.forward(actor, case, carrier=t("carrier"), tracking_number=t("tracking_number"), version=version)
    elif action == "supervise":
        s.supervise(actor, case, message=t("message"), days=int_or_none(t("days")) or services.SUPERVISION_ANSWER_DAYS)
    elif action == "answer-supervision":
        order = int_or_none(t("order"))
        if order is None:
            raise DomainError.single("order", "required", "请选择要回复的督办单", "choose the order to answer")
        s.answer_supervision(actor, case, order=order, answer=t("answer"))


def _correction_errors(case: Case, post: QueryDict, exc: DomainError) -> dict[int, tuple[str, str, list[str]]]:
    """The correction form's values and errors by material, from ``items[i].…`` problems."""
    _items, order = _correction_items(case, post)
    rows: dict[int, tuple[str, str, list[str]]] = {}
    for m in case.materials.all():
        rows[m.pk] = (post.get(f"m{m.pk}-problem", ""), post.get(f"m{m.pk}-requirement", ""), [])
    for problem in exc.problems:
        name = problem.field or ""
        if name.startswith("items[") and "]" in name:
            index = int_or_none(name[6 : name.index("]")])
            if index is not None and index < len(order):
                rows[order[index]][2].append(str(problem.text))
    return rows


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    actor = actor_for(request)
    case = find_case(actor, number)
    if case is None:
        return case_not_found(request)
    if action not in PAGE_ACTIONS:
        return case_not_found(request)
    version = int_or_none(request.POST.get("version"))
    on_cards: dict[int, list[str]] = {}  # a 容缺 material's problems, on its card
    try:
        _run(actor, case, action, request.POST, version, request.FILES)
    except DomainError as exc:
        if action in commitments.ACTIONS:
            errors, on_cards = commitments.errors_for(case, action, exc, request.POST)
        elif action == "issue":  # the licence data's problems go beside its license.<field> inputs
            errors = errors_from(exc, *license_pages.issue_error_fields(case))
        else:
            errors = errors_from(exc, ACTION_FIELDS.get(action, set()))
        if action == "request-correction":
            correction = _correction_errors(case, request.POST, exc)
            placed = {m for problems in correction.values() for m in problems[2]}
            errors.general = [m for m in errors.general if m not in placed]
        else:
            correction = None
        fresh = find_case(actor, number) or case
        return _render(
            request,
            actor,
            fresh,
            status=errors.status,
            failed=action,
            errors=errors,
            values=request.POST,
            correction=correction,
            material_errors=on_cards,
        )
    messages.success(request, _("Done: %(action)s.") % {"action": action_label(action)})
    fallback = case_url(case) + (commitments.anchor(action, request.POST) if action in commitments.ACTIONS else "")
    return HttpResponseRedirect(safe_next(request, fallback))


# --- materials ---------------------------------------------------------------------------------------


def _material_failure(request: HttpRequest, actor: Actor, number: str, case: Case, pk: int, exc: DomainError):  # type: ignore[no-untyped-def]
    errors = errors_from(exc, set())
    fresh = find_case(actor, number) or case
    placed = {} if errors.stale else {pk: list(errors.general)}
    return _render(request, actor, fresh, status=errors.status, errors=errors, material_errors=placed)


@login_required
@require_POST
def upload(request: HttpRequest, number: str, material_id: int) -> HttpResponse:
    actor = actor_for(request)
    case = find_case(actor, number)
    if case is None:
        return case_not_found(request)
    upload_file = request.FILES.get("file")
    try:
        if upload_file is None:
            raise DomainError.single("file", "required", "请选择要上传的文件", "choose a file to upload")
        services.attach_file(
            actor,
            case,
            material_id=material_id,
            upload=upload_file,
            name=upload_file.name,
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        return _material_failure(request, actor, number, case, material_id, exc)
    messages.success(request, _("The file was uploaded."))
    return HttpResponseRedirect(f"{case_url(case)}#material-{material_id}")


@login_required
@require_POST
def record(request: HttpRequest, number: str, material_id: int) -> HttpResponse:
    actor = actor_for(request)
    case = find_case(actor, number)
    if case is None:
        return case_not_found(request)
    try:
        services.record_material(
            actor,
            case,
            material_id=material_id,
            evidence=request.POST.get("evidence", ""),
            note=request.POST.get("note", ""),
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        return _material_failure(request, actor, number, case, material_id, exc)
    messages.success(request, _("The material was recorded."))
    return HttpResponseRedirect(f"{case_url(case)}#material-{material_id}")


# --- the draft: form and files saved together, then perhaps submitted ---------------------------------


def _draft_errors(exc: DomainError, form: DraftForm, errors: Errors, files: dict[int, list[str]]) -> None:
    for problem in exc.problems:
        name = problem.field or ""
        text = str(problem.text)
        if problem.code == "stale_version":
            errors.stale = True
            errors.add(None, text)
        elif name.startswith("form_data."):
            key = name.removeprefix("form_data.").split(".")[0]
            if key in form.fields:
                message = _("Fill in this field.") if problem.code == "form_required" else text
                form.add_error(key, message)
            else:
                errors.add(None, text)
        elif name.startswith("materials[") and name.endswith("]"):
            pk = int_or_none(name[10:-1])
            if pk is not None:
                files.setdefault(pk, []).append(text)
            else:
                errors.add(None, text)
        else:
            errors.add(None, text)
    errors.status = exc.status


@login_required
@require_POST
def draft(request: HttpRequest, number: str) -> HttpResponse:
    """Save a draft's form and the files chosen for its materials; with ``do=submit`` submit it too."""
    actor = actor_for(request)
    case = find_case(actor, number)
    if case is None:
        return case_not_found(request)
    form = DraftForm(case.guide_version.form_schema, request.POST, form_data=case.form_data)
    errors = Errors()
    file_errors: dict[int, list[str]] = {}
    version = int_or_none(request.POST.get("version"))
    submitting = request.POST.get("do") == "submit"
    if not form.is_valid():
        errors.add(None, _("Some answers of the form need correcting; see the fields marked below."))
    else:
        try:
            data = form.form_data(case.form_data)
            if data != (case.form_data or {}) or case.status != Status.DRAFT:
                case = services.save_draft(actor, case, form_data=data, version=version)
                version = case.version
            for m in case.materials.order_by("order", "id"):
                chosen = request.FILES.get(f"file-{m.pk}")
                if chosen is None:
                    continue
                try:
                    services.attach_file(
                        actor, case, material_id=m.pk, upload=chosen, name=chosen.name, version=version
                    )
                    version = None if version is None else version + 1
                except DomainError as exc:
                    if exc.status == 409:
                        raise
                    file_errors.setdefault(m.pk, []).extend(str(p.text) for p in exc.problems)
            if submitting and not file_errors:
                services.submit(actor, case, version=version)
        except DomainError as exc:
            _draft_errors(exc, form, errors, file_errors)
    if errors or file_errors or form.errors:
        if not errors and (file_errors or form.errors):
            errors.add(None, _("Some answers of the form need correcting; see the fields marked below."))
        fresh = find_case(actor, number) or case
        return _render(
            request,
            actor,
            fresh,
            status=errors.status if errors.status != 200 else 400,
            failed="draft",
            errors=errors,
            draft_form=form if fresh.status == Status.DRAFT else None,
            material_errors=file_errors,
        )
    if submitting:
        messages.success(request, _("Your application was submitted. You can follow it on this page."))
    else:
        messages.success(request, _("Your application was saved. It is not submitted yet."))
    return HttpResponseRedirect(case_url(case))


# --- 责任追溯: the whole record, with the state of its hash chain --------------------------------------


@login_required
@require_safe
def trace(request: HttpRequest, number: str) -> HttpResponse:
    actor = actor_for(request)
    case = find_case(actor, number)
    if case is None or not is_staff(actor) or applicant_view(actor, case):
        return case_not_found(request)
    events = list(case.events.select_related("assignment__region").order_by("seq"))
    rows = []
    for event, line in zip(events, timeline.lines(events, applicant=False), strict=True):
        rows.append(
            {
                "event": event,
                "what": line.what,
                "details": line.details,
                "role": timeline.role_label(event.role),
                "region": event.assignment.region.name if event.assignment_id and event.assignment else "",
                "before": timeline.status_label(event.status_before),
                "after": timeline.status_label(event.status_after),
            }
        )
    report = verify_chain(case)
    return render(request, "cases/trace.html", {"case": case, "rows": rows, "report": report})
