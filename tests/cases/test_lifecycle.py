"""The case lifecycle through its commands: every row of ``lifecycle.TRANSITIONS`` runs, is refused to a
role that does not hold its rule, and ``allowed_actions`` offers exactly what the table says."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from tests import factories as f
from tests.cases import make as m
from tests.identity import make as im
from tongban.cases import lifecycle, services
from tongban.cases.choices import MaterialEvidence, MaterialState, NoticeKind, Outcome, Status
from tongban.cases.models import Case, SupervisionOrder
from tongban.core.errors import Conflict, DomainError
from tongban.identity.actor import Actor, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Person
from tongban.identity.policy import RULES, may

pytestmark = pytest.mark.django_db

S = Status


# --- driving a case to a status ---------------------------------------------------------------------

WHO_DOES = {  # the World login that takes each rule's actions in these tests
    "case.apply": "applicant",
    "case.intake": "clerk",
    "case.correct": "applicant",
    "case.review": "reviewer",
    "case.decide": "head",
    "case.suspend": "reviewer",
    "case.extend": "head",
    "case.terminate": "head",
    "case.withdraw": "applicant",
    "case.issue": "clerk",
    "case.deliver": "clerk",
    "case.supervise": "supervisor",
    "case.answer": "clerk",
    "case.verify": "reviewer",
    "case.revoke": "head",
}
ROLE_OF = {"clerk": "window_clerk", "reviewer": "reviewer", "head": "department_head", "supervisor": "supervisor"}


def command(w: m.World, who: str | Actor, action: str, case: Case) -> Callable[[], Any]:
    """The command of ``action`` with valid input, as ``who``."""
    a = who if isinstance(who, Actor) else w.actor(who)

    def open_order() -> int:
        found = SupervisionOrder.objects.filter(case_id=case.pk, state="open").first()
        return found.pk if found else 0

    calls: dict[str, Callable[[], Any]] = {
        "save": lambda: services.save_draft(a, case, form_data={"备注": "草稿"}),
        "submit": lambda: services.submit(a, case),
        "accept": lambda: services.accept(a, case),
        "approve": lambda: services.approve(a, case, opinion="同意", basis="住房公积金管理条例第二十四条"),
        "refuse": lambda: services.refuse(
            a, case, reasons="不属于本机关职权范围", basis="行政许可法第三十二条第一款第二项"
        ),
        "request-correction": lambda: services.request_correction(
            a, case, items=[{"material": case.materials.first().pk, "problem": "复印件不清晰"}]
        ),
        "correct": lambda: services.correct(a, case),
        "review": lambda: services.review(a, case, opinion="材料齐全，符合条件"),
        "deny": lambda: services.deny(a, case, reasons="不符合提取条件", basis="住房公积金管理条例第二十四条"),
        "suspend": lambda: services.suspend(a, case, kind="expert_review", reason="需组织专家评审"),
        "resume": lambda: services.resume(a, case, result="专家评审通过"),
        "extend": lambda: services.extend(a, case, days=5, reason="情况复杂，经负责人批准延期"),
        "withdraw": lambda: services.withdraw(a, case, reason="申请人主动撤回"),
        "terminate": lambda: services.terminate(a, case, reasons="申请人死亡", basis="行政许可法"),
        "issue": lambda: services.issue(a, case),
        "deliver": lambda: services.deliver(a, case, method="online"),
        "supervise": lambda: services.supervise(a, case, message="请加快办理"),
        "answer-supervision": lambda: services.answer_supervision(a, case, order=open_order(), answer="已加快办理"),
        "commit": lambda: services.commit(
            a,
            case,
            kind="commitment",
            conditions=[m.CONDITION],
            **(
                {"signed_how": "online"}
                if case.status == S.DRAFT
                else {"signed_how": "paper", "upload": io.BytesIO(m.PDF), "file_name": "承诺书.pdf"}
            ),
        ),
        "supply": lambda: services.supply(
            a, case, material_id=m.material_id(case, m.TOLERATED), upload=io.BytesIO(m.PDF), file_name="补交.pdf"
        ),
        "verify": lambda: services.verify(a, case, method="documents", outcome="true", finding="核查属实"),
        "revoke": lambda: services.revoke(a, case, reasons="承诺不实", basis="行政许可法第六十九条"),
    }
    return calls[action]


def do(w: m.World, who: str, action: str, case: Case) -> Case:
    command(w, who, action, case)()
    case.refresh_from_db()
    return case


def drive(
    w: m.World, status: str, *, order: bool = False, last_step: bool = False, signed: str | None = None
) -> Case:
    """A case of ``w`` in ``status``; ``order``: with an open supervision order; ``last_step``: at the decision;
    ``signed``: applied with a commitment (``commitment``), a promise to supply (``tolerance``), or a
    commitment that post-verification found false (``false``; needs a credit world)."""
    if status == S.REVOKED:  # an order issued before the revocation stays to be answered
        case = drive(w, S.ISSUED, order=order, signed="false")
        do(w, "head", "revoke", case)
        return case
    if status == S.DRAFT:
        return m.online(w, submit=False)
    case = m.online_with(w, "commitment" if signed == "false" else signed) if signed else m.online(w)
    if order and status in (S.PENDING, S.CORRECTION, S.REFUSED, S.WITHDRAWN):
        do(w, "supervisor", "supervise", case)
    steps = {
        S.PENDING: [],
        S.CORRECTION: ["request-correction"],
        S.REFUSED: ["refuse"],
        S.WITHDRAWN: ["withdraw"],
    }
    if status in steps:
        for action in steps[status]:
            do(w, WHO_DOES[rule_of(action, case.status)], action, case)
        return case
    do(w, "clerk", "accept", case)
    if order:
        do(w, "supervisor", "supervise", case)
    after_accept = {
        S.IN_REVIEW: ["review"] if last_step else [],
        S.SUSPENDED: ["suspend"],
        S.TERMINATED: ["terminate"],
        S.DENIED: ["review", "deny"],
        S.APPROVED: ["review", "approve"],
        S.ISSUED: ["review", "approve", "issue"],
        S.COMPLETED: ["review", "approve", "issue", "deliver"],
    }
    for action in after_accept[status]:
        do(w, WHO_DOES[rule_of(action, case.status)], action, case)
    if signed == "false":
        services.verify(w.actor("reviewer"), case, method="on_site", outcome="false", finding="现场核查发现承诺不实")
        case.refresh_from_db()
    assert case.status == status
    return case


# Rows whose guard needs an application signed on a commitment, and which one.
SIGNED_FOR = {"materials_owed": "tolerance", "verification_open": "commitment", "commitment_false": "false"}
CREDIT_GUARDS = {"commitment_offered", "supply_overdue", *SIGNED_FOR}


def rule_of(action: str, status: str) -> str:
    return lifecycle.rows_for(status, action)[0].who


def snapshot(case: Case) -> tuple[str, int, int]:
    case.refresh_from_db()
    return case.status, case.version, case.events.count()


def refusers(who: str) -> list[str]:
    """Logins that do not hold the rule: the first staff role without it, and the applicant unless it is theirs."""
    rule = RULES[who]
    staff = [login for login in ("clerk", "reviewer", "head", "supervisor") if ROLE_OF[login] not in rule.roles]
    return staff[:1] + ([] if rule.own else ["applicant"])


def _row_id(row: lifecycle.Transition) -> str:
    return f"{row.source}-{row.action}-{row.target}" + (f"[{row.guard}]" if row.guard else "")


# Forwarding to another node (异地代收) needs a trust list naming that node: tests/cases/test_transfer.py
# runs that row for its rule and refuses it without.
LOCAL_ROWS = [row for row in lifecycle.TRANSITIONS if row.guard != "handled_elsewhere"]


@pytest.mark.parametrize("row", LOCAL_ROWS, ids=_row_id)
def test_every_row_runs_for_its_rule_and_is_refused_without_it(row: lifecycle.Transition, clock):
    if row.guard == "immediate":
        w = m.world(case_type="immediate")
    elif row.guard in CREDIT_GUARDS or S.REVOKED in (row.source, row.target):
        w = m.credit_world()
    else:
        w = m.world()
    if row.source == lifecycle.NEW:
        _new_row(w, row)
        return
    if row.who == "case.system":
        _system_row(w, row, clock)
        return
    case = drive(
        w,
        row.source,
        order=row.action == "answer-supervision",
        last_step=row.guard == "last_step",
        signed=SIGNED_FOR.get(row.guard or ""),
    )
    assert row.applies(case)
    if row.action == "correct":  # the applicant supplies what the notice listed
        m.attach_all(w, case)
    for login in refusers(row.who):
        before = snapshot(case)
        with pytest.raises(PolicyDenied) as refused:
            command(w, login, row.action, case)()
        assert refused.value.status == 403
        assert snapshot(case) == before, f"{login} was refused but the case changed"
    before_version = case.version
    do(w, WHO_DOES[row.who], row.action, case)
    assert case.status == row.target
    assert case.version > before_version
    last = case.events.order_by("-seq").first()
    assert (last.action, last.status_before, last.status_after) == (row.action, row.source, row.target)


def _new_row(w: m.World, row: lifecycle.Transition) -> None:
    if row.action == "create":
        with pytest.raises(PolicyDenied):  # nobody logged in
            services.create_draft(Actor(user=AnonymousUser()), implementation=w.implementation)
        case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    else:
        person = Person.objects.get(user=w.applicant)
        for login in refusers(row.who):
            with pytest.raises(PolicyDenied):
                services.receive(
                    w.actor(login), implementation=w.implementation, person=person, identity_check="核验身份证原件"
                )
        case = services.receive(
            w.actor("clerk"), implementation=w.implementation, person=person, identity_check="核验身份证原件"
        )
    assert Case.objects.count() == 1
    assert case.status == row.target
    assert list(case.events.values_list("action", "status_before", "status_after")) == [(row.action, "", row.target)]


def _system_row(w: m.World, row: lifecycle.Transition, clock) -> None:  # type: ignore[no-untyped-def]
    case = drive(w, row.source, signed="tolerance" if row.action == "lapse" else None)
    root = im.user("root", is_superuser=True)
    for account in (w.clerk, w.reviewer, w.head, w.supervisor, w.applicant, root):
        assert not may(actor_for_user(account), row.who, case), f"{account} must not hold {row.who}"
        assert row.action not in services.allowed_actions(actor_for_user(account), case)
    if row.action == "lapse":
        clock.set(case.materials.get(name=m.TOLERATED).supply_by + timedelta(minutes=1))
        assert services.lapse_overdue() == 1
    else:
        later = case.arrived_at + timedelta(days=30)
        assert services.apply_article_32(now=later) == 1
    case.refresh_from_db()
    assert case.status == row.target
    last = case.events.order_by("-seq").first()
    assert (last.action, last.actor, last.status_before) == (row.action, "system", row.source)


# --- allowed_actions: the buttons each login gets at each status -------------------------------------

NONE: set[str] = set()
LOGINS = ("applicant", "clerk", "reviewer", "head", "supervisor")
ALLOWED: dict[str, dict[str, set[str]]] = {
    "draft": {"applicant": {"save", "submit", "withdraw"}},
    "pending": {
        "applicant": {"withdraw"},
        "clerk": {"accept", "refuse", "request-correction", "withdraw"},
        "head": {"terminate"},
        "supervisor": {"supervise"},
    },
    "pending-immediate": {
        "applicant": {"withdraw"},
        "clerk": {"approve", "refuse", "request-correction", "withdraw"},
        "head": {"terminate"},
        "supervisor": {"supervise"},
    },
    "correction": {
        "applicant": {"correct", "withdraw"},
        "clerk": {"correct", "withdraw"},
        "head": {"terminate"},
        "supervisor": {"supervise"},
    },
    "in_review": {
        "applicant": {"withdraw"},
        "clerk": {"withdraw"},
        "reviewer": {"review", "suspend"},
        "head": {"review", "suspend", "extend", "terminate"},
        "supervisor": {"supervise"},
    },
    "in_review-last": {
        "applicant": {"withdraw"},
        "clerk": {"withdraw"},
        "reviewer": {"approve", "deny", "suspend"},
        "head": {"approve", "deny", "suspend", "extend", "terminate"},
        "supervisor": {"supervise"},
    },
    "in_review-order": {
        "applicant": {"withdraw"},
        "clerk": {"withdraw", "answer-supervision"},
        "reviewer": {"review", "suspend", "answer-supervision"},
        "head": {"review", "suspend", "extend", "terminate", "answer-supervision"},
        "supervisor": {"supervise"},
    },
    "suspended": {
        "applicant": {"withdraw"},
        "clerk": {"withdraw"},
        "reviewer": {"resume"},
        "head": {"resume", "extend", "terminate"},
        "supervisor": {"supervise"},
    },
    "approved": {"clerk": {"issue"}, "reviewer": {"issue"}, "supervisor": {"supervise"}},
    "denied": {"clerk": {"deliver"}},
    "issued": {"clerk": {"deliver"}, "supervisor": {"supervise"}},
    "completed": {},
    "completed-order": {
        "clerk": {"answer-supervision"},
        "reviewer": {"answer-supervision"},
        "head": {"answer-supervision"},
    },
    "refused": {},
    "withdrawn": {},
    "terminated": {},
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_allowed_actions_per_login_and_status_are_what_the_table_says(state: str):
    status, _, variant = state.partition("-")
    w = m.world(case_type="immediate") if variant == "immediate" else m.world()
    case = drive(w, status, order=variant == "order", last_step=variant == "last")
    got = {login: set(services.allowed_actions(w.actor(login), case)) for login in LOGINS}
    want = {login: ALLOWED[state].get(login, NONE) for login in LOGINS}
    assert got == want


def test_staff_of_another_department_or_region_get_no_actions():
    w = m.world()
    case = drive(w, S.PENDING)
    other_dept = f.department("411500")
    elsewhere = f.department("320500")
    for account, action in (
        (im.staff("window_clerk", "411500", department=other_dept), "accept"),
        (im.staff("department_head", "411500", department=other_dept), "terminate"),
        (im.staff("window_clerk", "320500", department=elsewhere), "accept"),
    ):
        assert services.allowed_actions(actor_for_user(account), case) == []
        with pytest.raises(PolicyDenied) as refused:
            command(w, actor_for_user(account), action, case)()
        assert refused.value.decision.code == "out_of_scope"
    assert snapshot(case)[0] == S.PENDING


# --- the checks every command makes ------------------------------------------------------------------


def _problems(exc: DomainError) -> list[tuple[str | None, str]]:
    return [(p.field, p.code) for p in exc.problems]


def test_an_action_in_the_wrong_state_is_a_409_naming_the_state():
    w = m.world()
    case = drive(w, S.DRAFT)
    with pytest.raises(Conflict) as wrong:
        services.accept(w.actor("clerk"), case)
    assert _problems(wrong.value) == [("action", "wrong_state")]
    problem = wrong.value.problems[0].text
    assert "accept" in problem.en and "submit" in problem.en and "accept" in problem.zh
    assert snapshot(case)[:2] == (S.DRAFT, case.version)


def test_a_guard_that_does_not_hold_is_a_409_condition_not_met():
    w = m.world()
    case = drive(w, S.IN_REVIEW)  # at 审查, the first of two steps
    with pytest.raises(Conflict) as early:
        services.approve(w.actor("head"), case)
    assert _problems(early.value) == [("action", "condition_not_met")]
    do(w, "reviewer", "review", case)
    with pytest.raises(Conflict) as late:
        services.review(w.actor("reviewer"), case, opinion="再审一次")
    assert _problems(late.value) == [("action", "condition_not_met")]


def test_two_clerks_on_one_case_the_second_gets_a_stale_version_409():
    w = m.world()
    case = drive(w, S.PENDING)
    second = actor_for_user(im.staff("window_clerk", "411500", department=w.department))
    seen = case.version
    services.request_correction(
        w.actor("clerk"), case, items=[{"material": case.materials.first().pk, "problem": "缺页"}], version=seen
    )
    before = snapshot(case)
    with pytest.raises(Conflict) as stale:
        services.accept(second, case, version=seen)
    assert _problems(stale.value) == [("version", "stale_version")]
    assert snapshot(case) == before


# --- online application and window intake --------------------------------------------------------------


def test_online_application_from_draft_to_pending():
    w = m.world(
        form_schema={"type": "object", "required": ["退休日期"], "properties": {"退休日期": {"type": "string"}}}
    )
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    assert case.status == S.DRAFT and case.channel == "online" and case.applicant_name == "李四"
    assert [m_.name for m_ in case.materials.all()] == ["居民身份证", "退休证明"]
    with pytest.raises(DomainError) as incomplete:
        services.submit(w.actor("applicant"), case)
    # Every problem at once: the form and the missing materials, so the applicant fixes them in one go.
    assert _problems(incomplete.value) == [("form_data.退休日期", "form_required")] + [
        (f"materials[{x.pk}]", "material_missing") for x in case.materials.all()
    ]
    services.save_draft(w.actor("applicant"), case, form_data={"退休日期": "2026-10-01"})
    with pytest.raises(DomainError) as missing:
        services.submit(w.actor("applicant"), case)
    assert {code for _, code in _problems(missing.value)} == {"material_missing"}
    assert len(missing.value.problems) == 2
    m.attach_all(w, case)
    case = do(w, "applicant", "submit", case)
    assert case.status == S.PENDING and case.arrived_at is not None


def test_an_applicant_without_identity_registration_cannot_draft():
    w = m.world()
    bare = actor_for_user(im.user())
    with pytest.raises(DomainError) as refused:
        services.create_draft(bare, implementation=w.implementation)
    assert _problems(refused.value) == [("applicant", "no_person")]


def test_window_intake_records_identity_check_and_each_material():
    w = m.world()
    person = Person.objects.get(user=w.applicant)
    case = services.receive(
        w.actor("clerk"), implementation=w.implementation, person=person, identity_check="读卡器核验"
    )
    assert (case.status, case.channel, case.identity_check) == (S.PENDING, "window", "读卡器核验")
    assert case.received_by.user == w.clerk
    first, second = case.materials.all()
    services.record_material(w.actor("clerk"), case, material_id=first.pk, evidence=MaterialEvidence.ORIGINAL_SEEN)
    with pytest.raises(DomainError) as missing:
        services.accept(w.actor("clerk"), case)
    assert _problems(missing.value) == [(f"materials[{second.pk}]", "material_missing")]
    with pytest.raises(DomainError) as no_file:
        services.record_material(w.actor("clerk"), case, material_id=second.pk, evidence=MaterialEvidence.UPLOAD)
    assert _problems(no_file.value) == [("evidence", "no_file")]
    services.record_material(
        w.actor("clerk"), case, material_id=second.pk, evidence=MaterialEvidence.COPY_SCANNED, note="复印件已扫描"
    )
    with pytest.raises(PolicyDenied):
        services.record_material(w.actor("reviewer"), case, material_id=second.pk, evidence="original_seen")
    evidence = dict(case.materials.values_list("name", "evidence"))
    assert evidence == {"居民身份证": "original_seen", "退休证明": "copy_scanned"}
    case = do(w, "clerk", "accept", case)
    assert case.status == S.IN_REVIEW
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["receive", "record-material", "record-material", "accept"]


def test_window_intake_asks_the_policy_before_looking_at_the_input():
    w = m.world()
    for login in ("reviewer", "applicant"):
        with pytest.raises(PolicyDenied):
            services.receive(w.actor(login), implementation=w.implementation, identity_check="")
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"person": None}, "applicant", "required"),
        ({"identity_check": ""}, "identity_check", "required"),
    ],
)
def test_window_intake_refuses_incomplete_input(change: dict[str, Any], field: str, code: str):
    w = m.world()
    given: dict[str, Any] = {"person": Person.objects.get(user=w.applicant), "identity_check": "核验原件", **change}
    with pytest.raises(DomainError) as refused:
        services.receive(w.actor("clerk"), implementation=w.implementation, **given)
    assert _problems(refused.value) == [(field, code)]
    assert Case.objects.count() == 0


# --- acceptance, refusal, correction ----------------------------------------------------------------------


def test_accept_starts_the_clock_gives_a_number_and_queues_the_notice():
    w = m.world()
    case = do(w, "clerk", "accept", drive(w, S.PENDING))
    assert case.accepted_at is not None and case.acceptance_number.startswith("411500-SL-2026-")
    assert case.statutory_deadline and case.promised_deadline and case.promised_deadline <= case.statutory_deadline
    notice = case.notices.get()
    assert notice.kind == NoticeKind.ACCEPTANCE and notice.state == "pending"
    assert notice.context["acceptance_number"] == case.acceptance_number


def test_refusal_needs_reasons_and_basis_and_closes_the_case():
    w = m.world()
    case = drive(w, S.PENDING)
    with pytest.raises(DomainError) as no_basis:
        services.refuse(w.actor("clerk"), case, reasons="不属于本机关职权", basis=" ")
    assert _problems(no_basis.value) == [("basis", "required")]
    case = do(w, "clerk", "refuse", case)
    assert case.status == S.REFUSED and case.closed_at and case.basis.startswith("行政许可法")
    notice = case.notices.get()
    assert notice.kind == NoticeKind.REFUSAL and notice.context["reasons"] == "不属于本机关职权范围"


def test_a_correction_request_lists_every_material_at_once():
    w = m.world()
    case = drive(w, S.PENDING)
    first, second = case.materials.all()
    with pytest.raises(DomainError) as empty:
        services.request_correction(w.actor("clerk"), case, items=[])
    assert _problems(empty.value) == [("items", "required")]
    with pytest.raises(DomainError) as no_problem:
        services.request_correction(w.actor("clerk"), case, items=[{"material": first.pk, "problem": ""}])
    assert _problems(no_problem.value) == [("items[0].problem", "required")]
    with pytest.raises(DomainError) as twice:
        services.request_correction(
            w.actor("clerk"),
            case,
            items=[{"material": first.pk, "problem": "a"}, {"material": first.pk, "problem": "b"}],
        )
    assert _problems(twice.value) == [("items[1].material", "duplicate")]
    assert snapshot(case)[:2] == (S.PENDING, case.version)
    services.request_correction(
        w.actor("clerk"),
        case,
        items=[
            {"material": first.pk, "problem": "身份证已过期", "requirement": "提供有效期内的身份证"},
            {"material": second.pk, "problem": "退休证明缺少盖章"},
        ],
        note="请一次性补齐",
    )
    case.refresh_from_db()
    assert case.status == S.CORRECTION
    assert set(case.materials.values_list("state", flat=True)) == {MaterialState.REJECTED}
    notice = case.notices.get()
    assert notice.kind == NoticeKind.CORRECTION
    assert [i["name"] for i in notice.context["items"]] == ["居民身份证", "退休证明"]
    # Correcting before supplying every listed material names each one still missing.
    with pytest.raises(DomainError) as early:
        services.correct(w.actor("applicant"), case)
    assert _problems(early.value) == [
        (f"materials[{first.pk}]", "not_corrected"),
        (f"materials[{second.pk}]", "not_corrected"),
    ]
    m.attach_all(w, case)
    case = do(w, "applicant", "correct", case)
    assert case.status == S.PENDING
    assert case.accepted_at is None  # the clock has not started: correction time is outside it


# --- 即办件, review steps, decisions ---------------------------------------------------------------------


def test_an_immediate_case_is_accepted_and_approved_in_one_step():
    w = m.world(case_type="immediate")
    case = drive(w, S.PENDING)
    with pytest.raises(Conflict) as not_promised:
        services.accept(w.actor("clerk"), case)
    assert _problems(not_promised.value) == [("action", "condition_not_met")]
    case = do(w, "clerk", "approve", case)
    assert case.status == S.APPROVED and case.outcome == Outcome.APPROVE
    assert case.accepted_at == case.decided_at and case.acceptance_number
    last = case.events.order_by("-seq").first()
    assert (last.action, last.status_before) == ("approve", S.PENDING)
    assert last.payload["acceptance_number"] == case.acceptance_number
    assert case.notices.filter(kind=NoticeKind.DECISION).exists()


def test_review_steps_are_signed_in_order_and_only_the_last_decides():
    w = m.world(review_steps=["审查", "审核", "审批"])
    case = drive(w, S.IN_REVIEW)
    assert case.current_step_name == "审查"
    for opinion, step in (("材料齐全", "审核"), ("符合条件", "审批")):
        with pytest.raises(Conflict):
            services.deny(w.actor("head"), case, reasons="x", basis="y")
        with pytest.raises(PolicyDenied):
            services.review(w.actor("clerk"), case, opinion=opinion)
        with pytest.raises(DomainError) as blank:
            services.review(w.actor("reviewer"), case, opinion="")
        assert _problems(blank.value) == [("opinion", "required")]
        services.review(w.actor("reviewer"), case, opinion=opinion)
        case.refresh_from_db()
        assert case.current_step_name == step
    case = do(w, "head", "approve", case)
    opinions = list(case.opinions.values_list("step_name", "opinion", "outcome"))
    assert opinions == [("审查", "材料齐全", "pass"), ("审核", "符合条件", "pass"), ("审批", "同意", "approve")]


def test_a_denial_needs_reasons_and_basis():
    w = m.world()
    case = drive(w, S.IN_REVIEW, last_step=True)
    with pytest.raises(DomainError) as bare:
        services.deny(w.actor("reviewer"), case, reasons="", basis="")
    assert _problems(bare.value) == [("reasons", "required")]
    case = do(w, "reviewer", "deny", case)
    assert (case.status, case.outcome, case.reasons) == (S.DENIED, Outcome.DENY, "不符合提取条件")
    assert case.notices.get(kind=NoticeKind.DECISION).context["outcome"] == "deny"
    case = do(w, "clerk", "deliver", case)
    assert case.status == S.COMPLETED


# --- extension, special procedures, withdrawal, termination -----------------------------------------------


def test_only_the_head_extends_and_the_reason_is_kept():
    w = m.world()
    case = drive(w, S.IN_REVIEW)
    for login in ("reviewer", "clerk", "applicant"):
        with pytest.raises(PolicyDenied):
            services.extend(w.actor(login), case, days=5, reason="复杂")
    for days, code in ((0, "out_of_range"), (31, "out_of_range"), ("五", "not_integer")):
        with pytest.raises(DomainError) as bad:
            services.extend(w.actor("head"), case, days=days, reason="复杂")
        assert _problems(bad.value) == [("days", code)]
    with pytest.raises(DomainError) as no_reason:
        services.extend(w.actor("head"), case, days=5, reason="")
    assert _problems(no_reason.value) == [("reason", "required")]
    case = do(w, "head", "extend", case)
    assert case.extension_days == 5
    assert list(case.extensions.values_list("days", "reason", "approved_by")) == [
        (5, "情况复杂，经负责人批准延期", w.head.pk)
    ]


def test_a_special_procedure_needs_a_known_kind_and_a_reason():
    w = m.world()
    case = drive(w, S.IN_REVIEW)
    before = snapshot(case)
    with pytest.raises(DomainError) as no_reason:
        services.suspend(w.actor("reviewer"), case, kind="hearing", reason="  ")
    assert _problems(no_reason.value) == [("reason", "required")]
    with pytest.raises(DomainError) as no_kind:
        services.suspend(w.actor("reviewer"), case, kind="picnic", reason="x")
    assert _problems(no_kind.value) == [("kind", "unknown")]
    assert snapshot(case) == before
    case = do(w, "reviewer", "suspend", case)
    assert list(case.suspensions.values_list("kind", "reason", "ended_at")) == [
        ("expert_review", "需组织专家评审", None)
    ]
    case = do(w, "reviewer", "resume", case)
    suspension = case.suspensions.get()
    assert suspension.ended_at is not None and suspension.result == "专家评审通过"


def test_withdrawal_is_possible_before_the_decision_only():
    w = m.world()
    case = drive(w, S.SUSPENDED)
    case = do(w, "applicant", "withdraw", case)
    assert case.status == S.WITHDRAWN and case.closed_at
    assert case.suspensions.get().ended_at is not None  # the special procedure ends with the case
    decided = drive(w, S.APPROVED)
    with pytest.raises(Conflict) as late:
        services.withdraw(w.actor("applicant"), decided)
    assert _problems(late.value) == [("action", "wrong_state")]


def test_termination_needs_reasons():
    w = m.world()
    case = drive(w, S.IN_REVIEW)
    with pytest.raises(DomainError) as bare:
        services.terminate(w.actor("head"), case, reasons="")
    assert _problems(bare.value) == [("reasons", "required")]
    case = do(w, "head", "terminate", case)
    assert (case.status, case.reasons) == (S.TERMINATED, "申请人死亡") and case.closed_at


# --- issue and delivery -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "given", "missing"),
    [
        ("window", {"recipient_id_check": "核验领取人身份证原件"}, "recipient_id_check"),
        (
            "post",
            {"carrier": "中国邮政EMS", "tracking_number": "1181234567890", "address": "信阳市浉河区某路1号"},
            "tracking_number",
        ),
        ("online", {}, None),
    ],
)
def test_delivery_by_each_method_completes_the_case_and_runs_the_hooks(
    monkeypatch, method: str, given: dict[str, str], missing: str | None
):
    w = m.world()
    completed: list[tuple[str, str]] = []
    monkeypatch.setattr(services, "AFTER_COMPLETION", [lambda c: completed.append((c.number, c.status))])
    case = do(w, "clerk", "issue", drive(w, S.APPROVED))
    assert case.status == S.ISSUED and case.result_number == f"{case.number}-R"
    if missing:
        with pytest.raises(DomainError) as incomplete:
            services.deliver(w.actor("clerk"), case, method=method, **{**given, missing: ""})
        assert _problems(incomplete.value) == [(missing, "required")]
        assert completed == []
    with pytest.raises(DomainError) as unknown:
        services.deliver(w.actor("clerk"), case, method="pigeon")
    assert _problems(unknown.value) == [("method", "unknown")]
    services.deliver(w.actor("clerk"), case, method=method, **given)
    case.refresh_from_db()
    assert (case.status, case.delivery_method) == (S.COMPLETED, method)
    assert case.delivery == given and case.delivered_at and case.closed_at
    assert completed == [(case.number, S.COMPLETED)]


def test_an_upload_is_refused_once_the_case_is_in_review():
    w = m.world()
    case = drive(w, S.IN_REVIEW)
    before = snapshot(case)
    with pytest.raises(Conflict) as late:
        services.attach_file(
            w.actor("applicant"), case, material_id=case.materials.first().pk, upload=io.BytesIO(m.PDF), name="a.pdf"
        )
    assert _problems(late.value) == [("material", "wrong_state")]
    assert snapshot(case) == before
