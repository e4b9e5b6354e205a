"""免提交 on the case page: with the holder's consent, find their e-licences (电子证照) for a material, show
this node's own verification of each, and let a valid one satisfy the material instead of a paper copy.

Three addresses under /cases/<number>/materials/<id>/license/: the consent form (POST looks up, GET shows
the form alone, for the draft page, whose materials sit inside its own form), what was found, and using one.
The found documents stay on the server, in the session, under the case number and the licence's
identifier: the browser posts only the identifier, so what is used is exactly what this node verified when
it was found (and ``sharing.use_license`` verifies it again before anything is written). An entry is
dropped once used, or when the same material is looked up again.

Who may look up and use mirrors who may change the materials (``cases.services._may_change_materials``):
the applicant on their draft or correction, the window clerk on a pending case. The applicant consents by
their own click and only for themselves; at the window the clerk records how the holder consented and may
name another holder (a spouse's 结婚证 names the applicant too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tongban.cases.choices import MaterialEvidence, MaterialState, Status
from tongban.cases.models import Case, CaseMaterial
from tongban.cases.pages.common import (
    Errors,
    applicant_view,
    case_not_found,
    case_url,
    errors_from,
    find_case,
    int_or_none,
)
from tongban.catalog.models import LicenseType
from tongban.core.errors import DomainError
from tongban.core.messages import Text
from tongban.federation import node
from tongban.federation.trust import TrustError
from tongban.identity.actor import Actor, actor_for
from tongban.identity.masking import mask_id_number
from tongban.identity.policy import may
from tongban.licenses import sharing
from tongban.licenses.models import LicenseStatus
from tongban.licenses.pages import CHECK_LABELS, CheckRow

SESSION_KEY = "tongban.licenses.found"

# How the holder consented, as the clerk records it at the window: (the words kept with the look-up, label).
CONSENT_WAYS: dict[str, tuple[str, Any]] = {
    "window": ("本人到场签字同意", gettext_lazy("The holder came in person and signed (本人到场签字同意)")),
    "written": ("持证人出具书面授权书", gettext_lazy("The holder gave a signed written authorisation")),
}
# Online the applicant consents for themselves, by ticking the box: nothing to choose.
CONSENT_ONLINE = "申请人本人在线勾选同意"
CONSENT_WHAT = "同意为办理本事项查找并使用其电子证照"

# Who may change a case's materials in each state: the rule of ``cases.services._may_change_materials``.
_CHANGE_RULE = {Status.DRAFT: "case.apply", Status.PENDING: "case.intake", Status.CORRECTION: "case.correct"}


def _error(zh: str, en: str) -> str:
    return str(Text(zh, en))


# --- the offer on the case page ----------------------------------------------------------------------


@dataclass
class Offer:
    """The "use an e-licence" form of one material, as the case page shows it."""

    material: CaseMaterial
    type_names: list[str]
    online: bool  # the applicant's own page: they consent by their click, for themselves only
    holder_shown: str  # the default holder's code as the page may show it (an ID number masked)
    ways: list[tuple[str, Any]] = field(default_factory=list)


def accepted_types(material: CaseMaterial) -> list[str]:
    return [str(c) for c in (material.requirement.license_types or [])] if material.requirement_id else []


def _may_change(actor: Actor, case: Case) -> bool:
    action = _CHANGE_RULE.get(case.status)
    return action is not None and bool(may(actor, action, case))


def default_holder(case: Case) -> str:
    """The applicant's code: the organisation's USCC, or the person's ID number."""
    if case.applicant_organisation_id:
        return case.applicant_organisation.uscc
    return case.applicant_person.id_number if case.applicant_person_id else ""


def _shown(code: str) -> str:
    # An ID number is masked as every case page masks it; a USCC is public (企业信用信息公示).
    return mask_id_number(code) if len(code) == 18 and code[:17].isdigit() else code


def offers(actor: Actor, case: Case) -> dict[str, Offer]:
    """The materials the actor may satisfy with an e-licence now, by material id (as text, for templates):
    those whose requirement names licence types and that no licence satisfies yet, while the actor may
    change the materials and look licences up for this case."""
    if not _may_change(actor, case) or not may(actor, "license.lookup", case):
        return {}
    online = applicant_view(actor, case)
    holder = default_holder(case)
    if online and not holder:  # an applicant may only consent for themselves: no code, nothing to find
        return {}
    materials = [
        m
        for m in case.materials.select_related("requirement").order_by("order", "id")
        if accepted_types(m) and not (m.state == MaterialState.PROVIDED and m.evidence == MaterialEvidence.LICENSE)
    ]
    if not materials:
        return {}
    codes = {c for m in materials for c in accepted_types(m)}
    names = dict(LicenseType.objects.filter(code__in=codes).values_list("code", "name"))
    ways = [] if online else [(key, label) for key, (_words, label) in CONSENT_WAYS.items()]
    return {
        str(m.pk): Offer(m, [names.get(c, c) for c in accepted_types(m)], online, _shown(holder), ways)
        for m in materials
    }


# --- what was found, kept in the session ---------------------------------------------------------------


def _bucket(request: HttpRequest, case: Case) -> dict[str, Any]:
    """This user's look-ups for this case: ``searches`` by material id, ``licenses`` by identifier."""
    kept = request.session.get(SESSION_KEY, {}).get(case.number)
    # The user is kept with the entry so that nothing found for one account can serve another, even if a
    # session outlived its login.
    if not isinstance(kept, dict) or kept.get("user") != request.user.pk:
        return {"user": request.user.pk, "searches": {}, "licenses": {}}
    return kept


def _keep(request: HttpRequest, case: Case, bucket: dict[str, Any]) -> None:
    everything = dict(request.session.get(SESSION_KEY, {}))
    wanted = {i for s in bucket["searches"].values() for i in s.get("found", [])}
    bucket["licenses"] = {k: v for k, v in bucket["licenses"].items() if k in wanted}
    if bucket["searches"]:
        everything[case.number] = bucket
    else:
        everything.pop(case.number, None)
    request.session[SESSION_KEY] = everything


def _entry(found: sharing.Found, trust: Any) -> dict[str, Any]:
    lic = found.document.get("license") if isinstance(found.document.get("license"), dict) else {}
    issuer = lic.get("issuer") if isinstance(lic.get("issuer"), dict) else {}
    kind = lic.get("type") if isinstance(lic.get("type"), dict) else {}
    origin = trust.node(found.node) if trust is not None else None
    return {
        "node": found.node,
        "node_name": origin.name if origin is not None else found.node,
        "type": str(kind.get("name") or lic.get("name") or ""),
        "number": str(lic.get("number") or ""),
        "issuer": str(issuer.get("name") or ""),
        "valid_from": str(lic.get("valid_from") or ""),
        "valid_to": str(lic.get("valid_to") or ""),
        "status": found.status,
        "valid": found.report.valid,
        "checks": [{"name": c.name, "ok": c.ok, "zh": c.text.zh, "en": c.text.en} for c in found.report.checks],
        "document": found.document,
    }


@dataclass
class FoundRow:
    """One licence found, as the results page lists it."""

    key: str
    entry: dict[str, Any]
    checks: list[CheckRow]

    @property
    def valid(self) -> bool:
        return bool(self.entry.get("valid"))

    @property
    def status_label(self) -> str:
        status = str(self.entry.get("status", ""))
        return str(LicenseStatus(status).label) if status in LicenseStatus.values else status or "—"

    @property
    def failed(self) -> list[str]:
        return [c.message for c in self.checks if c.ok is False]


def _type_names(material: CaseMaterial) -> list[str]:
    codes = accepted_types(material)
    names = dict(LicenseType.objects.filter(code__in=codes).values_list("code", "name"))
    return [names.get(c, c) for c in codes]


def _rows(bucket: dict[str, Any], search: dict[str, Any]) -> list[FoundRow]:
    rows = []
    for key in search.get("found", []):
        entry = bucket["licenses"].get(key)
        if entry is None:  # used meanwhile for another material of the case
            continue
        checks = [
            CheckRow(c["name"], str(CHECK_LABELS.get(c["name"], c["name"])), c["ok"], str(Text(c["zh"], c["en"])))
            for c in entry.get("checks", [])
        ]
        rows.append(FoundRow(key, entry, checks))
    return rows


# --- the pages -------------------------------------------------------------------------------------------


def _material(case: Case, material_id: int) -> CaseMaterial | None:
    return case.materials.select_related("requirement").filter(pk=material_id).first()


def _here(case: Case, material: CaseMaterial, name: str) -> str:
    return reverse(f"licenses:sharing-{name}", args=[case.number, material.pk])


def _refusal(material: CaseMaterial) -> str:
    """Why a material's form is not offered to the actor now."""
    if not accepted_types(material):
        return _error("该材料不能以电子证照代替", "this material cannot be replaced by an e-licence")
    if material.evidence == MaterialEvidence.LICENSE and material.state == MaterialState.PROVIDED:
        return _error("该材料已由电子证照满足", "an e-licence already satisfies this material")
    return _error("您现在不能为该办件查找或使用电子证照", "you cannot look up or use e-licences for this case now")


def _form_page(
    request: HttpRequest,
    case: Case,
    material: CaseMaterial,
    offer: Offer | None,
    *,
    errors: Errors | None = None,
    values: Any = None,
    refused: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "case": case,
        "material": material,
        "offer": offer,
        "errors": errors,
        "values": values if values is not None else QueryDict(),
        "refused": refused,
    }
    return render(request, "licenses/sharing/find.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def find(request: HttpRequest, number: str, material_id: int) -> HttpResponse:
    """The consent form; POST: look the holder's licences up here and at the other nodes, keep what was
    found in the session and go to the list."""
    actor = actor_for(request)
    case = find_case(actor, number)
    material = _material(case, material_id) if case is not None else None
    if case is None or material is None:
        return case_not_found(request)
    offer = offers(actor, case).get(str(material.pk))
    if offer is None:
        status = 409 if request.method == "POST" else 200
        return _form_page(request, case, material, None, refused=_refusal(material), status=status)
    if request.method != "POST":
        return _form_page(request, case, material, offer)
    post = request.POST
    errors = Errors()
    # Nothing is looked up before the holder's consent is confirmed: the box, and at the window how.
    if post.get("consent") != "yes":
        errors.add(
            "consent",
            _error(
                "请勾选以确认持证人同意；未经同意不会查找其电子证照",
                "tick the box to confirm the holder's consent; nothing is looked up without it",
            ),
        )
    if offer.online:
        how, holder = CONSENT_ONLINE, default_holder(case)
    else:
        way = CONSENT_WAYS.get(post.get("consent_way", ""))
        if way is None:
            errors.add("consent_way", _error("请选择持证人同意的方式", "choose how the holder consented"))
        how = way[0] if way else ""
        holder = post.get("holder_code", "").strip() or default_holder(case)
    if errors:
        return _form_page(request, case, material, offer, errors=errors, values=post, status=400)
    consent = f"{how}：{CONSENT_WHAT}"
    try:
        result = sharing.lookup(
            actor,
            holder_code=holder,
            type_codes=accepted_types(material),
            purpose=f"办理{case.item_name}（{case.number}）",
            consent=consent,
            case=case,
        )
        found = result.found
        trust = node.trust_list()
    except DomainError as exc:
        failed = errors_from(exc, {"holder_code", "consent"})
        return _form_page(request, case, material, offer, errors=failed, values=post, status=failed.status)
    except TrustError as exc:  # without a trust list this node can vouch for no seal, so it looks nothing up
        failed = Errors(status=503)
        failed.add(None, str(exc.text))
        return _form_page(request, case, material, offer, errors=failed, values=post, status=503)
    bucket = _bucket(request, case)
    keys = []
    for index, item in enumerate(found):
        entry = _entry(item, trust)
        key = str((item.document.get("license") or {}).get("identifier") or f"unnamed-{index}")
        bucket["licenses"][key] = entry
        keys.append(key)
    bucket["searches"][str(material.pk)] = {
        "consent": consent,
        "holder": _shown(holder.strip().upper()),
        "at": timezone.now().isoformat(),
        "found": keys,
        "unanswered": [_node_name(trust, n) for n in result.unanswered],
    }
    _keep(request, case, bucket)
    return HttpResponseRedirect(_here(case, material, "found"))


@login_required
@require_safe
def found(request: HttpRequest, number: str, material_id: int) -> HttpResponse:
    """The licences the last look-up for this material found, each with this node's verification."""
    actor = actor_for(request)
    case = find_case(actor, number)
    material = _material(case, material_id) if case is not None else None
    if case is None or material is None:
        return case_not_found(request)
    bucket = _bucket(request, case)
    search = bucket["searches"].get(str(material.pk))
    if search is None:  # nothing looked up (or already used): start from the consent form
        return HttpResponseRedirect(_here(case, material, "find"))
    context = {
        "case": case,
        "material": material,
        "search": search,
        "looked_up_at": _time(search.get("at")),
        "rows": _rows(bucket, search),
        "type_names": _type_names(material),
        "may_use": str(material.pk) in offers(actor, case),
    }
    return render(request, "licenses/sharing/found.html", context)


def _node_name(trust: Any, node_id: str) -> str:
    entry = trust.node(node_id)
    return f"{entry.name}（{node_id}）" if entry is not None and entry.name else node_id


def _time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


@login_required
@require_POST
def use(request: HttpRequest, number: str, material_id: int) -> HttpResponse:
    """Use one of the licences found: ``sharing.use_license`` with the document kept in the session."""
    actor = actor_for(request)
    case = find_case(actor, number)
    material = _material(case, material_id) if case is not None else None
    if case is None or material is None:
        return case_not_found(request)
    key = request.POST.get("identifier", "")
    bucket = _bucket(request, case)
    search = bucket["searches"].get(str(material.pk)) or {}
    entry = bucket["licenses"].get(key) if key in search.get("found", []) else None
    try:
        if entry is None:
            raise DomainError.single(
                "license_document",
                "not_found_here",
                "未在您为该材料查找到的电子证照中找到该证照，请重新查找",
                "this licence is not among those you found for this material; look it up again",
            )
        sharing.use_license(
            actor,
            case,
            material_id=material.pk,
            license_document=entry["document"],
            consent=str(search.get("consent", "")),
            version=int_or_none(request.POST.get("version")),
        )
    except DomainError as exc:
        return _case_page_with(request, actor, case, material, exc)
    bucket["licenses"].pop(key, None)
    bucket["searches"].pop(str(material.pk), None)
    _keep(request, case, bucket)
    messages.success(
        request,
        _("The e-licence %(name)s %(number)s satisfies the material “%(material)s”.")
        % {"name": entry["type"], "number": entry["number"], "material": material.name},
    )
    return HttpResponseRedirect(f"{case_url(case)}#material-{material.pk}")


def _case_page_with(
    request: HttpRequest, actor: Actor, case: Case, material: CaseMaterial, exc: DomainError
) -> HttpResponse:
    """The case page again, nothing changed, the refusal beside the material (as an upload's would be)."""
    # Imported here: the case page's module imports this one for its forms.
    from tongban.cases.pages import detail

    errors = errors_from(exc, set())
    fresh = find_case(actor, case.number) or case
    placed = {} if errors.stale else {material.pk: list(errors.general)}
    context = detail.case_context(request, actor, fresh, errors=errors, material_errors=placed)
    return render(request, "cases/case.html", context, status=errors.status)
