"""Applying for a bundle (一件事办件): one form, each material once, the items dispatched as the graph allows.

- ``start``: a draft bundle application, at a window (a clerk who may receive for the bundle's region,
  with the identity check) or online (the applicant); its material list is the bundle's merged list.
- ``save_form``, ``give_material``: the merged form; each asked material once (seen at the window, a
  scanned copy, or an uploaded file). Materials an earlier item's result provides are not asked.
- ``submit``: the form is checked against the merged schema and every required material must be in;
  the bundle's promised deadline starts; the items waiting for nothing are received at once.
- The item cases then follow their own lifecycle in their departments. ``item_moved`` (a hook on every
  case transition) receives an item when everything it waits for has issued its result (the result
  licence becomes its material, 免提交), stops the items that waited for a refused one (and, when the
  bundle says so, ends the others), and settles the application's status.
- ``deliver``: the unified output window (统一出件) hands out every result of the package at once, by an
  ID check at the window or by post.

Every command runs in one transaction; bad input raises DomainError naming the field, with nothing written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

import jsonschema
from django.db import transaction
from django.utils import timezone, translation

from tongban.bundles import plan as bundle_plan
from tongban.bundles.models import (
    Bundle,
    BundleCase,
    BundleCaseEvent,
    BundleCaseStatus,
    BundleMaterial,
    DeliveryChoice,
    OnRefusal,
)
from tongban.cases import files, numbering
from tongban.cases import services as cases
from tongban.cases.choices import Channel, MaterialEvidence, Outcome, Status
from tongban.cases.models import Case
from tongban.core.errors import Conflict, DomainError, NotFound, Problem
from tongban.core.messages import Text
from tongban.identity.actor import SYSTEM, Actor
from tongban.identity.denied import require
from tongban.identity.models import Authorisation, Organisation, Person
from tongban.identity.policy import is_own
from tongban.workdays import clock

B = BundleCaseStatus

# How an item of a bundle application stands (read from its case, or from what it waits for).
WAITING, STOPPED, RUNNING, READY, DONE, FAILED = "waiting", "stopped", "running", "ready", "done", "failed"
ITEM_STATES: dict[str, Text] = {
    WAITING: Text("等待前序事项结果", "waiting for an earlier item's result"),
    STOPPED: Text("已停止（前序事项未获办理）", "stopped (an item it depends on was not granted)"),
    RUNNING: Text("办理中", "being handled"),
    READY: Text("结果待领取", "result ready"),
    DONE: Text("已办结", "completed"),
    FAILED: Text("未获办理", "not granted"),
}
_FAILED = frozenset({Status.REFUSED, Status.DENIED, Status.WITHDRAWN, Status.TERMINATED, Status.REVOKED})
# Items not yet decided: those a stopping bundle ends; a granted item keeps its result.
_UNDECIDED = (Status.PENDING, Status.CORRECTION, Status.IN_REVIEW, Status.SUSPENDED)
# What the output window hands out: a result, or a decision to deny (不予决定书).
DELIVERABLE = (Status.ISSUED, Status.DENIED)


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError([Problem(field, code, Text(zh, en))])


def _record(
    bundle_case: BundleCase, actor: Actor, action: str, item: str = "", at: datetime | None = None, **payload: Any
) -> None:
    BundleCaseEvent.objects.create(
        bundle_case=bundle_case,
        at=at or timezone.now(),
        action=action,
        actor="system" if actor.system else (actor.user.get_username() if actor.user_id else "anonymous"),
        item=item,
        payload=payload,
    )


def _lock(bundle_case: BundleCase | int, version: int | None = None) -> BundleCase:
    pk = bundle_case.pk if isinstance(bundle_case, BundleCase) else bundle_case
    try:
        found = BundleCase.objects.select_for_update().select_related("bundle").get(pk=pk)
    except (BundleCase.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound.single("bundle_case", "unknown", "没有该一件事申请", "no such bundle application") from exc
    if version is not None and version != found.version:
        raise Conflict.single(
            "version",
            "stale",
            "该申请已被他人更改，请刷新后再试",
            "the application changed meanwhile; reload and try again",
        )
    return found


def _touch(bundle_case: BundleCase, *fields: str) -> None:
    bundle_case.version += 1
    bundle_case.save(update_fields=["version", *fields])


def item_state(case: Case | None) -> str:
    if case is None:
        return WAITING
    if case.status in _FAILED or (case.status == Status.COMPLETED and case.outcome == Outcome.DENY):
        return FAILED
    if case.status == Status.ISSUED:
        return READY
    if case.status == Status.COMPLETED:
        return DONE
    return RUNNING


def item_states(bundle_case: BundleCase, plan: bundle_plan.BundlePlan | None = None) -> dict[str, str]:
    """Each item's state, in the plan's order: an item without a case waits, or is stopped when something
    it waits for failed (or any item failed and the bundle stops on a refusal)."""
    plan = plan or bundle_plan.of(bundle_case.bundle)
    by_key = {c.bundle_key: c for c in bundle_case.item_cases.all()}
    states = {key: item_state(by_key.get(key)) for key in plan.keys}
    stop_all = bundle_case.bundle.on_refusal == OnRefusal.STOP and FAILED in states.values()
    for level in plan.levels:  # upstream items are settled before the items that wait for them
        for key in level:
            if key in by_key:
                continue
            if stop_all or any(states[up] in (FAILED, STOPPED) for up in plan.depends_on(key)):
                states[key] = STOPPED
    return states


# --- the draft -------------------------------------------------------------------------------------


def _bundle(bundle: Bundle | int | str) -> Bundle:
    if isinstance(bundle, Bundle):
        lookup: dict[str, Any] = {"pk": bundle.pk}
    else:
        lookup = {"code": bundle} if isinstance(bundle, str) else {"pk": bundle}
    found = Bundle.objects.select_related("region", "lead_department").filter(**lookup).first()
    if found is None or not found.published:
        raise _fail("bundle", "unknown", "没有该已发布的一件事", "no such published bundle")
    return found


def intake_place(bundle: Bundle) -> Case:
    """Where a bundle application is received: the bundle's region and lead department (a comprehensive
    window's clerk, who serves every department of the region, passes)."""
    return Case(region_id=bundle.region_id, department_id=bundle.lead_department_id)


@transaction.atomic
def start(
    actor: Actor,
    bundle: Bundle | int | str,
    *,
    channel: str = Channel.WINDOW,
    person: Person | None = None,
    organisation: Organisation | None = None,
    agent: Person | None = None,
    authorisation: Authorisation | None = None,
    identity_check: str = "",
    form_data: dict[str, Any] | None = None,
    delivery_choice: str = DeliveryChoice.TOGETHER,
) -> BundleCase:
    """A draft application for a bundle: at a window for the applicant standing there, or online."""
    bundle = _bundle(bundle)
    if channel == Channel.WINDOW:
        require(actor, "case.intake", intake_place(bundle))
        agent = cases.check_parties(actor, person, organisation, agent, authorisation)
        check = (identity_check or "").strip()[:200]
        if not check:
            raise _fail("identity_check", "required", "请填写身份核验方式", "say how the identity was checked")
    elif channel == Channel.ONLINE:
        require(actor, "case.apply")
        person = actor.person
        if person is None:
            raise _fail("applicant", "no_person", "请先完成实名登记后再申请", "register your identity before applying")
        if organisation is not None and not is_own(actor, organisation):
            raise _fail(
                "organisation",
                "not_represented",
                "您不是该单位的法定代表人或被授权人",
                "you neither represent this organisation nor hold its authorisation",
            )
        person, agent = (None, person) if organisation else (person, None)
        authorisation, check = None, ""
    else:
        raise _fail("channel", "unknown", "申请渠道应为 window 或 online", "channel must be window or online")
    if delivery_choice not in DeliveryChoice.values:
        raise _fail(
            "delivery_choice",
            "unknown",
            "结果领取方式应为 together 或 separately",
            "delivery_choice must be together or separately",
        )
    if form_data is not None and not isinstance(form_data, dict):
        raise _fail("form_data", "not_object", "表单内容应为对象（键值对）", "the form must be an object")
    today = timezone.localdate()
    receiving = actor.assignment.region_id if actor.assignment else bundle.region_id
    serial = numbering.next_value(f"bundle:{receiving}:{today:%Y%m%d}")
    bundle_case = BundleCase.objects.create(
        number=f"{receiving}-YJS-{today:%Y%m%d}-{serial:05d}",
        bundle=bundle,
        channel=channel,
        receiving_region_id=receiving,
        applicant_person=person,
        applicant_organisation=organisation,
        applicant_name=organisation.name if organisation else person.name if person else "",
        agent=agent,
        authorisation=authorisation,
        identity_check=check,
        received_by=actor.assignment if channel == Channel.WINDOW else None,
        created_by=actor.user if actor.user_id else None,
        form_data=form_data or {},
        delivery_choice=delivery_choice,
    )
    plan = bundle_plan.of(bundle)
    BundleMaterial.objects.bulk_create(
        BundleMaterial(
            bundle_case=bundle_case,
            order=i,
            name=m.name,
            names=m.names,
            license_types=m.license_types,
            required=m.necessity != "optional",
            serves=[list(use) for use in m.uses],
            from_result_of=m.from_result_of or "",
        )
        for i, m in enumerate(plan.materials, start=1)
    )
    _record(bundle_case, actor, "create", channel=channel)
    return bundle_case


def _may_edit(actor: Actor, bundle_case: BundleCase) -> None:
    if bundle_case.status != B.DRAFT:
        raise Conflict.single(
            "status", "wrong_state", "申请已提交，不能再修改", "the application is submitted: it cannot change"
        )
    if bundle_case.channel == Channel.WINDOW:
        require(actor, "case.intake", intake_place(bundle_case.bundle))
    else:
        require(actor, "case.apply", bundle_case)


@transaction.atomic
def save_form(
    actor: Actor, bundle_case: BundleCase | int, *, form_data: dict[str, Any], version: int | None = None
) -> BundleCase:
    """Save the merged form of a draft (checked in full on submission)."""
    bundle_case = _lock(bundle_case, version)
    _may_edit(actor, bundle_case)
    if not isinstance(form_data, dict):
        raise _fail("form_data", "not_object", "表单内容应为对象（键值对）", "the form must be an object")
    bundle_case.form_data = form_data
    _touch(bundle_case, "form_data")
    _record(bundle_case, actor, "save", fields=sorted(form_data))
    return bundle_case


_WINDOW_EVIDENCE = (MaterialEvidence.ORIGINAL_SEEN, MaterialEvidence.COPY_SCANNED, MaterialEvidence.UPLOAD)


@transaction.atomic
def give_material(
    actor: Actor,
    bundle_case: BundleCase | int,
    *,
    material_id: int,
    evidence: str,
    upload: IO[bytes] | None = None,
    name: str = "",
    note: str = "",
    version: int | None = None,
) -> BundleMaterial:
    """A material of the bundle, given once for every item that needs it."""
    bundle_case = _lock(bundle_case, version)
    _may_edit(actor, bundle_case)
    material = bundle_case.materials.filter(pk=material_id).first() if str(material_id).isdigit() else None
    if material is None:
        raise _fail(
            "material", "unknown", "该材料不在本申请的材料清单中", "this material is not on the application's list"
        )
    if material.from_result_of:
        raise _fail(
            "material",
            "from_result",
            f"“{material.name}”由前序事项“{material.from_result_of}”的结果提供，无需提交",
            f"'{material.name}' comes from the result of item '{material.from_result_of}': it is not given",
        )
    allowed = _WINDOW_EVIDENCE if bundle_case.channel == Channel.WINDOW else (MaterialEvidence.UPLOAD,)
    if evidence not in allowed:
        raise _fail(
            "evidence",
            "unknown",
            f"材料提交方式应为：{'、'.join(allowed)}",
            f"evidence must be one of: {', '.join(allowed)}",
        )
    if evidence == MaterialEvidence.UPLOAD:
        if upload is None:
            raise _fail("file", "required", "请上传材料文件", "upload the material's file")
        checked = files.check(upload, name)
        material.file.save(files.stored_name(checked), upload, save=False)
        material.original_name = checked.name
        material.content_type = checked.content_type
        material.size = checked.size
        material.sm3 = checked.sm3
        material.sha256 = checked.sha256
    else:  # given another way now: the items must not receive an earlier file as if it were this
        material.file = ""
        material.original_name = material.content_type = material.sm3 = material.sha256 = ""
        material.size = None
    material.evidence = evidence
    material.note = (note or "").strip()[:500]
    material.save()
    _touch(bundle_case)
    _record(bundle_case, actor, "give-material", material=material.name, evidence=evidence, sm3=material.sm3)
    return material


# --- submission and dispatch -------------------------------------------------------------------------


def _problems(bundle_case: BundleCase, plan: bundle_plan.BundlePlan) -> list[Problem]:
    problems = []
    validator = jsonschema.Draft202012Validator(plan.form.schema)
    for error in sorted(validator.iter_errors(bundle_case.form_data), key=lambda e: list(e.path)):
        path = ".".join(str(p) for p in error.path)
        if error.validator == "required" and "'" in error.message:
            path = ".".join(filter(None, [path, error.message.split("'")[1]]))
        problems.append(
            Problem(
                f"form_data.{path}" if path else "form_data",
                f"form_{error.validator}",
                Text(f"表单填写有误：{error.message}", f"the form is not valid: {error.message}"),
            )
        )
    for m in bundle_case.materials.all():
        if m.required and not m.from_result_of and not m.given:
            problems.append(
                Problem(
                    f"materials[{m.pk}]",
                    "material_missing",
                    Text(f"缺少必要材料：{m.name}", f"a required material is missing: {m.name}"),
                )
            )
    return problems


@transaction.atomic
def submit(actor: Actor, bundle_case: BundleCase | int, *, version: int | None = None) -> BundleCase:
    """Submit: the bundle's clock starts and every item that waits for nothing is received at once."""
    bundle_case = _lock(bundle_case, version)
    _may_edit(actor, bundle_case)
    plan = bundle_plan.of(bundle_case.bundle)
    if problems := _problems(bundle_case, plan):
        raise DomainError(problems)
    now = timezone.now()
    bundle_case.submitted_at = now
    bundle_case.promised_deadline = clock.deadline(now, bundle_case.bundle.promised_limit, "working_days", now=now)
    bundle_case.status = B.RUNNING
    _touch(bundle_case, "submitted_at", "promised_deadline", "status")
    _record(bundle_case, actor, "submit", promised_deadline=bundle_case.promised_deadline.isoformat())
    # At a window the clerk receives the first items; online, and later, the bundle does it on its own.
    receiver = actor if bundle_case.channel == Channel.WINDOW else SYSTEM
    for key in plan.keys:
        if not plan.depends_on(key):
            _dispatch(receiver, bundle_case, plan, key)
    return bundle_case


def _result_license(upstream: Case | None, types: Iterable[str]) -> Any:
    from tongban.licenses.models import License

    if upstream is None:
        return None
    return License.objects.filter(case=upstream, license_type__code__in=list(types)).order_by("-id").first()


def _dispatch(actor: Actor, bundle_case: BundleCase, plan: bundle_plan.BundlePlan, key: str) -> Case:
    by_key = {c.bundle_key: c for c in bundle_case.item_cases.all()}
    shared: list[cases.SharedMaterial] = []
    for m in bundle_case.materials.all():
        mine = [name for k, name in m.serves if k == key]
        if not mine:
            continue
        if m.from_result_of:
            found = _result_license(by_key.get(m.from_result_of), m.license_types)
            if found is None:  # no licence came of it (a paper result): the department asks for the material
                continue
            shared.append(
                cases.SharedMaterial(
                    mine[0],
                    MaterialEvidence.LICENSE,
                    note=f"一件事前序事项结果（{m.from_result_of}）",
                    license_identifier=found.identifier,
                    license_document=found.document,
                )
            )
        elif m.given:
            stored = (
                {
                    "name": m.file.name,
                    "original_name": m.original_name,
                    "content_type": m.content_type,
                    "size": m.size,
                    "sm3": m.sm3,
                    "sha256": m.sha256,
                }
                if m.file
                else {}
            )
            shared.append(cases.SharedMaterial(mine[0], m.evidence, note=m.note, file=stored))
    form = {name: bundle_case.form_data[name] for name in plan.form.fills[key] if name in bundle_case.form_data}
    sent = timezone.now()  # the dispatch precedes the item's receipt on the timeline
    case = cases.receive_bundle_item(
        actor,
        implementation=plan.implementations[key],
        bundle_case=bundle_case,
        key=key,
        channel=bundle_case.channel,
        person=bundle_case.applicant_person,
        organisation=bundle_case.applicant_organisation,
        agent=bundle_case.agent,
        authorisation=bundle_case.authorisation,
        identity_check=bundle_case.identity_check,
        form_data=form,
        materials=shared,
    )
    department = plan.implementations[key].department.name
    _record(bundle_case, actor, "dispatch", key, at=sent, case=case.number, department=department)
    return case


def item_moved(actor: Actor, case: Case, action: str) -> None:
    """After any status change of an item case: dispatch, stop, settle (a hook of the case commands)."""
    if case.bundle_case_id is None:
        return
    bundle_case = _lock(case.bundle_case_id)
    if bundle_case.status == B.DRAFT:
        return
    plan = bundle_plan.of(bundle_case.bundle)
    states = item_states(bundle_case, plan)
    moved = item_state(case)
    if moved == FAILED:
        _record(bundle_case, SYSTEM, "item-failed", case.bundle_key, case=case.number, status=case.status)
        if bundle_case.bundle.on_refusal == OnRefusal.STOP:
            _end_the_others(bundle_case, case)
            states = item_states(bundle_case, plan)
    stopped = {e.item for e in bundle_case.events.filter(action="stop")}
    for key in plan.keys:
        if states[key] == STOPPED and key not in stopped:
            _record(bundle_case, SYSTEM, "stop", key, because=case.bundle_key)
    if moved in (READY, DONE):
        by_key = {c.bundle_key: c for c in bundle_case.item_cases.all()}
        for key in plan.keys:
            waits_for = plan.depends_on(key)
            if key not in by_key and waits_for and all(states[up] in (READY, DONE) for up in waits_for):
                _dispatch(SYSTEM, bundle_case, plan, key)
    _settle(bundle_case, plan)


def _end_the_others(bundle_case: BundleCase, failed: Case) -> None:
    """The bundle stops on a refusal: every other open item ends (终止) with the reason."""
    name = failed.item_name
    for other in bundle_case.item_cases.exclude(pk=failed.pk).filter(status__in=_UNDECIDED).order_by("id"):
        other.refresh_from_db()  # ending one ends the rest through its own hook: this one may be over already
        if other.status not in _UNDECIDED:
            continue
        cases.terminate(
            SYSTEM,
            other,
            reasons=f"同一件事中的“{name}”未获办理，按该一件事的规定其余事项一并终止",
            basis="一件事办理规则（一项不予办理则整体终止）",
        )


def _settle(bundle_case: BundleCase, plan: bundle_plan.BundlePlan, now: datetime | None = None) -> None:
    states = item_states(bundle_case, plan)
    values = set(states.values())
    if values & {WAITING, RUNNING}:
        status = B.RUNNING
    elif bundle_case.item_cases.filter(status__in=DELIVERABLE).exists():
        status = B.READY
    elif DONE in values:
        status = B.COMPLETED
    else:
        status = B.REFUSED
    if status == bundle_case.status:
        return
    now = now or timezone.now()
    before = bundle_case.status
    bundle_case.status = status
    fields = ["status"]
    if before == B.RUNNING:
        bundle_case.finished_at = now
        fields.append("finished_at")
    _touch(bundle_case, *fields)
    _record(bundle_case, SYSTEM, status, states=states)


# --- the unified output window (统一出件) -------------------------------------------------------------


@transaction.atomic
def deliver(
    actor: Actor,
    bundle_case: BundleCase | int,
    *,
    method: str,
    recipient_id_check: str = "",
    carrier: str = "",
    tracking_number: str = "",
    address: str = "",
    version: int | None = None,
) -> BundleCase:
    """Hand out the package: every result (and decision to deny) of the application at once."""
    bundle_case = _lock(bundle_case, version)
    require(actor, "case.deliver", intake_place(bundle_case.bundle))
    if bundle_case.status != B.READY:
        with translation.override("zh-hans"):
            zh = str(B(bundle_case.status).label)
        with translation.override("en"):
            en = str(B(bundle_case.status).label)
        raise Conflict.single(
            "status",
            "wrong_state",
            f"一件事申请状态为“{zh}”，尚无可一并领取的结果",
            f"the application is '{en}': there is no package to hand out",
        )
    ready = list(bundle_case.item_cases.filter(status__in=DELIVERABLE).order_by("id"))
    for case in ready:
        cases.deliver(
            actor,
            case,
            method=method,
            recipient_id_check=recipient_id_check,
            carrier=carrier,
            tracking_number=tracking_number,
            address=address,
        )
    bundle_case.refresh_from_db()
    bundle_case.delivered_at = timezone.now()
    bundle_case.delivery = {"method": method, "cases": [c.number for c in ready]}
    _touch(bundle_case, "delivered_at", "delivery")
    _record(bundle_case, actor, "deliver", method=method, cases=[c.number for c in ready])
    return bundle_case
