"""Credit-backed handling (信用可办) on a case: 告知承诺 and 容缺受理, with their consequences.

- ``commit``: the applicant signs, online in their draft or on paper at the window, either a commitment
  instead of proof (告知承诺: conditions and materials the guide lets a commitment replace) or a promise
  to supply missing non-key materials later (容缺受理: materials the guide marks as 容缺-allowed). Only
  subjects whose credit record allows it may (``tongban.credit.services.eligibility``).
- On acceptance (a hook of ``services._accept_now``): a 容缺 promise gets its supply deadline and the
  容缺受理告知书; a commitment gets its post-verification (事后核查) with a due date.
- ``supply``: a missing material comes in; the result is not issued until all have (the ``issue`` row's
  guard). ``lapse_overdue`` (the worker) terminates a case whose material is late, with a notice and a
  credit entry of a broken commitment.
- ``verify``: the department records the post-verification; a true commitment is a credit entry of
  good conduct; a false one leads, by the head's decision, to ``revoke`` (撤销), a credit entry and a
  notice (or, before the decision, to a denial, which records the entry too).

The machinery (locking, the lifecycle row, events, notices) is the case commands' own, from the package.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tongban.cases import files
from tongban.cases import services as core
from tongban.cases.choices import (
    CommitmentKind,
    CommitmentState,
    MaterialEvidence,
    MaterialState,
    NoticeKind,
    Outcome,
    SignedHow,
    Status,
    VerificationMethod,
    VerificationState,
    WarningLevel,
)
from tongban.cases.models import Case, CaseMaterial, Commitment, Verification
from tongban.cases.notices.render import cn_date
from tongban.catalog.choices import Necessity
from tongban.core.errors import Conflict, DomainError
from tongban.identity.actor import SYSTEM, Actor
from tongban.identity.denied import require
from tongban.workdays import clock

_fail = core._fail
_text = core._text

TOLERANCE_TEXT = (
    "申请人承诺：所列容缺材料在本机关告知的期限内补齐，补齐前不领取办理结果；"
    "逾期未补齐的，同意本机关终止办理，并将未履行承诺的情况记入信用记录。"
)
LAPSE_BASIS = "容缺受理的有关规定；申请人签署的容缺受理承诺书"


def _verification_days(case: Case) -> int:
    return case.guide_version.verification_days or clock.days_setting("TONGBAN_VERIFICATION_DAYS", 1)


def tolerance_days(case: Case) -> int:
    """Working days to supply a 容缺 material: the guide's own period, else the node's default."""
    return case.guide_version.tolerance_days or clock.days_setting("TONGBAN_TOLERANCE_DAYS", 1)


def _supply_by(case: Case, accepted_at: datetime) -> datetime | None:
    guide = case.guide_version
    promised = case.promised_deadline or clock.deadline(accepted_at, guide.promised_limit, guide.promised_unit)
    margin = clock.days_setting("TONGBAN_TOLERANCE_MARGIN_DAYS")
    return clock.supply_deadline(accepted_at, promised, tolerance_days(case), margin)


def _too_short(case: Case) -> DomainError:
    guide = case.guide_version
    margin = clock.days_setting("TONGBAN_TOLERANCE_MARGIN_DAYS")
    return _fail(
        "kind",
        "limit_too_short",
        f"该事项承诺时限（{guide.promised_limit}{guide.get_promised_unit_display()}）过短，"
        f"无法在届满前{margin}个工作日补齐材料，不能容缺受理",
        f"the promised limit ({guide.promised_limit} {guide.promised_unit}) leaves no time to supply a material "
        f"{margin} working days before it ends: 容缺 is not possible",
    )


def tolerance_refusal(case: Case, at: datetime | None = None) -> DomainError | None:
    """Why 容缺 cannot be granted on this case's limits if it were accepted at ``at`` (default now), or None."""
    if _supply_by(case, at or timezone.now()) is None:
        return _too_short(case)
    return None


def _eligible(case: Case, kind: str) -> None:
    from tongban.credit.services import eligibility_for_case

    result = eligibility_for_case(case, kind)
    if not result.allowed:
        reason = result.reason
        raise _fail("kind", "not_eligible", reason.zh, reason.en)


def _ids(values: Any, field: str) -> list[int]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",") if v.strip()]
    if not isinstance(values, list | tuple):
        raise _fail(field, "not_a_list", "应为编号列表", "must be a list of ids")
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise _fail(field, "not_integer", "编号应为整数", "ids must be whole numbers") from exc


def _chosen_materials(case: Case, kind: str, ids: list[int]) -> list[CaseMaterial]:
    chosen = []
    for i, pk in enumerate(ids):
        material = core._material(case, pk, f"materials[{i}]")
        requirement = material.requirement
        if kind == CommitmentKind.COMMITMENT and not (requirement and requirement.commitment_allowed):
            raise _fail(
                f"materials[{i}]",
                "not_replaceable",
                f"办事指南未允许以承诺代替“{material.name}”",
                f"the guide does not let a commitment replace '{material.name}'",
            )
        if kind == CommitmentKind.TOLERANCE and not (
            requirement and requirement.necessity == Necessity.TOLERATED and not requirement.main
        ):
            raise _fail(
                f"materials[{i}]",
                "not_tolerable",
                f"“{material.name}”不属于可容缺的材料（主要材料不能容缺）",
                f"'{material.name}' may not be accepted as missing (main materials never are)",
            )
        if material.state not in (MaterialState.MISSING, MaterialState.REJECTED):
            raise Conflict.single(
                f"materials[{i}]",
                "already_covered",
                f"“{material.name}”已提交或已有承诺",
                f"'{material.name}' is already given or covered by a commitment",
            )
        chosen.append(material)
    return chosen


def _conditions(case: Case, values: Any) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [values]
    offered = list(case.guide_version.commitment_conditions or [])
    chosen = []
    for i, value in enumerate(values):
        text = str(value).strip()
        if text not in offered:
            raise _fail(
                f"conditions[{i}]",
                "not_offered",
                f"办事指南未列出可承诺的条件“{text}”",
                f"the guide does not offer '{text}' as a condition to commit to",
            )
        chosen.append(text)
    return chosen


@transaction.atomic
def commit(
    actor: Actor,
    case: Case | int,
    *,
    kind: str,
    materials: Any = None,
    conditions: Any = None,
    signed_how: str,
    signer_name: str = "",
    upload: IO[bytes] | None = None,
    file_name: str = "",
    version: int | None = None,
) -> Commitment:
    """签署承诺: record the commitment (告知承诺) or the promise to supply (容缺) the applicant signed."""
    case = core._lock(case, version)
    row = core._row(actor, case, "commit")
    if kind not in CommitmentKind.values:
        raise _fail("kind", "unknown", "承诺类型应为 commitment 或 tolerance", "kind must be commitment or tolerance")
    if case.commitments.filter(kind=kind).exists():
        raise Conflict.single(
            "kind",
            "already_signed",
            "本办件已签署过此类承诺书",
            "the case already has a signed commitment of this kind",
        )
    guide = case.guide_version
    if kind == CommitmentKind.COMMITMENT and not guide.commitment_allowed:
        raise _fail("kind", "not_offered", "该事项未实行告知承诺制", "this item does not offer 告知承诺")
    chosen = _chosen_materials(case, kind, _ids(materials, "materials"))
    committed = _conditions(case, conditions) if kind == CommitmentKind.COMMITMENT else []
    if not chosen and not committed:
        raise _fail(
            "materials",
            "required",
            "请选择承诺代替的条件或材料" if kind == CommitmentKind.COMMITMENT else "请选择容缺的材料",
            "choose what the commitment replaces"
            if kind == CommitmentKind.COMMITMENT
            else "choose the missing materials",
        )
    _eligible(case, kind)  # the credit record first: a barred subject learns that, not a detail of the form
    now = timezone.now()
    refusal = tolerance_refusal(case, now) if kind == CommitmentKind.TOLERANCE else None
    if refusal is not None:
        raise refusal
    if signed_how not in SignedHow.values:
        raise _fail("signed_how", "unknown", "签署方式应为 online 或 paper", "signed_how must be online or paper")
    if signed_how == SignedHow.ONLINE and case.status != Status.DRAFT:
        raise _fail(
            "signed_how",
            "paper_at_window",
            "窗口受理时须上传申请人签字的承诺书扫描件",
            "at the window, upload the scan of the commitment the applicant signed on paper",
        )
    checked = None
    if signed_how == SignedHow.PAPER:
        if upload is None:
            raise _fail("file", "required", "请上传签字的承诺书扫描件", "upload the signed commitment")
        checked = files.check(upload, file_name or getattr(upload, "name", "") or "")
    if signed_how == SignedHow.ONLINE:
        signer = actor.person.name if actor.person else case.applicant_name
    else:
        signer = _text("signer_name", signer_name, "签署人", "the signer", required=False, limit=200)
        signer = signer or (case.agent.name if case.agent_id else case.applicant_name)
    commitment = Commitment(
        case=case,
        kind=kind,
        conditions=committed,
        text=guide.commitment_text if kind == CommitmentKind.COMMITMENT else TOLERANCE_TEXT,
        signed_how=signed_how,
        signer_name=signer,
        signed_at=now,
        recorded_by=actor.user if actor.user_id else None,
    )
    if checked is not None and upload is not None:
        commitment.sm3 = checked.sm3
        commitment.file.save(files.stored_name(checked), upload, save=False)
    commitment.save()
    state = MaterialState.COMMITTED if kind == CommitmentKind.COMMITMENT else MaterialState.TOLERATED
    CaseMaterial.objects.filter(pk__in=[m.pk for m in chosen]).update(state=state, commitment=commitment)
    payload = {
        "kind": kind,
        "commitment": commitment.pk,
        "materials": [m.name for m in chosen],
        "conditions": committed,
        "signed_how": signed_how,
        "signer": signer,
        "sm3": commitment.sm3,
    }
    core._finish(actor, case, row, payload, at=now)
    if kind == CommitmentKind.COMMITMENT:
        core._notice(
            case,
            NoticeKind.COMMITMENT,
            {
                "conditions": committed,
                "materials": [{"name": m.name} for m in chosen],
                "liability": guide.commitment_text,
                "signer_name": signer,
                "signed_on": timezone.localdate(now).isoformat(),
            },
        )
    return commitment


def on_acceptance(case: Case) -> None:
    """受理 starts the commitments' clocks: the 容缺 supply deadline and the 事后核查 due date."""
    for commitment in case.commitments.filter(state=CommitmentState.OPEN):
        if commitment.kind == CommitmentKind.TOLERANCE:
            owed = list(case.materials.filter(commitment=commitment, state=MaterialState.TOLERATED))
            if not owed:  # everything promised came in before acceptance: the promise is kept already
                commitment.state = CommitmentState.KEPT
                commitment.save(update_fields=["state"])
                continue
            due = _supply_by(case, case.accepted_at)
            if due is None:
                raise _too_short(case)
            commitment.supply_by = due
            commitment.save(update_fields=["supply_by"])
            case.materials.filter(pk__in=[m.pk for m in owed]).update(supply_by=due)
            core._notice(
                case,
                NoticeKind.TOLERANCE,
                {
                    "items": [
                        {
                            "name": m.name,
                            "problem": "申请时未提交，已容缺受理",
                            "requirement": (m.requirement.filling_notes if m.requirement else "") or "提交原件",
                        }
                        for m in owed
                    ],
                    "deadline": timezone.localdate(due).isoformat(),
                    "accepted_on": timezone.localdate(case.accepted_at).isoformat(),
                    "consequence": "逾期未补齐容缺材料的，本机关将终止办理，并将未履行承诺的情况记入信用记录。"
                    "容缺材料补齐前，不发放办理结果。",
                    "note": "补齐材料可在网上上传，也可送至受理窗口。",
                },
            )
        else:
            due = clock.days_after(case.accepted_at, _verification_days(case))
            Verification.objects.create(case=case, commitment=commitment, due_at=due)


def after_decision(case: Case) -> None:
    """A denial that rests on a commitment found false records the false commitment too."""
    if case.outcome == Outcome.DENY and case.verifications.filter(state=VerificationState.FALSE).exists():
        _false_commitment_entry(case, case.number)


def _false_commitment_entry(case: Case, decision: str) -> None:
    from tongban.credit.choices import EntryKind
    from tongban.credit.services import record_from_case

    finding = case.verifications.filter(state=VerificationState.FALSE).values_list("finding", flat=True).first()
    record_from_case(case, EntryKind.FALSE_COMMITMENT, decision=decision, note=finding or "")


core.ON_ACCEPTANCE.append(on_acceptance)
core.AFTER_DECISION.append(after_decision)


@transaction.atomic
def supply(
    actor: Actor,
    case: Case | int,
    *,
    material_id: int,
    evidence: str = "",
    note: str = "",
    upload: IO[bytes] | None = None,
    file_name: str = "",
    version: int | None = None,
) -> CaseMaterial:
    """补齐容缺材料: upload the file (applicant or clerk), or a clerk records the original seen or a scan."""
    case = core._lock(case, version)
    row = core._row(actor, case, "supply")
    material = core._material(case, material_id)
    if material.state != MaterialState.TOLERATED:
        raise Conflict.single(
            "material",
            "not_owed",
            f"“{material.name}”不是待补齐的容缺材料（可能已补齐）",
            f"'{material.name}' is not a material still to be supplied (it may have been supplied already)",
        )
    now = timezone.now()
    detail: dict[str, Any] = {"material": material.name}
    if upload is not None:
        checked = files.check(upload, file_name or getattr(upload, "name", "") or "")
        stored = core._store_file(actor, material, checked, upload)
        material.evidence = MaterialEvidence.UPLOAD
        detail.update(version=stored.version, sm3=checked.sm3, size=checked.size)
    else:
        if evidence not in (MaterialEvidence.ORIGINAL_SEEN, MaterialEvidence.COPY_SCANNED):
            raise _fail(
                "evidence",
                "required",
                "请上传文件，或由窗口登记原件核验（original_seen）或复印件扫描（copy_scanned）",
                "upload the file, or (at the window) record original_seen or copy_scanned",
            )
        require(actor, "case.intake", case)
        material.evidence = evidence
    material.note = _text("note", note, "备注", "the note", required=False, limit=500)
    late = material.supply_by is not None and now > material.supply_by
    material.state = MaterialState.PROVIDED
    material.supplied_at = now
    material.save(update_fields=["state", "evidence", "note", "supplied_at"])
    commitment = material.commitment
    if commitment and not commitment.materials.filter(state=MaterialState.TOLERATED).exists():
        commitment.state = CommitmentState.KEPT
        commitment.save(update_fields=["state"])
    detail.update(evidence=material.evidence, late=late)
    core._finish(actor, case, row, detail, at=now)
    return material


def lapse_overdue(now: datetime | None = None) -> int:
    """Terminate every accepted case whose 容缺 material is past its supply deadline (the worker's rule)."""
    now = now or timezone.now()
    pks = (
        CaseMaterial.objects.filter(
            state=MaterialState.TOLERATED,
            supply_by__lt=now,
            case__status__in=(Status.IN_REVIEW, Status.SUSPENDED, Status.APPROVED),
        )
        .values_list("case_id", flat=True)
        .distinct()
    )
    done = 0
    for pk in list(pks):
        try:
            if _lapse(pk, now) is not None:
                done += 1
        except DomainError as problem:
            core.log.warning("case %s: %s", pk, problem)
    return done


@transaction.atomic
def _lapse(pk: int, now: datetime) -> Case | None:
    from tongban.credit.choices import EntryKind
    from tongban.credit.services import record_from_case

    case = core._lock(pk, None)
    late = list(case.materials.filter(state=MaterialState.TOLERATED, supply_by__lt=now))
    if not late or case.status not in (Status.IN_REVIEW, Status.SUSPENDED, Status.APPROVED):
        return None  # supplied or closed meanwhile
    row = core._row(SYSTEM, case, "lapse")
    names = "、".join(m.name for m in late)
    deadline = timezone.localdate(late[0].supply_by)
    case.reasons = f"容缺材料（{names}）未在承诺期限（{cn_date(deadline.isoformat())}）内补齐"
    case.basis = LAPSE_BASIS
    case.closed_at = now
    case.warning = WarningLevel.NONE
    core._close_open_suspension(case)
    for commitment in {m.commitment for m in late if m.commitment}:
        commitment.state = CommitmentState.BROKEN
        commitment.save(update_fields=["state"])
    core._finish(SYSTEM, case, row, {"materials": [m.name for m in late], "deadline": deadline.isoformat()}, at=now)
    notice = core._notice(
        case,
        NoticeKind.LAPSE,
        {
            "items": [
                {"name": m.name, "problem": "未在承诺期限内补齐", "requirement": "重新申请时一并提交"} for m in late
            ],
            "deadline": deadline.isoformat(),
            "accepted_on": timezone.localdate(case.accepted_at).isoformat() if case.accepted_at else None,
            "reasons": case.reasons,
            "basis": case.basis,
        },
    )
    record_from_case(case, EntryKind.BROKEN_COMMITMENT, decision=notice.number, note=case.reasons)
    return case


@transaction.atomic
def verify(
    actor: Actor,
    case: Case | int,
    *,
    method: str,
    outcome: str,
    finding: str,
    version: int | None = None,
) -> Verification:
    """事后核查: record how the commitment was checked and whether it was true."""
    from tongban.credit.choices import EntryKind
    from tongban.credit.services import record_from_case

    case = core._lock(case, version)
    row = core._row(actor, case, "verify")
    if method not in VerificationMethod.values:
        raise _fail(
            "method",
            "unknown",
            f"核查方式应为：{'、'.join(VerificationMethod.values)}",
            f"method must be one of: {', '.join(VerificationMethod.values)}",
        )
    if outcome not in (VerificationState.TRUE, VerificationState.FALSE):
        raise _fail("outcome", "unknown", "核查结论应为 true（属实）或 false（不实）", "outcome is true or false")
    text = _text("finding", finding, "核查情况", "the finding")
    verification = case.verifications.select_related("commitment").get(state=VerificationState.OPEN)
    now = timezone.now()
    verification.method = method
    verification.state = outcome
    verification.finding = text
    verification.checked_by = actor.user if actor.user_id else None
    verification.checked_at = now
    verification.save()
    commitment = verification.commitment
    commitment.state = CommitmentState.KEPT if outcome == VerificationState.TRUE else CommitmentState.FALSE
    commitment.save(update_fields=["state"])
    overdue = now > verification.due_at
    core._finish(actor, case, row, {"method": method, "outcome": outcome, "finding": text, "overdue": overdue}, at=now)
    if outcome == VerificationState.TRUE:
        record_from_case(case, EntryKind.GOOD_CONDUCT, decision=case.number, note=text)
    return verification


@transaction.atomic
def revoke(actor: Actor, case: Case | int, *, reasons: str, basis: str, version: int | None = None) -> Case:
    """撤销: the head revokes an approval granted on a commitment found false; credit entry and notice."""
    case = core._lock(case, version)
    row = core._row(actor, case, "revoke")
    reasons = _text("reasons", reasons, "撤销的理由", "the reasons")
    basis = _text("basis", basis, "法律依据", "the legal basis")
    now = timezone.now()
    verification = case.verifications.filter(state=VerificationState.FALSE).select_related("commitment").first()
    case.reasons = reasons
    case.basis = basis
    case.revoked_at = now
    case.closed_at = case.closed_at or now
    case.warning = WarningLevel.NONE
    core._finish(actor, case, row, {"reasons": reasons, "basis": basis, "result_number": case.result_number}, at=now)
    notice = core._notice(
        case,
        NoticeKind.REVOCATION,
        {
            "accepted_on": timezone.localdate(case.accepted_at).isoformat() if case.accepted_at else None,
            "decided_on": timezone.localdate(case.decided_at or now).isoformat(),
            "result_name": case.guide_version.result_name,
            "result_number": case.result_number,
            "conditions": list(verification.commitment.conditions) if verification else [],
            "finding": verification.finding if verification else "",
            "reasons": reasons,
            "basis": basis,
        },
    )
    _false_commitment_entry(case, notice.number)
    for hook in core.ON_REVOCATION:
        hook(actor, case, reasons)
    return case


def overdue_verifications(verifications: QuerySet[Verification], now: datetime | None = None) -> QuerySet[Verification]:
    """The open post-verifications past their due date, for the supervisor's list."""
    return verifications.filter(state=VerificationState.OPEN, due_at__lt=now or timezone.now())


__all__ = [
    "commit",
    "lapse_overdue",
    "on_acceptance",
    "overdue_verifications",
    "revoke",
    "supply",
    "tolerance_days",
    "tolerance_refusal",
    "verify",
]
