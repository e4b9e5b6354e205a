"""Case commands (办件): every change of a case's state, one function each.

A command takes the actor first; locks the case row; checks the version the caller saw (409 when the
case changed meanwhile), the lifecycle row for the current status (409 when the action does not apply
now), the policy (403) and its input (400 naming the field); then writes the change, appends the
hash-chained event and queues any notice, all in one transaction. Nothing is written when a check fails.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, Any

import jsonschema
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tongban.cases import events, files, numbering
from tongban.cases.choices import (
    MATERIAL_COVERED,
    Channel,
    DeliveryMethod,
    MaterialEvidence,
    MaterialState,
    NoticeKind,
    OrderState,
    Outcome,
    SpecialProcedure,
    Status,
    WarningLevel,
)
from tongban.cases.lifecycle import GUARDS, Transition, rows_for, transitions_from
from tongban.cases.models import (
    Case,
    CaseMaterial,
    Extension,
    MaterialFile,
    Notice,
    ReviewOpinion,
    SupervisionOrder,
    Suspension,
)
from tongban.catalog.choices import GuideStatus, Necessity
from tongban.catalog.models import ItemImplementation
from tongban.core.errors import Conflict, DomainError, NotFound, Problem
from tongban.core.messages import Text
from tongban.identity.actor import SYSTEM, Actor
from tongban.identity.denied import require
from tongban.identity.models import Authorisation, Organisation, Person
from tongban.identity.policy import is_own, may
from tongban.workdays import clock

# Hooks run inside the transaction that completes a case (办结); the evaluation feature (好差评) adds
# its own to invite the applicant's rating. Each takes the completed case.
AFTER_COMPLETION: list[Callable[[Case], None]] = []
# Hooks run inside the transaction that accepts a case (受理), once its deadlines are known: the
# commitments module sets the 容缺 supply deadline and opens the 事后核查 here.
ON_ACCEPTANCE: list[Callable[[Case], None]] = []
# Hooks run inside the transaction that decides a case (准予 or 不予).
AFTER_DECISION: list[Callable[[Case], None]] = []
# Hooks run inside the transaction of the issue step (制证): the licences app signs the case's e-licence
# here. Each takes the actor, the case and the licence data given with the step, and returns what the
# event records (the licence identifier), or None when it made nothing.
ON_ISSUE: list[Callable[[Actor, Case, dict[str, Any] | None], dict[str, Any] | None]] = []
# Hooks run inside the transaction that revokes an approval (撤销): the licences app revokes the case's
# e-licences. Each takes the actor, the case and the reasons.
ON_REVOCATION: list[Callable[[Actor, Case, str], None]] = []
# Hooks run inside the transaction of every status change of a case, after its event: the bundles app
# (一件事) dispatches the items that waited for this one, or stops them. Each takes the actor, the case
# and the action.
AFTER_TRANSITION: list[Callable[[Actor, Case, str], None]] = []
# Hooks run inside the transaction of every act on a case, whether or not it changed the status (审查 and
# 延期 leave it as it was): the case transfer tells the other node of each, so both records show one
# timeline. Run before AFTER_TRANSITION.
AFTER_ACT: list[Callable[[Actor, Case, str], None]] = []
# What this node does on a case another node decides (异地代收代办, 全程网办 across regions): until it is
# forwarded, the draft and the receipt are here; afterwards only handing the result out. The rest happens
# at the deciding node.
# A correction request (补正) from there is answered here: the window collects the materials and sends them.
BEFORE_FORWARDING = frozenset({"save", "submit", "withdraw", "forward"})
AFTER_FORWARDING = frozenset({"deliver"})
CORRECTING = frozenset({"correct"})


def _here(case: Case, action: str) -> bool:
    """Whether ``action`` on ``case`` is this node's to take."""
    if case.origin_node:
        # Received at another node's window: the result is handed out there (or posted from there), and
        # that node's case.delivered completes the case here.
        return action != "deliver"
    if not case.home_node:
        return True
    if case.status in (Status.DRAFT, Status.PENDING):
        return action in BEFORE_FORWARDING
    return action in (CORRECTING if case.status == Status.CORRECTION else AFTER_FORWARDING)

MAX_TEXT = 2000
log = logging.getLogger("tongban.cases")


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def _text(field: str, value: str | None, zh: str, en: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _fail(field, "required", f"请填写{zh}", f"{en} is required")
    if len(value) > limit:
        raise _fail(field, "too_long", f"{zh}不能超过{limit}个字符", f"{en} has at most {limit} characters")
    return value


def _status_label(status: str) -> Text:
    from django.utils import translation

    label = Status(status).label if status in Status.values else status
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return Text(zh, en)


# --- the machinery every command shares -----------------------------------------------------------


def _lock(case: Case | int, version: int | None) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        locked = Case.objects.select_for_update().select_related("guide_version", "department", "region").get(pk=pk)
    except Case.DoesNotExist as exc:
        raise NotFound.single("case", "not_found", "办件不存在", "no such case") from exc
    if version is not None and int(version) != locked.version:
        raise Conflict.single(
            "version",
            "stale_version",
            f"办件已被他人更新（您看到的是第{version}版，现为第{locked.version}版），请刷新后重试",
            f"the case changed meanwhile (you saw version {version}, it is now {locked.version}); reload and retry",
        )
    return locked


def _row(actor: Actor, case: Case, action: str) -> Transition:
    """The lifecycle row for ``action`` on ``case`` now, after asking the policy; else a clear refusal."""
    # The system completes a case received elsewhere when that node's case.delivered says so.
    if not _here(case, action) and not (actor.system and case.origin_node):
        if case.origin_node:
            raise Conflict.single(
                "action",
                "handled_elsewhere",
                f"该办件由节点“{case.origin_node}”的窗口收件，结果在该处送达",
                f"node '{case.origin_node}' received this case: the result is handed out there",
            )
        raise Conflict.single(
            "action",
            "handled_elsewhere",
            f"该办件由节点“{case.home_node}”办理，本节点只能提交、转递和送达结果",
            f"node '{case.home_node}' handles this case: this node only submits, forwards and hands the result out",
        )
    rows = rows_for(case.status, action)
    if not rows:
        now = _status_label(case.status)
        return_zh = "、".join(sorted({r.action for r in transitions_from(case.status)})) or "无"
        raise Conflict.single(
            "action",
            "wrong_state",
            f"办件当前状态为“{now.zh}”，不能执行“{action}”（此状态可执行：{return_zh}）",
            f"the case is '{now.en}'; '{action}' is not possible now (possible: {return_zh})",
        )
    fitting = [r for r in rows if r.applies(case)]
    if not fitting:
        explain = "；".join(GUARDS[r.guard].explain.zh for r in rows if r.guard)
        explain_en = "; ".join(GUARDS[r.guard].explain.en for r in rows if r.guard)
        raise Conflict.single(
            "action",
            "condition_not_met",
            f"“{action}”的前提不满足：{explain}",
            f"'{action}' needs: {explain_en}",
        )
    row = fitting[0]
    require(actor, row.who, case)
    return row


def _finish(
    actor: Actor, case: Case, row: Transition, payload: dict[str, Any] | None = None, at: datetime | None = None
) -> Case:
    before = case.status
    case.status = row.target
    case.version += 1
    case.save()
    events.append(case, actor, row.action, before, payload, at=at)
    for hook in AFTER_ACT:
        hook(actor, case, row.action)
    if before != case.status:
        for hook in AFTER_TRANSITION:
            hook(actor, case, row.action)
    return case


def allowed_actions(actor: Actor, case: Case) -> list[str]:
    """The actions ``actor`` may take on ``case`` now: exactly the buttons a page shows."""
    seen: list[str] = []
    for row in transitions_from(case.status):
        if row.action in seen or not row.applies(case) or row.who == "case.system":
            continue
        if not _here(case, row.action):
            continue
        if row.action == "answer-supervision" and not case.orders.filter(state=OrderState.OPEN).exists():
            continue
        if may(actor, row.who, case):
            seen.append(row.action)
    return seen


# --- creating a case: online draft, window intake ---------------------------------------------------


def _implementation(implementation: ItemImplementation | int | str) -> ItemImplementation:
    if isinstance(implementation, ItemImplementation):
        return implementation
    lookup = {"implementation_code": implementation} if isinstance(implementation, str) else {"pk": implementation}
    try:
        return ItemImplementation.objects.select_related("current_version", "item", "department", "region").get(
            **lookup
        )
    except ItemImplementation.DoesNotExist as exc:
        raise _fail("implementation", "unknown", "办理项不存在", "no such item implementation") from exc


def _guide_in_force(impl: ItemImplementation):  # type: ignore[no-untyped-def]
    guide = impl.current_version
    if guide is None or guide.status != GuideStatus.PUBLISHED:
        raise _fail(
            "implementation",
            "no_guide",
            "该事项没有现行有效的办事指南，暂不能申请",
            "the item has no published guide in force; it cannot be applied for",
        )
    return guide


def _new_case(
    actor: Actor,
    impl: ItemImplementation,
    *,
    channel: str,
    status: str,
    person: Person | None,
    organisation: Organisation | None,
    agent: Person | None,
    authorisation: Authorisation | None,
    form_data: dict[str, Any] | None,
    receiving_region_code: str,
    number: str = "",
    guide: Any = None,
    fields: dict[str, Any] | None = None,
    prepare_material: Callable[[CaseMaterial], None] | None = None,
) -> Case:
    """A new case and its material list. ``number`` and ``guide``: a case transferred from another node
    keeps the number it got there and the guide version its window showed; ``fields`` (more of the
    case's own) and ``prepare_material`` (called on each material before it is stored) let it arrive
    as it was there in one insert each, not an insert and then updates."""
    guide = guide or _guide_in_force(impl)
    now = timezone.now()
    case = Case(
        **(fields or {}),
        number=number or numbering.case_number(receiving_region_code, timezone.localdate(now)),
        status=status,
        channel=channel,
        implementation=impl,
        guide_version=guide,
        region_id=impl.region_id,
        department_id=impl.department_id,
        receiving_region_id=receiving_region_code,
        item_name=guide.name,
        applicant_person=person,
        applicant_organisation=organisation,
        applicant_name=(organisation.name if organisation else person.name if person else ""),
        agent=agent,
        authorisation=authorisation,
        created_by=actor.user if actor.user_id else None,
        form_data=form_data or {},
        case_type=guide.case_type,
        review_steps=list(guide.review_steps or []) or ["审批"],
    )
    case.save(force_insert=True)
    materials = [
        CaseMaterial(
            case=case,
            requirement=req,
            order=req.order,
            name=req.name,
            required=req.necessity != Necessity.OPTIONAL,
        )
        for req in guide.materials.all()
    ]
    if prepare_material is not None:
        for material in materials:
            prepare_material(material)
    CaseMaterial.objects.bulk_create(materials)
    return case


def _form_dict(form_data: Any) -> dict[str, Any]:
    if form_data is None:
        return {}
    if not isinstance(form_data, dict):
        raise _fail("form_data", "not_object", "表单内容应为对象（键值对）", "the form must be an object")
    return form_data


@transaction.atomic
def create_draft(
    actor: Actor,
    *,
    implementation: ItemImplementation | int | str,
    organisation: Organisation | None = None,
    form_data: dict[str, Any] | None = None,
) -> Case:
    """Start an online application (全程网办) as the logged-in applicant, for themself or an organisation."""
    from tongban.cases.services import transfer

    require(actor, "case.apply")
    impl = _implementation(implementation)
    home = transfer.home_node_for(impl)
    if home:  # 全程网办 across regions: applied for here, decided at the node of the item's region
        transfer.check_online(impl)
    person = actor.person
    if person is None:
        raise _fail(
            "applicant",
            "no_person",
            "请先完成实名登记后再申请",
            "register your identity (real name) before applying",
        )
    if organisation is not None and not is_own(actor, organisation):
        raise _fail(
            "organisation",
            "not_represented",
            "您不是该单位的法定代表人或被授权人",
            "you neither represent this organisation nor hold its authorisation",
        )
    case = _new_case(
        actor,
        impl,
        channel=Channel.ONLINE,
        status=Status.DRAFT,
        person=None if organisation else person,
        organisation=organisation,
        agent=person if organisation else None,
        authorisation=None,
        form_data=_form_dict(form_data),
        receiving_region_code=settings.TONGBAN_REGION if home else impl.region_id,
    )
    if home:
        case.home_node = home
        case.save(update_fields=["home_node"])
    events.append(case, actor, "create", "", {"channel": Channel.ONLINE, "guide_version": case.guide_version_id})
    return case


@transaction.atomic
def save_draft(actor: Actor, case: Case | int, *, form_data: dict[str, Any], version: int | None = None) -> Case:
    case = _lock(case, version)
    row = _row(actor, case, "save")
    if form_data is None:
        raise _fail("form_data", "required", "请提交表单内容", "the form is required")
    case.form_data = _form_dict(form_data)
    return _finish(actor, case, row, {"fields": sorted(case.form_data)})


def _form_problems(case: Case) -> list[Problem]:
    schema = case.guide_version.form_schema or {}
    if not schema:
        return []
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(case.form_data), key=lambda e: list(e.path)):
        path = ".".join(str(p) for p in error.path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = ".".join(filter(None, [path, missing]))
        problems.append(
            Problem(
                f"form_data.{path}" if path else "form_data",
                f"form_{error.validator}",
                Text(f"表单填写有误：{error.message}", f"the form is not valid: {error.message}"),
            )
        )
    return problems


def _missing_required(case: Case) -> list[CaseMaterial]:
    """Required materials neither given nor covered by a signed commitment (告知承诺, 容缺)."""
    return [m for m in case.materials.all() if m.required and m.state not in MATERIAL_COVERED]


def _material_problems(case: Case) -> list[Problem]:
    return [
        Problem(
            f"materials[{m.pk}]",
            "material_missing",
            Text(f"缺少必要材料：{m.name}", f"a required material is missing: {m.name}"),
        )
        for m in _missing_required(case)
    ]


def _materials_complete(case: Case) -> None:
    problems = _material_problems(case)
    if problems:
        raise DomainError(problems)


@transaction.atomic
def submit(actor: Actor, case: Case | int, *, version: int | None = None) -> Case:
    """Submit an online draft: the form must be valid and every required material attached."""
    case = _lock(case, version)
    row = _row(actor, case, "submit")
    problems = _form_problems(case) + _material_problems(case)  # all at once: the applicant fixes them in one go
    if problems:
        raise DomainError(problems)
    case.arrived_at = timezone.now()
    _finish(actor, case, row, at=case.arrived_at)
    if case.home_node:  # another node decides it: it goes there at once, with its files
        from tongban.cases.services import transfer

        transfer.forward(SYSTEM, case)
        case.refresh_from_db()
    return case


def _applicant_for_intake(
    actor: Actor, person: Person | None, organisation: Organisation | None, agent: Person | None
) -> None:
    if person is None and organisation is None:
        raise _fail(
            "applicant", "required", "请指定申请人（自然人或法人）", "give the applicant (a person or an organisation)"
        )
    if person is not None and organisation is not None:
        raise _fail(
            "applicant",
            "ambiguous",
            "申请人只能是自然人或法人之一",
            "the applicant is either a person or an organisation",
        )
    if organisation is not None and agent is None:
        raise _fail(
            "agent", "required", "法人申请须登记经办人", "an organisation's application needs its agent (经办人)"
        )


def _check_authorisation(
    authorisation: Authorisation | None, person: Person | None, organisation: Organisation | None, agent: Person | None
) -> None:
    """An agent acting for someone else needs an authorisation in force from that applicant."""
    if agent is None:
        return
    if organisation is not None and organisation.legal_representative_id == agent.pk:
        return  # the legal representative acts for the organisation without a separate authorisation
    if authorisation is None:
        raise _fail(
            "authorisation",
            "required",
            "代办须有申请人的授权委托（先在身份管理中登记）",
            "an agent needs the applicant's authorisation (record it first)",
        )
    today = timezone.localdate()
    principal_ok = (
        authorisation.principal_person_id == person.pk
        if person is not None
        else authorisation.principal_organisation_id == getattr(organisation, "pk", None)
    )
    if not principal_ok or authorisation.agent_id != agent.pk:
        raise _fail(
            "authorisation",
            "mismatch",
            "授权委托的委托人或受托人与本申请不符",
            "the authorisation is for other parties",
        )
    if authorisation.revoked_at or not (authorisation.valid_from <= today <= authorisation.valid_to):
        raise _fail(
            "authorisation", "not_in_force", "授权委托不在有效期内或已撤销", "the authorisation is not in force"
        )


def check_parties(
    actor: Actor,
    person: Person | None,
    organisation: Organisation | None,
    agent: Person | None,
    authorisation: Authorisation | None,
) -> Person | None:
    """The applicant and whoever acts for them at a window, checked; returns the agent (None when the
    applicant stands there themself)."""
    _applicant_for_intake(actor, person, organisation, agent)
    if person is not None and agent is not None and agent.pk == person.pk:
        agent = None
    _check_authorisation(authorisation, person, organisation, agent)
    return agent


@transaction.atomic
def receive(
    actor: Actor,
    *,
    implementation: ItemImplementation | int | str,
    person: Person | None = None,
    organisation: Organisation | None = None,
    agent: Person | None = None,
    authorisation: Authorisation | None = None,
    identity_check: str = "",
    form_data: dict[str, Any] | None = None,
) -> Case:
    """窗口收件: a clerk registers an application at the window (also 帮办代办 for an absent applicant).

    The clerk records how the identity of whoever stands at the window was checked; materials are
    then recorded one by one (``record_material``) before the acceptance decision.
    """
    from tongban.cases.services import transfer

    impl = _implementation(implementation)
    home = transfer.home_node_for(impl)
    if home:  # 异地代收: another node decides it; this region's window may receive it if an agreement says so
        transfer.check_proxy(actor, impl)
    else:
        probe = Case(region_id=impl.region_id, department_id=impl.department_id)
        require(actor, "case.intake", probe)  # the policy first: input problems are only for those who may receive
    agent = check_parties(actor, person, organisation, agent, authorisation)
    check = _text("identity_check", identity_check, "身份核验方式", "how the identity was checked", limit=200)
    receiving = actor.assignment.region_id if actor.assignment else impl.region_id
    case = _new_case(
        actor,
        impl,
        channel=Channel.PROXY if home else Channel.WINDOW,
        status=Status.PENDING,
        person=person,
        organisation=organisation,
        agent=agent,
        authorisation=authorisation,
        form_data=_form_dict(form_data),
        receiving_region_code=receiving,
    )
    case.home_node = home
    case.received_by = actor.assignment
    case.identity_check = check
    case.arrived_at = timezone.now()
    case.save(update_fields=["home_node", "received_by", "identity_check", "arrived_at"])
    on_behalf = {"agent": agent.name if agent else "", "authorisation": authorisation.pk if authorisation else None}
    events.append(case, actor, "receive", "", {"identity_check": check, **on_behalf}, at=case.arrived_at)
    return case


# --- materials --------------------------------------------------------------------------------------


def _material(case: Case, material_id: int, field: str = "material") -> CaseMaterial:
    try:
        return case.materials.get(pk=material_id)
    except (CaseMaterial.DoesNotExist, ValueError, TypeError) as exc:
        raise _fail(
            field, "unknown", "该材料不在本办件的材料清单中", "this material is not on the case's list"
        ) from exc


def _may_change_materials(actor: Actor, case: Case) -> None:
    if case.status == Status.DRAFT:
        require(actor, "case.apply", case)
    elif case.status == Status.PENDING:
        require(actor, "case.intake", case)
    elif case.status == Status.CORRECTION:
        require(actor, "case.correct", case)
    else:
        now = _status_label(case.status)
        raise Conflict.single(
            "material",
            "wrong_state",
            f"办件状态为“{now.zh}”，不能再更改材料",
            f"materials cannot change while the case is '{now.en}'",
        )


@transaction.atomic
def attach_file(
    actor: Actor,
    case: Case | int,
    *,
    material_id: int,
    upload: IO[bytes],
    name: str,
    version: int | None = None,
) -> MaterialFile:
    """Store a file for a material as its next version (drafts, intake, correction); nothing is replaced."""
    case = _lock(case, version)
    _may_change_materials(actor, case)
    material = _material(case, material_id)
    checked = files.check(upload, name)
    stored = _store_file(actor, material, checked, upload)
    material.state = MaterialState.PROVIDED
    material.evidence = MaterialEvidence.UPLOAD
    _forget_license(material)
    material.save(update_fields=["state", "evidence", "license_identifier", "license_document"])
    case.version += 1
    case.save(update_fields=["version"])
    events.append(
        case,
        actor,
        "attach",
        case.status,
        {"material": material.name, "version": stored.version, "sm3": checked.sm3, "size": checked.size},
    )
    return stored


def _forget_license(material: CaseMaterial) -> None:
    """A material given another way no longer rests on the e-licence it may have used before."""
    material.license_identifier = ""
    material.license_document = None


def _store_file(actor: Actor, material: CaseMaterial, checked: files.CheckedFile, upload: IO[bytes]) -> MaterialFile:
    """Keep an uploaded file as the material's next version (the content was checked by ``files.check``)."""
    latest = material.files.order_by("-version").values_list("version", flat=True).first() or 0
    stored = MaterialFile(
        material=material,
        version=latest + 1,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sm3=checked.sm3,
        sha256=checked.sha256,
        uploaded_by=actor.user if actor.user_id else None,
    )
    stored.file.save(files.stored_name(checked), upload, save=False)
    stored.save()
    return stored


@transaction.atomic
def record_material(
    actor: Actor,
    case: Case | int,
    *,
    material_id: int,
    evidence: str,
    note: str = "",
    version: int | None = None,
) -> CaseMaterial:
    """A clerk records how a material was given at the window (original seen, copy scanned)."""
    case = _lock(case, version)
    if case.status not in (Status.PENDING, Status.CORRECTION):
        _may_change_materials(actor, case)
    require(actor, "case.intake", case)
    material = _material(case, material_id)
    if evidence not in MaterialEvidence.values:
        raise _fail(
            "evidence",
            "unknown",
            f"材料提交方式应为：{'、'.join(MaterialEvidence.values)}",
            f"evidence must be one of: {', '.join(MaterialEvidence.values)}",
        )
    if evidence == MaterialEvidence.LICENSE:
        raise _fail(
            "evidence",
            "use_license",
            "电子证照须通过“使用电子证照”核验后使用",
            "an e-licence is used through 'use a licence', which verifies it",
        )
    if evidence == MaterialEvidence.UPLOAD and not material.files.exists():
        raise _fail("evidence", "no_file", "尚未上传该材料的文件", "no file has been uploaded for this material")
    material.state = MaterialState.PROVIDED
    material.evidence = evidence
    material.note = _text("note", note, "备注", "the note", required=False, limit=500)
    _forget_license(material)
    material.save(update_fields=["state", "evidence", "note", "license_identifier", "license_document"])
    case.version += 1
    case.save(update_fields=["version"])
    events.append(case, actor, "record-material", case.status, {"material": material.name, "evidence": evidence})
    return material


def check_materials_may_change(actor: Actor, case: Case) -> None:
    """Refuse (403/409) unless the actor may change the case's materials now."""
    _may_change_materials(actor, case)


def material_of(case: Case, material_id: int) -> CaseMaterial:
    """One material of the case's list; 400 naming ``material`` when it is not on it."""
    return _material(case, material_id)


@transaction.atomic
def use_license(
    actor: Actor,
    case: Case | int,
    *,
    material_id: int,
    identifier: str,
    license_document: dict[str, Any],
    note: str,
    details: dict[str, Any],
    version: int | None = None,
) -> CaseMaterial:
    """免提交: record that an e-licence satisfies a material. The caller (``licenses.sharing.use_license``)
    has verified it; ``details`` (issuing node, consent, checks passed) go into the event."""
    case = _lock(case, version)
    _may_change_materials(actor, case)
    material = _material(case, material_id)
    material.state = MaterialState.PROVIDED
    material.evidence = MaterialEvidence.LICENSE
    material.license_identifier = identifier
    material.license_document = license_document
    material.note = note[:500]
    material.save(update_fields=["state", "evidence", "license_identifier", "license_document", "note"])
    case.version += 1
    case.save(update_fields=["version"])
    events.append(
        case, actor, "use-license", case.status, {"material": material.name, "license": identifier, **details}
    )
    return material


# --- the acceptance decision -------------------------------------------------------------------------


def _recompute_deadlines(case: Case, now: datetime | None = None) -> None:
    """Both deadlines from the acceptance time, the limits of the pinned guide, extensions and suspensions."""
    if case.accepted_at is None:
        return
    guide = case.guide_version
    intervals = [clock.Interval(s.started_at, s.ended_at) for s in case.suspensions.all()]
    now = now or timezone.now()
    case.statutory_deadline, case.promised_deadline = (
        clock.deadline(case.accepted_at, limit, unit, suspended=intervals, extension=case.extension_days, now=now)
        for limit, unit in (
            (guide.statutory_limit, guide.statutory_unit),
            (guide.promised_limit, guide.promised_unit),
        )
    )
    case.warning = _warning(case, now, intervals)


def _warning(case: Case, now: datetime, intervals: list[clock.Interval] | None = None) -> str:
    if case.promised_deadline is None or case.status not in (Status.IN_REVIEW, Status.PENDING, Status.APPROVED):
        return WarningLevel.NONE
    if intervals is None:
        intervals = [clock.Interval(s.started_at, s.ended_at) for s in case.suspensions.all()]
    return clock.progress(case.accepted_at, case.promised_deadline, suspended=intervals, now=now).level


def _accept_now(actor: Actor, case: Case, at: datetime) -> None:
    case.accepted_at = at
    day = timezone.localdate(at)  # the node's day: at.date() is the UTC day, the day before until 08:00 local
    case.acceptance_number = numbering.notice_number(case.receiving_region_id, NoticeKind.ACCEPTANCE, day)
    _recompute_deadlines(case)
    for hook in ON_ACCEPTANCE:
        hook(case)


@transaction.atomic
def accept(actor: Actor, case: Case | int, *, version: int | None = None) -> Case:
    """受理: the legal clock starts; the 受理通知书 is queued."""
    case = _lock(case, version)
    row = _row(actor, case, "accept")
    _materials_complete(case)
    _accept_now(actor, case, timezone.now())
    _finish(actor, case, row, {"acceptance_number": case.acceptance_number, **_deadlines_payload(case)})
    _notice(case, NoticeKind.ACCEPTANCE)
    return case


def _deadlines_payload(case: Case) -> dict[str, Any]:
    return {
        "statutory_deadline": case.statutory_deadline.isoformat() if case.statutory_deadline else None,
        "promised_deadline": case.promised_deadline.isoformat() if case.promised_deadline else None,
    }


@transaction.atomic
def refuse(actor: Actor, case: Case | int, *, reasons: str, basis: str, version: int | None = None) -> Case:
    """不予受理, with reasons and the legal basis; the 不予受理通知书 is queued."""
    case = _lock(case, version)
    row = _row(actor, case, "refuse")
    case.reasons = _text("reasons", reasons, "不予受理的理由", "the reasons")
    case.basis = _text("basis", basis, "法律依据", "the legal basis")
    case.closed_at = timezone.now()
    _finish(actor, case, row, {"reasons": case.reasons, "basis": case.basis})
    _notice(case, NoticeKind.REFUSAL)
    return case


@transaction.atomic
def request_correction(
    actor: Actor, case: Case | int, *, items: Iterable[dict[str, Any]], note: str = "", version: int | None = None
) -> Case:
    """一次性告知补正: every missing or wrong material in one notice; the clock has not started."""
    case = _lock(case, version)
    row = _row(actor, case, "request-correction")
    items = list(items or [])
    if not items:
        raise _fail(
            "items",
            "required",
            "补正通知须列明每一项需要补正的材料",
            "a correction request must list every material to correct",
        )
    listed = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise _fail(f"items[{i}]", "invalid", "每一项应包含材料和问题", "each item needs a material and a problem")
        material = _material(case, item.get("material"), f"items[{i}].material")
        if material.pk in seen:
            raise _fail(f"items[{i}].material", "duplicate", "同一材料列了两次", "the same material is listed twice")
        seen.add(material.pk)
        problem = _text(f"items[{i}].problem", item.get("problem"), "问题说明", "what is missing or wrong", limit=500)
        requirement = _text(
            f"items[{i}].requirement", item.get("requirement"), "补正要求", "what to supply", required=False, limit=500
        )
        material.state = MaterialState.REJECTED
        material.problem = problem
        material.save(update_fields=["state", "problem"])
        listed.append({"material": material.pk, "name": material.name, "problem": problem, "requirement": requirement})
    note = _text("note", note, "说明", "the note", required=False)
    _finish(actor, case, row, {"items": listed, "note": note})
    _notice(case, NoticeKind.CORRECTION, {"items": listed, "note": note})
    return case


@transaction.atomic
def correct(actor: Actor, case: Case | int, *, version: int | None = None) -> Case:
    """补正完成: every material the notice listed has been given again; the case awaits acceptance again."""
    case = _lock(case, version)
    row = _row(actor, case, "correct")
    still = [m for m in case.materials.all() if m.state == MaterialState.REJECTED]
    if still:
        raise DomainError(
            Problem(
                f"materials[{m.pk}]",
                "not_corrected",
                Text(f"尚未补正：{m.name}（{m.problem}）", f"not yet corrected: {m.name} ({m.problem})"),
            )
            for m in still
        )
    _materials_complete(case)
    return _finish(actor, case, row)


@transaction.atomic
def deem_accepted(case: Case | int, *, now: datetime | None = None) -> Case | None:
    """行政许可法 art. 32: no correction request within 5 working days of arrival means accepted on arrival.

    The worker applies it; returns the case when the rule applied, None when it does not (yet).
    """
    case = _lock(case, None)
    now = now or timezone.now()
    if case.status != Status.PENDING or case.arrived_at is None or case.is_immediate:
        return None
    last_day = clock.add_working_days(timezone.localdate(case.arrived_at), 5)
    if timezone.localdate(now) <= last_day:
        return None
    row = _row(SYSTEM, case, "deem-accepted")
    _accept_now(SYSTEM, case, case.arrived_at)
    _finish(
        SYSTEM,
        case,
        row,
        {
            "rule": "行政许可法第三十二条",
            "arrived_at": case.arrived_at.isoformat(),
            "correction_window_ended": last_day.isoformat(),
            "acceptance_number": case.acceptance_number,
            **_deadlines_payload(case),
        },
    )
    _notice(case, NoticeKind.ACCEPTANCE)
    return case


# --- review and decision ----------------------------------------------------------------------------


def _opinion(actor: Actor, case: Case, opinion: str, outcome: str, now: datetime) -> ReviewOpinion:
    last = case.opinions.order_by("-at").values_list("at", flat=True).first()
    return ReviewOpinion.objects.create(
        case=case,
        step=case.current_step,
        step_name=case.current_step_name,
        opinion=opinion,
        outcome=outcome,
        handler=actor.user if actor.user_id else None,
        handler_name=actor.user.get_username() if actor.user_id else "system",
        started_at=last or case.accepted_at or now,
        at=now,
    )


@transaction.atomic
def review(actor: Actor, case: Case | int, *, opinion: str, version: int | None = None) -> Case:
    """Sign the current review step (审查, 审核, …) and pass the case to the next."""
    case = _lock(case, version)
    row = _row(actor, case, "review")
    text = _text("opinion", opinion, "审查意见", "the opinion")
    step = case.current_step_name
    _opinion(actor, case, text, "pass", timezone.now())
    case.current_step += 1
    return _finish(actor, case, row, {"step": step, "opinion": text, "next_step": case.current_step_name})


def _decide(actor: Actor, case: Case, row: Transition, outcome: str, reasons: str, basis: str) -> Case:
    now = timezone.now()
    if case.accepted_at is None:  # 即办件: accepted and decided in the same step
        _accept_now(actor, case, now)
    case.outcome = outcome
    case.decided_at = now
    case.reasons = reasons
    case.basis = basis
    if case.review_steps:
        _opinion(actor, case, reasons or "同意", outcome, now)
    case.warning = WarningLevel.NONE
    payload = {"outcome": outcome, "reasons": reasons, "basis": basis, "step": case.current_step_name}
    if case.acceptance_number:
        payload["acceptance_number"] = case.acceptance_number
    _finish(actor, case, row, payload, at=now)
    _notice(case, NoticeKind.DECISION)
    for hook in AFTER_DECISION:
        hook(case)
    return case


@transaction.atomic
def approve(actor: Actor, case: Case | int, *, opinion: str = "", basis: str = "", version: int | None = None) -> Case:
    """准予: the decision at the last review step, or an immediate case accepted and approved at once."""
    case = _lock(case, version)
    row = _row(actor, case, "approve")
    if row.source == Status.PENDING:
        _materials_complete(case)
    text = _text("opinion", opinion, "审批意见", "the opinion", required=False) or "准予"
    return _decide(actor, case, row, Outcome.APPROVE, text, _text("basis", basis, "依据", "the basis", required=False))


@transaction.atomic
def deny(actor: Actor, case: Case | int, *, reasons: str, basis: str, version: int | None = None) -> Case:
    """不予许可, with reasons and basis; the applicant learns both from the 办结通知书."""
    case = _lock(case, version)
    row = _row(actor, case, "deny")
    return _decide(
        actor,
        case,
        row,
        Outcome.DENY,
        _text("reasons", reasons, "不予的理由", "the reasons"),
        _text("basis", basis, "法律依据", "the legal basis"),
    )


# --- the clock: extensions and special procedures ------------------------------------------------------

MAX_EXTENSION_DAYS = 30


@transaction.atomic
def extend(actor: Actor, case: Case | int, *, days: int, reason: str, version: int | None = None) -> Case:
    """延期: +N working days, approved by the department head; both deadlines move."""
    case = _lock(case, version)
    row = _row(actor, case, "extend")
    try:
        days = int(days)
    except (TypeError, ValueError) as exc:
        raise _fail("days", "not_integer", "延期天数应为整数", "days must be a whole number") from exc
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise _fail(
            "days",
            "out_of_range",
            f"延期天数应在1至{MAX_EXTENSION_DAYS}个工作日之间",
            f"an extension is 1 to {MAX_EXTENSION_DAYS} working days",
        )
    text = _text("reason", reason, "延期理由", "the reason")
    now = timezone.now()
    Extension.objects.create(case=case, days=days, reason=text, approved_by=actor.user, at=now)
    case.extension_days += days
    _recompute_deadlines(case, now)
    return _finish(actor, case, row, {"days": days, "reason": text, **_deadlines_payload(case)}, at=now)


@transaction.atomic
def suspend(actor: Actor, case: Case | int, *, kind: str, reason: str, version: int | None = None) -> Case:
    """特别程序 (听证, 检验, 专家评审 …): the clock stops until ``resume``."""
    case = _lock(case, version)
    row = _row(actor, case, "suspend")
    if kind not in SpecialProcedure.values:
        raise _fail(
            "kind",
            "unknown",
            f"特别程序类型应为：{'、'.join(SpecialProcedure.values)}",
            f"kind must be one of: {', '.join(SpecialProcedure.values)}",
        )
    text = _text("reason", reason, "特别程序的原因", "the reason", limit=1000)
    now = timezone.now()
    Suspension.objects.create(case=case, kind=kind, reason=text, started_at=now)
    case.warning = WarningLevel.NONE
    return _finish(actor, case, row, {"kind": kind, "reason": text}, at=now)


@transaction.atomic
def resume(actor: Actor, case: Case | int, *, result: str = "", version: int | None = None) -> Case:
    """End the special procedure; the deadlines move by the working days it took."""
    case = _lock(case, version)
    row = _row(actor, case, "resume")
    now = timezone.now()
    open_one = case.suspensions.filter(ended_at__isnull=True).order_by("-started_at").first()
    if open_one is None:  # cannot happen through the commands; a clear error rather than a 500 if it does
        raise Conflict.single("case", "no_suspension", "没有进行中的特别程序", "no special procedure is running")
    open_one.ended_at = now
    open_one.result = _text("result", result, "特别程序结果", "the result", required=False, limit=1000)
    open_one.save(update_fields=["ended_at", "result"])
    days = clock.working_days_between(timezone.localdate(open_one.started_at), timezone.localdate(now))
    _recompute_deadlines(case, now)
    return _finish(
        actor, case, row, {"result": open_one.result, "suspended_days": days, **_deadlines_payload(case)}, at=now
    )


# --- ending early -----------------------------------------------------------------------------------


@transaction.atomic
def withdraw(actor: Actor, case: Case | int, *, reason: str = "", version: int | None = None) -> Case:
    """撤回: the applicant (or a clerk at their request) withdraws before the decision."""
    case = _lock(case, version)
    row = _row(actor, case, "withdraw")
    text = _text("reason", reason, "撤回原因", "the reason", required=False)
    case.closed_at = timezone.now()
    _close_open_suspension(case)
    case.warning = WarningLevel.NONE
    return _finish(actor, case, row, {"reason": text})


@transaction.atomic
def terminate(actor: Actor, case: Case | int, *, reasons: str, basis: str = "", version: int | None = None) -> Case:
    """终止办理 (the applicant died, the organisation was dissolved, …), with reasons."""
    case = _lock(case, version)
    row = _row(actor, case, "terminate")
    case.reasons = _text("reasons", reasons, "终止理由", "the reasons")
    case.basis = _text("basis", basis, "依据", "the basis", required=False)
    case.closed_at = timezone.now()
    _close_open_suspension(case)
    case.warning = WarningLevel.NONE
    return _finish(actor, case, row, {"reasons": case.reasons, "basis": case.basis})


def _close_open_suspension(case: Case) -> None:
    case.suspensions.filter(ended_at__isnull=True).update(ended_at=timezone.now())


# --- the result -------------------------------------------------------------------------------------


@transaction.atomic
def issue(
    actor: Actor,
    case: Case | int,
    *,
    result_number: str = "",
    license_data: dict[str, Any] | None = None,
    version: int | None = None,
) -> Case:
    """制证出件: the result exists. When the guide names a result licence type, the e-licence is signed
    here from the case's form and ``license_data`` (what the officer adds), in the same transaction."""
    case = _lock(case, version)
    row = _row(actor, case, "issue")
    number = _text("result_number", result_number, "证照或文书编号", "the result number", required=False, limit=80)
    payload: dict[str, Any] = {}
    for hook in ON_ISSUE:
        payload.update(hook(actor, case, license_data) or {})
    case.issued_at = timezone.now()
    case.result_number = number or payload.get("license_number") or f"{case.number}-R"
    return _finish(actor, case, row, {"result_number": case.result_number, **payload}, at=case.issued_at)


@transaction.atomic
def deliver(
    actor: Actor,
    case: Case | int,
    *,
    method: str,
    recipient_id_check: str = "",
    carrier: str = "",
    tracking_number: str = "",
    address: str = "",
    version: int | None = None,
) -> Case:
    """送达 and 办结: at the window with an ID check, by post with a tracking number, or online."""
    case = _lock(case, version)
    row = _row(actor, case, "deliver")
    if method not in DeliveryMethod.values:
        raise _fail(
            "method",
            "unknown",
            f"送达方式应为：{'、'.join(DeliveryMethod.values)}",
            f"method must be one of: {', '.join(DeliveryMethod.values)}",
        )
    detail: dict[str, str] = {}
    if method == DeliveryMethod.WINDOW:
        detail["recipient_id_check"] = _text(
            "recipient_id_check", recipient_id_check, "领取人身份核验", "the recipient's identity check", limit=200
        )
    elif method == DeliveryMethod.POST:
        detail["carrier"] = _text("carrier", carrier, "寄递企业", "the carrier", limit=50)
        detail["tracking_number"] = _text("tracking_number", tracking_number, "运单号", "the tracking number", limit=50)
        detail["address"] = _text("address", address, "邮寄地址", "the address", required=False, limit=300)
    now = timezone.now()
    case.delivery_method = method
    case.delivery = detail
    case.delivered_at = now
    case.closed_at = now
    _finish(actor, case, row, {"method": method, **detail}, at=now)
    for hook in AFTER_COMPLETION:
        hook(case)
    return case


# --- supervision (督办) --------------------------------------------------------------------------------

SUPERVISION_ANSWER_DAYS = 2


@transaction.atomic
def supervise(actor: Actor, case: Case | int, *, message: str, days: int = SUPERVISION_ANSWER_DAYS) -> SupervisionOrder:
    """督办: a supervisor orders the handlers to act, with a deadline in working days to answer."""
    case = _lock(case, None)
    row = _row(actor, case, "supervise")
    text = _text("message", message, "督办要求", "the order")
    try:
        days = int(days)
    except (TypeError, ValueError) as exc:
        raise _fail("days", "not_integer", "答复期限应为整数个工作日", "days must be a whole number") from exc
    if not 1 <= days <= 20:
        raise _fail(
            "days", "out_of_range", "答复期限应在1至20个工作日之间", "the answer is due in 1 to 20 working days"
        )
    now = timezone.now()
    due = clock.deadline(now, days, "working_days", now=now)
    order = SupervisionOrder.objects.create(case=case, message=text, issued_by=actor.user, issued_at=now, answer_by=due)
    _finish(actor, case, row, {"order": order.pk, "message": text, "answer_by": due.isoformat()}, at=now)
    return order


@transaction.atomic
def answer_supervision(actor: Actor, case: Case | int, *, order: int, answer: str) -> SupervisionOrder:
    case = _lock(case, None)
    row = _row(actor, case, "answer-supervision")
    try:
        found = case.orders.get(pk=order, state=OrderState.OPEN)
    except (SupervisionOrder.DoesNotExist, ValueError, TypeError) as exc:
        raise _fail("order", "unknown", "没有待回复的该督办单", "no open supervision order with this id") from exc
    found.answer = _text("answer", answer, "答复", "the answer")
    found.answered_by = actor.user
    found.answered_at = timezone.now()
    found.state = OrderState.ANSWERED
    found.save()
    _finish(actor, case, row, {"order": found.pk, "answer": found.answer})
    return found


# --- background rules (the worker runs these) ---------------------------------------------------------


def refresh_warnings(now: datetime | None = None) -> int:
    """Recolour the deadlines of running cases (yellow: few working days left; red: overdue)."""
    now = now or timezone.now()
    changed = 0
    running = Case.objects.filter(
        status__in=(Status.IN_REVIEW, Status.APPROVED), promised_deadline__isnull=False, accepted_at__isnull=False
    )
    for case in running.only("id", "accepted_at", "promised_deadline", "warning", "status").iterator():
        try:
            level = _warning(case, now)
        except clock.CalendarGap as gap:  # the worker must keep going; the operator sees why in the log
            log.warning("case %s: %s", case.pk, gap)
            continue
        if level != case.warning:
            Case.objects.filter(pk=case.pk).update(warning=level)
            changed += 1
    return changed


def apply_article_32(now: datetime | None = None) -> int:
    """Accept, as of arrival, every pending case the clerks left without a correction request for 5 working days."""
    now = now or timezone.now()
    applied = 0
    for pk in Case.objects.filter(status=Status.PENDING).values_list("pk", flat=True):
        try:
            if deem_accepted(pk, now=now) is not None:
                applied += 1
        except DomainError as problem:  # e.g. a calendar year not loaded: the operator sees why in the log
            log.warning("case %s: %s", pk, problem)
    return applied


# --- notices ----------------------------------------------------------------------------------------


def _notice(case: Case, kind: str, extra: dict[str, Any] | None = None) -> Notice:
    from tongban.cases.notice_content import notice_context
    from tongban.cases.tasks import render_notice

    today = timezone.localdate()
    if kind == NoticeKind.ACCEPTANCE and case.acceptance_number:
        number = case.acceptance_number  # the 受理通知书 is numbered with the acceptance number it announces
    else:
        number = numbering.notice_number(case.receiving_region_id, kind, today)
    token = secrets.token_urlsafe(32)
    context = notice_context(case, kind, number, token, extra or {})
    notice = Notice.objects.create(case=case, kind=kind, number=number, token=token, context=context)
    transaction.on_commit(lambda: render_notice.enqueue(notice.pk))
    if case.origin_node:  # received at another node's window (异地代收代办): the notice goes there too
        from tongban.cases.services import transfer_notices

        transfer_notices.notice_issued(case, notice)
    return notice


def public_url(path: str) -> str:
    return settings.TONGBAN_PUBLIC_URL.rstrip("/") + path


# The commands of credit-backed handling (告知承诺, 容缺受理), of bundle items and of transfers to other
# nodes (异地代收代办) live in their own modules; they use the machinery above, so they are imported last.
from tongban.cases.services.bundled import SharedMaterial, receive_bundle_item  # noqa: E402
from tongban.cases.services.commitments import commit, lapse_overdue, revoke, supply, verify  # noqa: E402
from tongban.cases.services.transfer import forward  # noqa: E402

__all__ = [
    "AFTER_COMPLETION",
    "AFTER_DECISION",
    "ON_ACCEPTANCE",
    "ON_ISSUE",
    "ON_REVOCATION",
    "SharedMaterial",
    "accept",
    "allowed_actions",
    "answer_supervision",
    "apply_article_32",
    "approve",
    "attach_file",
    "check_materials_may_change",
    "check_parties",
    "commit",
    "correct",
    "create_draft",
    "deem_accepted",
    "deliver",
    "deny",
    "extend",
    "forward",
    "issue",
    "lapse_overdue",
    "material_of",
    "receive",
    "receive_bundle_item",
    "record_material",
    "refresh_warnings",
    "refuse",
    "request_correction",
    "resume",
    "review",
    "revoke",
    "save_draft",
    "submit",
    "supervise",
    "supply",
    "suspend",
    "terminate",
    "use_license",
    "verify",
    "withdraw",
]
