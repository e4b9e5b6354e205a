"""Pages of 一件事 (life-event bundles): the list, applying (at a window or online), one application's page
with its items and one timeline, and the unified output window (统一出件).

Applying is one page and one POST: the merged form, each asked material once, how the results are taken.
The commands (start, give each material, submit) run in one transaction, so a refusal of any of them
leaves nothing behind and the page shows every problem beside its field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tongban.bundles import plan as bundle_plan
from tongban.bundles.models import Bundle, BundleCase, BundleCaseStatus, DeliveryChoice
from tongban.bundles.services import applications as apply
from tongban.bundles.timeline import timeline
from tongban.cases.choices import Channel, DeliveryMethod, MaterialEvidence, Status
from tongban.cases.forms import DraftForm
from tongban.cases.pages.common import Errors, action_label, errors_from, int_or_none, role_needed
from tongban.cases.pages.intake import find_person, log_lookup
from tongban.core.codes import CodeError
from tongban.core.errors import DomainError, Problem
from tongban.identity import ids
from tongban.identity.actor import Actor, actor_for
from tongban.identity.choices import IdType
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.models import Person
from tongban.identity.policy import may, visible
from tongban.web.views import not_found

NOT_FOUND = gettext_lazy("There is no bundle application with this number, or you may not see it.")
BUNDLE_NOT_FOUND = gettext_lazy("There is no published bundle with this code.")
WINDOW_EVIDENCE = [
    (MaterialEvidence.ORIGINAL_SEEN, gettext_lazy("original seen")),
    (MaterialEvidence.COPY_SCANNED, gettext_lazy("paper copy scanned")),
]
BUNDLE_ACTIONS = {
    "create": gettext_lazy("Application started"),
    "save": gettext_lazy("Form saved"),
    "give-material": gettext_lazy("Material given"),
    "submit": gettext_lazy("Application submitted"),
    "dispatch": gettext_lazy("Item sent to its department"),
    "item-failed": gettext_lazy("Item not granted"),
    "stop": gettext_lazy("Item stopped"),
    "deliver": gettext_lazy("Results handed out"),
    BundleCaseStatus.RUNNING: gettext_lazy("Items being handled"),
    BundleCaseStatus.READY: gettext_lazy("All results ready"),
    BundleCaseStatus.COMPLETED: gettext_lazy("Completed"),
    BundleCaseStatus.REFUSED: gettext_lazy("No item granted"),
}


def _published(code: str) -> Bundle | None:
    return Bundle.objects.select_related("region", "lead_department").filter(code=code, published=True).first()


def _at_window(actor: Actor, bundle: Bundle) -> bool:
    return actor.assignment is not None and bool(may(actor, "case.intake", apply.intake_place(bundle)))


def bundle_list(request: HttpRequest) -> HttpResponse:
    """The published bundles, each with its items in the order they run and what applying through it saves."""
    actor = actor_for(request)
    rows = []
    for bundle in Bundle.objects.filter(published=True).select_related("region", "lead_department"):
        plan = bundle_plan.of(bundle)
        names = {k: impl.item.name for k, impl in plan.implementations.items()}
        rows.append(
            {
                "bundle": bundle,
                "levels": [[names[k] for k in level] for level in plan.levels],
                "savings": plan.savings,
                "may_receive": _at_window(actor, bundle),
            }
        )
    return render(request, "bundles/list.html", {"rows": rows, "logged_in": actor.is_authenticated})


def _applicant(actor: Actor, number: str, errors: Errors) -> Person | None:
    if not number:
        return None
    try:
        number = ids.validate_id_number(IdType.RESIDENT_ID, number)
    except CodeError as exc:
        errors.add("id_number", str(exc.text))
        return None
    person = find_person(actor, number)
    if person is not None:
        log_lookup(actor, person)
    return person


def _material_inputs(plan: bundle_plan.BundlePlan, posted: Any, errors: Errors) -> list[dict[str, Any]]:
    return [
        {
            "index": i,
            "evidence": posted.get(f"evidence-{i}", "") if posted else "",
            "errors": errors.fields.get(f"material-{i}", []),
            "name": m.name,
            "required": m.necessity != "optional",
            "from_result_of": m.from_result_of,
            "source": plan.implementations[m.from_result_of].item.name if m.from_result_of else "",
            "serves": [plan.implementations[k].item.name for k in m.serves],
        }
        for i, m in enumerate(plan.materials, start=1)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def apply_page(request: HttpRequest, code: str) -> HttpResponse:
    """申请一件事: a window clerk for the applicant in front of them, or the applicant online."""
    actor = actor_for(request)
    bundle = _published(code)
    if bundle is None:
        return not_found(request, str(BUNDLE_NOT_FOUND))
    window = actor.assignment is not None
    if window and not _at_window(actor, bundle):
        return role_needed(request, actor, may(actor, "case.intake", apply.intake_place(bundle)).reason)
    plan = bundle_plan.of(bundle)
    errors = Errors()
    source = request.POST if request.method == "POST" else request.GET
    number = source.get("id_number", "").strip().upper()
    person = _applicant(actor, number, errors) if window else actor.person
    form = DraftForm(plan.form.schema, request.POST or None)
    status = 200
    if request.method == "POST":
        if window and person is None:
            errors.add("id_number", _("Find the applicant by their ID number first."))
        elif form.is_valid():
            try:
                bundle_case = _apply(request, actor, bundle, plan, person, form.form_data(), window)
            except DomainError as exc:
                status = _place_errors(exc, form, errors)
            else:
                messages.success(
                    request, _("The application was received; its first items are with their departments.")
                )
                return HttpResponseRedirect(reverse("bundles:application", args=[bundle_case.number]))
        else:
            errors.add(None, _("Some answers of the form need correcting."))
        status = status if status != 200 else 400
    context = {
        "bundle": bundle,
        "plan": plan,
        "window": window,
        "number": number,
        "person": person,
        "person_name": mask_name(person.name) if person else "",
        "person_number": mask_id_number(person.id_number) if person else "",
        "looked_up": window and bool(number) and "id_number" not in errors.fields,
        "form": form,
        "levels": [
            [
                {"name": plan.implementations[k].item.name, "department": plan.implementations[k].department.name}
                for k in level
            ]
            for level in plan.levels
        ],
        "materials": _material_inputs(plan, request.POST, errors),
        "evidence_choices": WINDOW_EVIDENCE,
        "delivery_choices": DeliveryChoice.choices,
        "errors": errors,
        "values": request.POST,
    }
    return render(request, "bundles/apply.html", context, status=status)


def _place_errors(exc: DomainError, form: DraftForm, errors: Errors) -> int:
    """A refusal's problems beside what they name: a form field, a material (by its place in the list), or the top."""
    failed = errors_from(exc)
    for name, texts in failed.fields.items():
        field = name.removeprefix("form_data.")
        if field in form.fields:
            for text in texts:
                form.add_error(field, text)
        else:
            errors.fields.setdefault(name, []).extend(texts)
    errors.general += failed.general
    if not errors:
        errors.add(None, _("Some answers of the form need correcting."))
    return failed.status


@transaction.atomic
def _apply(
    request: HttpRequest,
    actor: Actor,
    bundle: Bundle,
    plan: bundle_plan.BundlePlan,
    person: Person | None,
    form_data: dict[str, Any],
    window: bool,
) -> BundleCase:
    bundle_case = apply.start(
        actor,
        bundle,
        channel=Channel.WINDOW if window else Channel.ONLINE,
        person=person if window else None,
        identity_check=request.POST.get("identity_check", ""),
        form_data=form_data,
        delivery_choice=request.POST.get("delivery_choice", DeliveryChoice.TOGETHER),
    )
    rows = {m.order: m for m in bundle_case.materials.all()}
    try:
        _give(request, actor, bundle_case, rows)
        return apply.submit(actor, bundle_case)
    except DomainError as exc:
        # The page knows materials by their place in the list: the rows it names vanish with the rollback.
        places = {f"materials[{m.pk}]": f"material-{order}" for order, m in rows.items()}
        raise DomainError(
            [Problem(places.get(p.field or "", p.field), p.code, p.text) for p in exc.problems], status_code=exc.status
        ) from exc


def _give(request: HttpRequest, actor: Actor, bundle_case: BundleCase, rows: dict[int, Any]) -> None:
    for index, row in rows.items():
        upload = request.FILES.get(f"file-{index}")
        evidence = request.POST.get(f"evidence-{index}", "")
        if upload is not None:
            evidence = MaterialEvidence.UPLOAD
        if row.from_result_of or not evidence:
            continue  # not given now: submit names it if it is required
        apply.give_material(
            actor,
            bundle_case,
            material_id=row.pk,
            evidence=evidence,
            upload=upload,
            name=upload.name if upload is not None else "",
        )


def _visible(actor: Actor) -> Any:
    return visible(actor, "case.read", BundleCase.objects.select_related("bundle"))


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    """Applications the user may see; ``?ready=1`` is the unified output window's list (统一出件)."""
    actor = actor_for(request)
    qs = _visible(actor)
    ready = request.GET.get("ready") == "1"
    if ready:
        qs = qs.filter(status=BundleCaseStatus.READY)
    rows = list(qs.order_by("-created_at")[:100])
    return render(request, "bundles/applications.html", {"rows": rows, "ready": ready})


def _timeline_rows(bundle_case: BundleCase) -> list[dict[str, Any]]:
    rows = []
    for entry in timeline(bundle_case):
        if entry.status:  # an item case's event
            what = action_label(entry.action)
            status = str(Status(entry.status).label)
        else:
            what = str(BUNDLE_ACTIONS.get(entry.action, entry.action))
            status = ""
        rows.append({"entry": entry, "what": what, "status": status})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, number: str) -> HttpResponse:
    actor = actor_for(request)
    bundle_case = _visible(actor).filter(number=number).first()
    if bundle_case is None:
        return not_found(request, str(NOT_FOUND))
    errors: Errors | None = None
    if request.method == "POST":
        try:
            apply.deliver(
                actor,
                bundle_case,
                method=request.POST.get("method", ""),
                recipient_id_check=request.POST.get("recipient_id_check", ""),
                carrier=request.POST.get("carrier", ""),
                tracking_number=request.POST.get("tracking_number", ""),
                address=request.POST.get("address", ""),
                version=int_or_none(request.POST.get("version")),
            )
        except DomainError as exc:
            errors = errors_from(exc, {"method", "recipient_id_check", "carrier", "tracking_number", "address"})
        else:
            messages.success(request, _("Every result of the application was handed out."))
            return HttpResponseRedirect(request.path)
    plan = bundle_plan.of(bundle_case.bundle)
    states = apply.item_states(bundle_case, plan)
    by_key = {c.bundle_key: c for c in bundle_case.item_cases.select_related("department")}
    items = [
        {
            "key": key,
            "name": plan.implementations[key].item.name,
            "department": plan.implementations[key].department.name,
            "state": states[key],
            "state_label": str(apply.ITEM_STATES[states[key]]),
            "case": by_key.get(key),
            "waits_for": [plan.implementations[k].item.name for k in plan.depends_on(key)],
        }
        for key in plan.keys
    ]
    context = {
        "bc": bundle_case,
        "items": items,
        "materials": [
            {"m": m, "evidence": str(MaterialEvidence(m.evidence).label) if m.evidence else ""}
            for m in bundle_case.materials.all()
        ],
        "timeline": _timeline_rows(bundle_case),
        "may_deliver": bundle_case.status == BundleCaseStatus.READY
        and bool(may(actor, "case.deliver", apply.intake_place(bundle_case.bundle))),
        "delivery_methods": [(DeliveryMethod.WINDOW, _("at the window")), (DeliveryMethod.POST, _("by post"))],
        "errors": errors,
        "values": request.POST if errors else None,
    }
    return render(request, "bundles/application.html", context, status=errors.status if errors else 200)
