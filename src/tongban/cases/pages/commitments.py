"""告知承诺, 容缺受理 and 事后核查 on the pages: the 承诺 forms, the commitments on a case, the department's
verification queue (/cases/verifications/) and the supervisor's figures.

The 承诺 section offers what ``services.commit`` would accept, and nothing else: the kinds the guide
offers and the case has not signed yet; for each, the guide's conditions and the materials still missing
whose requirement allows it; and only the kinds the applicant's credit record allows
(``credit.services.eligibility_for_case``): a barred kind shows the record's reason instead of its form.
In a draft the applicant confirms online with a tick; at the window the clerk uploads the scan of the
paper the applicant signed. The four actions post to the case page's ``act`` view like every other;
``run`` hands the form's inputs, files included, to the command, and ``errors_for`` places its refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tongban.cases import services
from tongban.cases.choices import (
    CommitmentKind,
    CommitmentState,
    MaterialEvidence,
    MaterialState,
    SignedHow,
    Status,
    VerificationMethod,
    VerificationState,
)
from tongban.cases.lifecycle import TRANSITIONS
from tongban.cases.models import Case, CaseMaterial, Commitment, Verification
from tongban.cases.pages.common import (
    Errors,
    Panel,
    action_label,
    case_not_found,
    find_case,
    int_or_none,
    role_needed,
    visible_cases,
)
from tongban.cases.services import commitments as rules
from tongban.catalog.choices import Necessity
from tongban.core.errors import DomainError
from tongban.identity.actor import Actor, actor_for
from tongban.identity.policy import may, visible
from tongban.workdays import clock

ACTIONS = frozenset({"commit", "supply", "verify", "revoke"})
# The inputs of each form (a refusal naming another field goes to the top of the form).
FIELDS: dict[str, set[str]] = {
    "commit": {"materials", "conditions", "signed_how", "file", "signer_name"},
    "supply": {"material", "evidence", "note", "file"},
    "verify": {"method", "outcome", "finding"},
    "revoke": {"reasons", "basis"},
}
PAGE_SIZE = 50
# Where each action may happen, from the lifecycle table: a queue lists only what can be acted on.
VERIFIABLE = frozenset(row.source for row in TRANSITIONS if row.action == "verify")
SUPPLIABLE = frozenset(row.source for row in TRANSITIONS if row.action == "supply")
_STILL_MISSING = (MaterialState.MISSING, MaterialState.REJECTED)


# --- the 承诺 section: what may be signed now ----------------------------------------------------------


@dataclass
class Offer:
    """One kind of commitment the case may sign now, with its form's last values and errors."""

    kind: str
    conditions: list[str]
    materials: list[CaseMaterial]
    text: str
    refused: str = ""  # why the credit record (or the time limit) does not allow it
    errors: Errors | None = None
    checked_materials: set[str] = field(default_factory=set)
    checked_conditions: set[str] = field(default_factory=set)
    signer_name: str = ""

    @property
    def label(self) -> str:
        return str(CommitmentKind(self.kind).label)

    @property
    def open(self) -> bool:
        return self.errors is not None

    @property
    def values(self) -> dict[str, str]:
        return {"signer_name": self.signer_name}


def _refusal(case: Case, kind: str) -> str:
    """Why ``commit`` would refuse this kind for this applicant now, or "" when it would not."""
    from tongban.credit.services import eligibility_for_case

    try:
        result = eligibility_for_case(case, kind)
    except ValueError:  # no applicant on record: the command cannot check the credit record either
        return _("The applicant's credit record cannot be checked.")
    if not result.allowed:
        return str(result.reason) if result.reason else _("The applicant's credit record does not allow it.")
    if kind == CommitmentKind.TOLERANCE:
        try:
            refusal = rules.tolerance_refusal(case)
            if refusal is not None:
                return str(refusal.problems[0].text)
        except DomainError as exc:  # e.g. next year's working-day calendar is not loaded yet
            return str(exc.problems[0].text)
    return ""


def offers(case: Case, allowed: list[str]) -> list[Offer]:
    """The kinds of commitment the case may sign now (an empty list when ``commit`` is not allowed)."""
    if "commit" not in allowed:
        return []
    guide = case.guide_version
    signed = set(case.commitments.values_list("kind", flat=True))
    missing = [
        m
        for m in case.materials.select_related("requirement").order_by("order", "id")
        if m.state in _STILL_MISSING and m.requirement is not None
    ]
    found = []
    if guide.commitment_allowed and CommitmentKind.COMMITMENT not in signed:
        conditions = [str(c) for c in guide.commitment_conditions or []]
        replaceable = [m for m in missing if m.requirement.commitment_allowed]
        if conditions or replaceable:
            found.append(Offer(CommitmentKind.COMMITMENT, conditions, replaceable, guide.commitment_text))
    if CommitmentKind.TOLERANCE not in signed:
        tolerable = [m for m in missing if m.requirement.necessity == Necessity.TOLERATED and not m.requirement.main]
        if tolerable:
            found.append(Offer(CommitmentKind.TOLERANCE, [], tolerable, rules.TOLERANCE_TEXT))
    for offer in found:
        offer.refused = _refusal(case, offer.kind)
    return found


def tolerance_rule(case: Case) -> str:
    """The supply rule of 容缺, in the words the applicant reads before signing."""
    days = rules.tolerance_days(case)
    margin = clock.days_setting("TONGBAN_TOLERANCE_MARGIN_DAYS")
    return _(
        "After acceptance, supply them within the time the notice of tolerated materials gives "
        "(%(days)s working days), at the latest %(margin)s working days before the promised deadline. "
        "The result is not issued before they are all in; if they are late, handling is terminated and "
        "the broken commitment is entered in the credit record."
    ) % {"days": days, "margin": margin}


# --- the commitments of a case -------------------------------------------------------------------------


@dataclass
class CommitmentView:
    commitment: Commitment
    materials: list[CaseMaterial]
    verification: Verification | None
    overdue: bool  # its verification is open past its due date

    @property
    def state_label(self) -> str:
        """The state in words; an open one says what it waits for (the choice's bare "open" does not)."""
        c = self.commitment
        if c.state != CommitmentState.OPEN:
            return str(c.get_state_display())
        if c.kind == CommitmentKind.TOLERANCE:
            return _("in force: materials to be supplied")
        return _("in force: to be verified")


def _commitments(case: Case, now: Any) -> list[CommitmentView]:
    views = []
    for c in case.commitments.select_related("recorded_by"):
        verification = Verification.objects.filter(commitment=c).select_related("checked_by").first()
        overdue = (
            verification is not None and verification.state == VerificationState.OPEN and verification.due_at < now
        )
        views.append(CommitmentView(c, list(c.materials.order_by("order", "id")), verification, overdue))
    return views


def context(
    actor: Actor,
    case: Case,
    allowed: list[str],
    *,
    failed: str | None = None,
    errors: Errors | None = None,
    values: Any = None,
) -> dict[str, Any]:
    """What case.html needs for the 承诺 section, the commitments and their verification, and supply."""
    now = timezone.now()
    found = offers(case, allowed)
    if failed == "commit" and values is not None:
        for offer in found:
            if offer.kind == values.get("kind"):
                offer.errors = errors or Errors()
                offer.checked_materials = set(values.getlist("materials"))
                offer.checked_conditions = set(values.getlist("conditions"))
                offer.signer_name = values.get("signer_name", "")
    panels = [
        Panel(name, action_label(name), errors if name == failed else None, values if name == failed else QueryDict())
        for name in ("verify", "revoke")
        if name in allowed
    ]
    owing = "supply" in allowed
    owed = list(case.materials.filter(state=MaterialState.TOLERATED).order_by("order", "id")) if owing else []
    return {
        "commit_offers": found,
        "commit_online": case.status == Status.DRAFT,
        "tolerance_rule": tolerance_rule(case) if any(o.kind == CommitmentKind.TOLERANCE for o in found) else "",
        "commitments": _commitments(case, now),
        "commitment_panels": panels,
        "elsewhere": [(name, action_label(name)) for name in ("verify", "revoke") if name in allowed],
        "owed": owed,
        "supply_allowed": owing,
        "supply_recordable": owing and bool(may(actor, "case.intake", case)),
        "supply_evidence_choices": [
            c
            for c in MaterialEvidence.choices
            if c[0] in (MaterialEvidence.ORIGINAL_SEEN, MaterialEvidence.COPY_SCANNED)
        ],
        "verification_methods": [("", _("Choose how it was verified")), *VerificationMethod.choices],
        "outcome_choices": [
            (VerificationState.TRUE, _("True: the commitment holds")),
            (VerificationState.FALSE, _("False: the commitment does not hold")),
        ],
        "now": now,
    }


# --- the actions -----------------------------------------------------------------------------------------


def run(actor: Actor, case: Case, action: str, post: QueryDict, files: MultiValueDict, version: int | None) -> None:
    """Call the command of ``action`` with what its form sent (files included)."""
    upload = files.get("file")
    if action == "commit":
        signed_how = post.get("signed_how", "")
        if case.status == Status.DRAFT and signed_how != SignedHow.ONLINE:
            raise DomainError.single(
                "signed_how",
                "required",
                "请阅读承诺内容并勾选“本人已阅读并承诺”",
                "read the commitment and tick “I have read this and commit to it”",
            )
        services.commit(
            actor,
            case,
            kind=post.get("kind", ""),
            materials=post.getlist("materials"),
            conditions=post.getlist("conditions"),
            signed_how=signed_how,
            signer_name=post.get("signer_name", ""),
            upload=upload,
            file_name=upload.name if upload else "",
            version=version,
        )
    elif action == "supply":
        services.supply(
            actor,
            case,
            material_id=int_or_none(post.get("material")) or 0,
            evidence="" if upload else post.get("evidence", ""),
            note=post.get("note", ""),
            upload=upload,
            file_name=upload.name if upload else "",
            version=version,
        )
    elif action == "verify":
        services.verify(
            actor,
            case,
            method=post.get("method", ""),
            outcome=post.get("outcome", ""),
            finding=post.get("finding", ""),
            version=version,
        )
    elif action == "revoke":
        services.revoke(actor, case, reasons=post.get("reasons", ""), basis=post.get("basis", ""), version=version)


def errors_for(case: Case, action: str, exc: DomainError, post: QueryDict) -> tuple[Errors, dict[int, list[str]]]:
    """A refusal laid out by these forms' fields: ``materials[2]`` beside the materials of the 承诺 form,
    a supply problem on the card of the material it was for (when the case has it)."""
    errors = Errors(status=exc.status)
    known = set(FIELDS[action])
    if action == "commit" and post.get("signed_how") == SignedHow.PAPER:
        known.discard("signed_how")  # a hidden input at the window: its problem goes to the top
    card: dict[int, list[str]] = {}
    material = int_or_none(post.get("material"))
    on_card = action == "supply" and material is not None and case.materials.filter(pk=material).exists()
    for problem in exc.problems:
        name = (problem.field or "").split("[", 1)[0]
        text = str(problem.text)
        if problem.code == "stale_version":
            errors.stale = True
            errors.add(None, text)
        elif on_card and material is not None:
            card.setdefault(material, []).append(text)
            errors.general.append(text)  # in the summary at the top too
        elif name in known:
            errors.add(name, text)
        else:
            errors.add(None, text)
    return errors, card


def anchor(action: str, post: QueryDict) -> str:
    """Where the page opens after the action: the material supplied, or the commitments."""
    if action == "supply" and int_or_none(post.get("material")):
        return f"#material-{int_or_none(post.get('material'))}"
    return "#commitments"


# --- the signed copy ---------------------------------------------------------------------------------------


@login_required
@require_safe
def signed_copy(request: HttpRequest, number: str, commitment_id: int) -> HttpResponse:
    """The scan of a paper-signed commitment, for whoever may read the case."""
    case = find_case(actor_for(request), number)
    commitment = case.commitments.filter(pk=commitment_id).first() if case else None
    if commitment is None or not commitment.file:
        return case_not_found(request)
    name = f"{case.number}-{commitment.kind}{_suffix(commitment.file.name)}"
    return FileResponse(commitment.file.open("rb"), as_attachment=True, filename=name)


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > name.rfind("/") else ""


# --- the department's queue and the supervisor's figures ---------------------------------------------------


def _open_verifications(qs: QuerySet) -> QuerySet:
    return qs.filter(state=VerificationState.OPEN, case__status__in=VERIFIABLE)


@login_required
@require_safe
def verification_queue(request: HttpRequest) -> HttpResponse:
    """事后核查: open verifications of the cases the actor may verify, the soonest due first."""
    actor = actor_for(request)
    decision = may(actor, "case.verify")
    if not decision:
        return role_needed(request, actor, decision.reason)
    now = timezone.now()
    qs = visible(actor, "case.verify", _open_verifications(Verification.objects.all()))
    overdue_only = request.GET.get("overdue") == "1"
    overdue_count = rules.overdue_verifications(qs, now).count()
    if overdue_only:
        qs = rules.overdue_verifications(qs, now)
    qs = qs.select_related("case", "case__department", "commitment").order_by("due_at", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(v, v.due_at < now) for v in page],
        "overdue_only": overdue_only,
        "overdue_count": overdue_count,
    }
    return render(request, "cases/verifications.html", context)


def supervision_summary(actor: Actor) -> dict[str, Any]:
    """The supervisor's figures of credit-backed handling in their scope, and the late verifications."""
    now = timezone.now()
    verifications = visible(actor, "case.read", _open_verifications(Verification.objects.all()))
    late = rules.overdue_verifications(verifications, now)
    owing = visible_cases(actor, Case.objects.filter(status__in=SUPPLIABLE, materials__state=MaterialState.TOLERATED))
    overdue_supplies = CaseMaterial.objects.filter(
        state=MaterialState.TOLERATED,
        supply_by__lt=now,
        case__in=visible_cases(actor, Case.objects.filter(status__in=SUPPLIABLE)),
    )
    return {
        "credit_figures": {
            "open_verifications": verifications.count(),
            "overdue_verifications": late.count(),
            "owing_cases": owing.distinct().count(),
            "overdue_supplies": overdue_supplies.count(),
        },
        "late_verifications": list(
            late.select_related("case", "case__department", "case__region").order_by("due_at", "id")[:PAGE_SIZE]
        ),
    }
