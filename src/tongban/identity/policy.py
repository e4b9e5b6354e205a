"""The one permission policy: ``may(actor, action, obj=None) -> Decision``.

Every check of a right in tongban asks this module: API views (through PolicyPermission), commands in
services.py, pages and the admin. The rules are a table (``RULES``), one row per action, readable by a
person; the code below only interprets it.

A rule says who may do an action:

- ``anonymous``: everybody, logged in or not;
- ``own``: a logged-in user on their own records (their Person; organisations they represent or are
  authorised for; authorisations they are party to; their own assignments; who looked at their data).
  ``principal`` narrows it to the one who gave an authorisation;
- ``roles``: staff acting in an assignment with one of these roles, on records inside its scope. The
  scope is the assignment's region (and the regions inside it when ``include_descendants``), and its
  department when it has one. Supervisors *read* their region and everything below it;
- ``superuser``: node superusers (on by default; off for unmasked personal data: an operator account
  is not a role that needs it);
- ``django_perm``: a Django permission granting the action node-wide. Kept for the catalog, whose
  Django admin already lets holders of ``catalog.change_serviceitem`` change every record.

``logged`` rules give a Decision with ``must_log`` when allowed for someone else's record: the caller
must write a PersonalDataAccess entry (services.reveal_person does both in one step).

Objects are placed by ``place_of`` (region, department) and recognised as one's own by ``is_own``;
``visible`` filters a queryset with the same rules, for lists. An unknown action is always denied.

Case handling's rows (``case.*``) place a case by its handling region and department; the lifecycle
table (``cases/lifecycle.py``) names, for every transition, the rule that decides who may take it.
``case.system`` belongs to no role: only the system actor (the worker's rules) holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from tongban.core.messages import Text
from tongban.identity.choices import Role

if TYPE_CHECKING:
    from tongban.identity.actor import Actor
    from tongban.identity.models import StaffAssignment

R = Role
_READERS = frozenset({R.WINDOW_CLERK, R.REVIEWER, R.DEPARTMENT_HEAD, R.SUPERVISOR, R.HOTLINE_OPERATOR})


@dataclass(frozen=True)
class Rule:
    action: str
    description: Text
    roles: frozenset[str] = frozenset()
    anonymous: bool = False
    own: str | None = None  # "own" or "principal"; see the module docstring
    superuser: bool = True
    django_perm: str | None = None
    reading: bool = False
    logged: bool = False


RULES: dict[str, Rule] = {
    rule.action: rule
    for rule in (
        Rule("api.describe", Text("查看接口说明", "describe an endpoint (OPTIONS, API index)"), anonymous=True),
        Rule("catalog.read", Text("查阅事项库", "read the catalog"), anonymous=True, reading=True),
        Rule(
            "catalog.write",
            Text("维护事项库", "change the catalog"),
            roles=frozenset({R.CATALOG_ADMIN}),
            django_perm="catalog.change_serviceitem",
        ),
        Rule(
            "identity.person.read",
            Text("查阅自然人信息（脱敏）", "read natural persons (masked)"),
            roles=_READERS,
            own="own",
            reading=True,
        ),
        Rule(
            "identity.person.read_full",
            Text("查阅自然人完整证件号码和电话", "read a person's full document number and phone"),
            roles=frozenset({R.WINDOW_CLERK, R.REVIEWER}),
            own="own",
            superuser=False,
            reading=True,
            logged=True,
        ),
        Rule(
            "identity.person.write",
            Text("登记或修改自然人信息", "register or change a natural person"),
            roles=frozenset({R.WINDOW_CLERK}),
            own="own",
        ),
        Rule(
            "identity.organisation.read",
            Text("查阅法人信息", "read organisations"),
            roles=_READERS,
            own="own",
            reading=True,
        ),
        Rule(
            "identity.organisation.write",
            Text("登记法人信息", "register an organisation"),
            roles=frozenset({R.WINDOW_CLERK}),
        ),
        Rule(
            "identity.authorisation.read",
            Text("查阅授权委托", "read authorisations"),
            roles=frozenset({R.WINDOW_CLERK, R.REVIEWER, R.DEPARTMENT_HEAD, R.SUPERVISOR}),
            own="own",
            reading=True,
        ),
        Rule(
            "identity.authorisation.write",
            Text("记录授权委托", "record an authorisation"),
            roles=frozenset({R.WINDOW_CLERK}),
        ),
        Rule(
            "identity.authorisation.revoke",
            Text("撤销授权委托", "revoke an authorisation"),
            roles=frozenset({R.WINDOW_CLERK}),
            own="principal",
        ),
        Rule(
            "identity.assignment.read",
            Text("查阅岗位授权", "read staff assignments"),
            roles=frozenset({R.NODE_OPERATOR, R.SUPERVISOR}),
            own="own",
            reading=True,
        ),
        Rule(
            "identity.assignment.write",
            Text("授予或终止岗位", "assign or end staff roles"),
            roles=frozenset({R.NODE_OPERATOR}),
        ),
        # Case handling (办件). Cases are placed by their handling region and department.
        Rule("case.read", Text("查阅办件", "read cases"), roles=_READERS, own="own", reading=True),
        Rule("case.apply", Text("在线申请", "apply online"), own="own"),
        Rule(
            "case.intake", Text("窗口收件和受理", "receive and accept at the window"), roles=frozenset({R.WINDOW_CLERK})
        ),
        Rule("case.correct", Text("补正材料", "supply corrections"), roles=frozenset({R.WINDOW_CLERK}), own="own"),
        Rule("case.review", Text("审查办件", "review cases"), roles=frozenset({R.REVIEWER, R.DEPARTMENT_HEAD})),
        Rule("case.decide", Text("作出决定", "decide cases"), roles=frozenset({R.REVIEWER, R.DEPARTMENT_HEAD})),
        Rule(
            "case.suspend",
            Text("启动或结束特别程序", "start or end special procedures"),
            roles=frozenset({R.REVIEWER, R.DEPARTMENT_HEAD}),
        ),
        Rule("case.extend", Text("批准延期", "approve extensions"), roles=frozenset({R.DEPARTMENT_HEAD})),
        Rule("case.terminate", Text("终止办理", "terminate cases"), roles=frozenset({R.DEPARTMENT_HEAD})),
        Rule("case.withdraw", Text("撤回申请", "withdraw applications"), roles=frozenset({R.WINDOW_CLERK}), own="own"),
        Rule("case.issue", Text("制证出件", "produce results"), roles=frozenset({R.WINDOW_CLERK, R.REVIEWER})),
        Rule("case.deliver", Text("送达结果", "deliver results"), roles=frozenset({R.WINDOW_CLERK})),
        # Supervisors act on their region and everything below it, so this rule counts as reading for scope.
        Rule("case.supervise", Text("督办", "issue supervision orders"), roles=frozenset({R.SUPERVISOR}), reading=True),
        Rule(
            "case.answer",
            Text("回复督办", "answer supervision orders"),
            roles=frozenset({R.WINDOW_CLERK, R.REVIEWER, R.DEPARTMENT_HEAD}),
        ),
        Rule(
            "case.export",
            Text("导出办件数据", "export case data"),
            roles=frozenset({R.SUPERVISOR, R.NODE_OPERATOR}),
            reading=True,
        ),
        Rule(
            "case.verify",
            Text("事后核查告知承诺", "verify commitments afterwards (事后核查)"),
            roles=frozenset({R.REVIEWER, R.DEPARTMENT_HEAD}),
        ),
        Rule("case.revoke", Text("撤销决定", "revoke decisions"), roles=frozenset({R.DEPARTMENT_HEAD})),
        Rule("case.system", Text("系统规则自动执行", "apply automatic rules"), superuser=False),
        # The federation exchange (联盟交换): the node's message log and dead letters are node-wide.
        Rule(
            "federation.operate",
            Text("查看节点报文日志并重发死信", "read the node's message log and retry dead letters"),
            roles=frozenset({R.NODE_OPERATOR}),
        ),
        # A department's electronic seals (电子印章): placed by the department they belong to, so a head acts
        # on their own department's seals only and a node operator on the departments of their region.
        Rule(
            "seal.manage",
            Text("制作、更换或吊销部门电子印章", "create, rotate or revoke a department's electronic seals"),
            roles=frozenset({R.NODE_OPERATOR, R.DEPARTMENT_HEAD}),
        ),
        # E-licences (电子证照), placed by the issuing department: its staff read them, its head annotates,
        # suspends, revokes or replaces them; the holder reads their own. Looking up someone's licences
        # (with their consent) is intake work.
        Rule("license.read", Text("查阅电子证照", "read e-licences"), roles=_READERS, own="own", reading=True),
        Rule(
            "license.manage",
            Text("加注、中止、撤销或换发电子证照", "annotate, suspend, revoke or replace e-licences"),
            roles=frozenset({R.DEPARTMENT_HEAD}),
        ),
        Rule("license.verify", Text("核验电子证照", "verify e-licences"), anonymous=True, reading=True),
        Rule(
            "license.lookup",
            Text("经持证人授权查找其电子证照", "look up a holder's e-licences with their consent"),
            roles=frozenset({R.WINDOW_CLERK, R.REVIEWER, R.DEPARTMENT_HEAD}),
            own="own",
        ),
        # The one-window front desk (一窗通办): anyone takes a ticket at the kiosk; window clerks call and
        # serve it; clerks and supervisors see the hall's queue and figures. Placed by the hall's region.
        Rule("frontdesk.take", Text("取号", "take a queue ticket"), anonymous=True),
        Rule(
            "frontdesk.operate",
            Text("叫号、接待与预约签到", "call, serve and check in at a window"),
            roles=frozenset({R.WINDOW_CLERK}),
        ),
        Rule(
            "frontdesk.read",
            Text("查看大厅排队与效能", "see the hall's queue and figures"),
            roles=frozenset({R.WINDOW_CLERK, R.SUPERVISOR}),
            reading=True,
        ),
        # The credit record (信用记录) of persons and organisations; placed by the region that recorded it.
        Rule("credit.read", Text("查阅信用记录", "read credit records"), roles=_READERS, own="own", reading=True),
        Rule(
            "credit.record",
            Text("登记信用记录或信用修复", "record credit entries and repairs"),
            roles=frozenset({R.SUPERVISOR}),
        ),
        Rule(
            "credit.import",
            Text("导入外部信用名单", "import credit lists of other bodies"),
            roles=frozenset({R.SUPERVISOR, R.NODE_OPERATOR}),
        ),
        Rule(
            "identity.access_log.read",
            Text("查阅个人信息查阅记录", "read the personal data access log"),
            roles=frozenset({R.SUPERVISOR}),
            own="own",
            reading=True,
        ),
    )
}


@dataclass(frozen=True)
class Place:
    """Where a record belongs: a region code and, for department records, the department's id."""

    region_code: str | None
    department_id: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Text
    code: str = "allowed"
    must_log: bool = False

    def __bool__(self) -> bool:
        return self.allowed


def _allow(reason: Text, must_log: bool = False) -> Decision:
    return Decision(True, reason, "allowed", must_log)


def _deny(code: str, reason: Text) -> Decision:
    return Decision(False, reason, code)


# --- where records belong --------------------------------------------------------------------------

NODE_WIDE = object()
"""place_of's answer for records every holder of a role may act on (national items, agreements)."""

_PLACES: dict[str, Callable[[Any], Any]] = {
    "catalog.region": lambda o: Place(o.code),
    "catalog.department": lambda o: Place(o.region_id, o.pk),
    "catalog.hall": lambda o: Place(o.region_id),
    "catalog.window": lambda o: Place(o.hall.region_id),
    "catalog.itemimplementation": lambda o: Place(o.region_id, o.department_id),
    "catalog.guideversion": lambda o: Place(o.implementation.region_id, o.implementation.department_id),
    "catalog.serviceitem": lambda o: NODE_WIDE,
    "catalog.agreement": lambda o: NODE_WIDE,
    "identity.person": lambda o: Place(o.region_id),
    "identity.organisation": lambda o: Place(o.region_id),
    "identity.authorisation": lambda o: Place(o.region_id),
    "identity.staffassignment": lambda o: Place(o.region_id, o.department_id),
    "identity.personaldataaccess": lambda o: Place(o.region_id),
    # A case received here for another region's node (异地代收) belongs to the window's region.
    "cases.case": lambda o: Place(o.receiving_region_id) if o.home_node else Place(o.region_id, o.department_id),
    # A bundle application (一件事) spans departments: its region's staff of any department see it.
    "bundles.bundlecase": lambda o: Place(o.bundle.region_id),
    "cases.verification": lambda o: Place(o.case.region_id, o.case.department_id),
    "credit.creditentry": lambda o: Place(o.region_id),
    "licenses.license": lambda o: Place(o.jurisdiction, o.issuer_id),
    # The node's own message log belongs to the region the node serves.
    "federation.outboxmessage": lambda o: Place(settings.TONGBAN_REGION),
    "federation.inboxmessage": lambda o: Place(settings.TONGBAN_REGION),
    "federation.refusedmessage": lambda o: Place(settings.TONGBAN_REGION),
}

# The same places as query lookups, for lists: (path to the region code, path to the department id).
_LOOKUPS: dict[str, tuple[str | None, str | None]] = {
    "catalog.region": ("code", None),
    "catalog.department": ("region__code", "id"),
    "catalog.hall": ("region__code", None),
    "catalog.itemimplementation": ("region__code", "department_id"),
    "catalog.serviceitem": (None, None),
    "catalog.agreement": (None, None),
    "identity.person": ("region__code", None),
    "identity.organisation": ("region__code", None),
    "identity.authorisation": ("region__code", None),
    "identity.staffassignment": ("region__code", "department_id"),
    "identity.personaldataaccess": ("region__code", None),
    "cases.case": ("region__code", "department_id"),
    "bundles.bundlecase": ("bundle__region__code", None),
    "cases.verification": ("case__region__code", "case__department_id"),
    "credit.creditentry": ("region__code", None),
    "licenses.license": ("jurisdiction", "issuer_id"),
    "federation.outboxmessage": (None, None),
    "federation.inboxmessage": (None, None),
    "federation.refusedmessage": (None, None),
}


# Records staff do not see although they lie in their scope: an applicant's unsubmitted draft is theirs
# alone until they submit it.
_PRIVATE_TO_OWNER: dict[str, tuple[Callable[[Any], bool], Q, Text]] = {
    "cases.case": (
        lambda o: o.status == "draft",
        Q(status="draft"),
        Text("申请人尚未提交的草稿只有申请人本人可见", "an unsubmitted draft is visible to its applicant alone"),
    ),
    "bundles.bundlecase": (
        lambda o: o.status == "draft" and o.channel == "online",
        Q(status="draft", channel="online"),
        Text("申请人尚未提交的草稿只有申请人本人可见", "an unsubmitted draft is visible to its applicant alone"),
    ),
}


def _label(obj_or_model: Any) -> str:
    return obj_or_model._meta.label_lower


def place_of(obj: Any) -> Any:
    """The Place of a record (saved or not), NODE_WIDE, or None when no rule places it."""
    if isinstance(obj, Place):
        return obj
    meta = getattr(obj, "_meta", None)
    if meta is None:
        return None
    placer = _PLACES.get(_label(obj))
    return placer(obj) if placer else None


def _reaches_below(assignment: StaffAssignment, reading: bool) -> bool:
    """Whether the scope takes in the divisions inside the region (supervisors always do, to read)."""
    return assignment.include_descendants or (reading and assignment.role == R.SUPERVISOR)


def covers(assignment: StaffAssignment, place: Place, reading: bool = False) -> bool:
    """Whether an assignment's scope includes a place.

    A record without a department (a person, an authorisation) is placed by its region alone, so a
    department-bound role reaches it when the region matches.
    """
    region = assignment.region
    elsewhere = place.region_code is not None and place.region_code != region.code
    if elsewhere and not (_reaches_below(assignment, reading) and region.contains(place.region_code)):
        return False
    return (
        assignment.department_id is None
        or place.department_id is None
        or place.department_id == assignment.department_id
    )


def _scope_q(assignment: StaffAssignment, model: Any, reading: bool) -> Q | None:
    """``covers`` as a filter over ``model``'s rows (None: the model has no place)."""
    label = _label(model)
    if label not in _LOOKUPS:
        return None
    region_path, department_path = _LOOKUPS[label]
    region = assignment.region
    q = Q()
    if region_path:
        below = _reaches_below(assignment, reading)
        q &= Q(**{f"{region_path}__startswith": region.code_prefix}) if below else Q(**{region_path: region.code})
    if department_path and assignment.department_id:
        q &= Q(**{department_path: assignment.department_id})
    if label == "cases.case":  # cases received here for another node are placed by the receiving region
        region_q = (
            Q(receiving_region__code__startswith=region.code_prefix)
            if _reaches_below(assignment, reading)
            else Q(receiving_region__code=region.code)
        )
        q = (q & Q(home_node="")) | (region_q & ~Q(home_node=""))
    private = _PRIVATE_TO_OWNER.get(label)
    if private is not None:
        q &= ~private[1]
    return q


# --- one's own records ----------------------------------------------------------------------------


def _in_force_today() -> Q:
    today = timezone.localdate()
    return Q(revoked_at__isnull=True, valid_from__lte=today, valid_to__gte=today)


def _own_q(actor: Actor, model: Any, relation: str) -> Q | None:
    """Records of ``model`` that are the actor's own, as a filter (None: none are)."""
    label = _label(model)
    uid, person = actor.user_id, actor.person
    pid = person.pk if person else None
    if label == "identity.person":
        return Q(user_id=uid) | (Q(pk=pid) if pid else Q(pk__in=[]))
    if label == "identity.staffassignment":
        return Q(user_id=uid)
    if label in ("cases.case", "bundles.bundlecase"):
        return _own_cases_q(uid, pid)
    if pid is None:
        return None
    if label == "identity.organisation":
        return _represented_q(pid)
    if label == "identity.authorisation":
        principal = Q(principal_person_id=pid) | Q(principal_organisation__legal_representative_id=pid)
        return principal if relation == "principal" else principal | Q(agent_id=pid)
    if label == "identity.personaldataaccess":
        return Q(person_id=pid)
    if label == "credit.creditentry":
        return Q(subject_code=person.id_number) | Q(subject_code__in=own_organisations(actor).values("uscc"))
    if label == "licenses.license":
        return Q(holder_code=person.id_number) | Q(holder_code__in=own_organisations(actor).values("uscc"))
    return None


def _represented_q(pid: int) -> Q:
    """Organisations a person represents (legal representative) or holds an authorisation in force for."""
    from tongban.identity.models import Authorisation

    authorised = Authorisation.objects.filter(_in_force_today(), agent_id=pid).values("principal_organisation")
    return Q(legal_representative_id=pid) | Q(pk__in=authorised)


def own_organisations(actor: Actor) -> QuerySet:
    """The organisations that are the actor's own, as the ``own`` rule sees them (none without a person)."""
    from tongban.identity.models import Organisation

    if actor.person is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(_represented_q(actor.person.pk))


def _own_cases_q(uid: int | None, pid: int | None) -> Q:
    """Cases one applies for: as the person, as the agent, for an organisation one represents, or drafted."""
    q = Q(created_by_id=uid)
    if pid is None:
        return q
    from tongban.identity.models import Authorisation

    authorised = Authorisation.objects.filter(_in_force_today(), agent_id=pid).values("principal_organisation")
    return (
        q
        | Q(applicant_person_id=pid)
        | Q(agent_id=pid)
        | Q(applicant_organisation__legal_representative_id=pid)
        | Q(applicant_organisation__in=authorised)
    )


def is_own(actor: Actor, obj: Any, relation: str = "own") -> bool:
    """Whether ``obj`` (saved or not) is one of the actor's own records under ``relation``."""
    if actor.user_id is None or getattr(obj, "_meta", None) is None:
        return False
    # An unsaved person (someone registering themself) cannot be found by a query: look at its fields.
    # A user has at most one Person, so a user who already has one is not registering themself.
    if _label(obj) == "identity.person" and obj.pk is None:
        return obj.user_id == actor.user_id and actor.person is None
    if obj.pk is None:
        return False
    if _label(obj) in ("cases.case", "bundles.bundlecase"):
        # Most answers need no query: the case names its creator, applicant and agent.
        pid = actor.person.pk if actor.person else None
        if obj.created_by_id == actor.user_id or (pid and pid in (obj.applicant_person_id, obj.agent_id)):
            return True
        if pid is None or obj.applicant_organisation_id is None:
            return False
    q = _own_q(actor, type(obj), relation)
    return q is not None and type(obj)._default_manager.filter(q, pk=obj.pk).exists()


# --- the decision -----------------------------------------------------------------------------------

_NOT_LOGGED_IN = Text("请先登录", "log in first")


def _role_label(role: str) -> str:
    """A role's Chinese name, whatever the request's language (the zh half of a Text)."""
    with translation.override("zh-hans"):
        return str(Role(role).label)


def _staff_decision(actor: Actor, rule: Rule, obj: Any) -> Decision:
    roles = "、".join(_role_label(r) for r in sorted(rule.roles))
    roles_en = ", ".join(sorted(rule.roles))
    assignment = actor.assignment
    if assignment is None:
        holders = [a for a in actor.assignments if a.role in rule.roles]
        if actor.role_problem is not None:
            return _deny("choose_role", actor.role_problem)
        if holders:
            return _deny(
                "choose_role",
                Text(
                    f"请切换到可{rule.description.zh}的岗位（{roles}）后再操作",
                    f"switch to an assignment that may {rule.description.en} ({roles_en}) first",
                ),
            )
        return _deny(
            "role_required",
            Text(f"只有以下岗位可以{rule.description.zh}：{roles}", f"only {roles_en} may {rule.description.en}"),
        )
    if assignment.role not in rule.roles:
        return _deny(
            "role_required",
            Text(
                f"当前岗位（{_role_label(assignment.role)}）不能{rule.description.zh}；可以的岗位：{roles}",
                f"your current role ({assignment.role}) may not {rule.description.en}; roles that may: {roles_en}",
            ),
        )
    if obj is None:
        return _allow(Text(f"岗位：{_role_label(assignment.role)}", f"role: {assignment.role}"), rule.logged)
    place = place_of(obj)
    if place is NODE_WIDE:
        return _allow(Text(f"岗位：{_role_label(assignment.role)}", f"role: {assignment.role}"), rule.logged)
    if place is None:
        return _deny(
            "no_scope_rule",
            Text(f"没有关于“{_label(obj)}”范围的规则", f"no scope rule places records of '{_label(obj)}'"),
        )
    private = _PRIVATE_TO_OWNER.get(_label(obj)) if hasattr(obj, "_meta") else None
    if private is not None and private[0](obj):
        return _deny("private", private[2])
    if not covers(assignment, place, rule.reading):
        return _deny(
            "out_of_scope",
            Text(
                f"该记录（{place.region_code or ''}）不在您岗位的范围（{assignment.region.name}"
                f"{'及下级' if assignment.include_descendants else ''}"
                f"{'、' + assignment.department.name if assignment.department_id else ''}）内",
                f"the record ({place.region_code or ''}) is outside your assignment's scope "
                f"({assignment.region.code}{' and below' if assignment.include_descendants else ''}"
                f"{', department ' + str(assignment.department_id) if assignment.department_id else ''})",
            ),
        )
    return _allow(Text(f"岗位：{_role_label(assignment.role)}", f"role: {assignment.role}"), rule.logged)


def may(actor: Actor, action: str, obj: Any = None) -> Decision:
    """May ``actor`` do ``action`` (on ``obj``, when given)? ``obj`` may be unsaved, or a Place."""
    rule = RULES.get(action)
    if rule is None:
        return _deny("no_policy", Text(f"未声明权限规则：“{action}”", f"no policy rule declares '{action}'"))
    if actor.system:
        return _allow(Text("系统操作", "system"))
    if rule.anonymous:
        return _allow(Text("公开信息", "public"))
    if not actor.is_authenticated:
        return _deny("not_authenticated", _NOT_LOGGED_IN)
    if actor.is_superuser and rule.superuser:
        return _allow(Text("超级管理员", "superuser"))
    record = obj is not None and not isinstance(obj, Place)
    if rule.own and record and is_own(actor, obj, rule.own):
        return _allow(Text("本人的记录", "your own record"))
    if rule.django_perm and actor.has_perm(rule.django_perm):
        return _allow(Text("事项库管理权限", f"permission {rule.django_perm}"))
    if rule.roles:
        staff = _staff_decision(actor, rule, obj)
        if staff.allowed or not (rule.own and obj is None):
            return staff
    if rule.own and obj is None:
        # No record yet: the actor may act on their own records; lists are narrowed by visible() and
        # commands ask again with the record itself.
        return _allow(Text("本人的记录", "your own records"))
    return _deny("not_allowed", Text(f"您不能{rule.description.zh}", f"you may not {rule.description.en}"))


def visible(actor: Actor, action: str, queryset: QuerySet) -> QuerySet:
    """``queryset`` narrowed to the records ``actor`` may ``action`` (used for lists)."""
    rule = RULES.get(action)
    if rule is None:
        return queryset.none()
    if actor.system or rule.anonymous:
        return queryset
    if not actor.is_authenticated:
        return queryset.none()
    if (actor.is_superuser and rule.superuser) or (rule.django_perm and actor.has_perm(rule.django_perm)):
        return queryset
    q: Q | None = None
    if rule.own:
        q = _own_q(actor, queryset.model, rule.own)
    assignment = actor.assignment
    if assignment is not None and assignment.role in rule.roles:
        scope = _scope_q(assignment, queryset.model, rule.reading)
        if scope is not None:
            q = scope if q is None else q | scope
    return queryset.filter(q) if q is not None else queryset.none()
