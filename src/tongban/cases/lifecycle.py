"""The lifecycle of a case (办件流程) as one table: from, action, to, who may, and when.

Every command in ``services.py`` looks its transition up here (``transition``), and the API and pages
offer exactly the rows ``allowed_actions`` returns for the caller; ``tongban lifecycle_diagram`` renders
the same table into ``docs/case-lifecycle.md``, so code and docs cannot disagree.

``who`` is an action of the permission policy (``identity/policy.py``): the policy decides which roles
(and whether the applicant, on their own case) hold it, scoped to the case's region and department.
``guard`` names a condition on the case beyond its status; ``GUARDS`` holds them with their explanation.
A row whose source equals its target is an action that records something without moving the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tongban.cases.choices import Status
from tongban.core.messages import Text

if TYPE_CHECKING:
    from tongban.cases.models import Case

S = Status
NEW = "new"  # the source of the actions that create a case


@dataclass(frozen=True)
class Guard:
    name: str
    explain: Text
    check: Callable[[Case], bool]


def _at_last_step(case: Case) -> bool:
    return case.current_step >= max(len(case.review_steps) - 1, 0)


def _offers_commitment(case: Case) -> bool:
    guide = case.guide_version
    return guide.commitment_allowed or guide.materials.filter(necessity="tolerated").exists()


def _owed(case: Case) -> bool:
    return case.materials.filter(state="tolerated").exists()


def _overdue(case: Case) -> bool:
    from django.utils import timezone

    return case.materials.filter(state="tolerated", supply_by__lt=timezone.now()).exists()


GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard(
            "immediate",
            Text("即办件：受理与决定一步完成", "immediate case (即办件): accepted and decided in one step"),
            lambda case: case.is_immediate,
        ),
        Guard(
            "promised",
            Text("承诺件：受理后进入审查", "promised case: review follows acceptance"),
            lambda case: not case.is_immediate,
        ),
        Guard(
            "steps_left",
            Text("尚有未完成的审查环节", "review steps before the last remain"),
            lambda case: not _at_last_step(case),
        ),
        Guard(
            "last_step",
            Text("已到最后一个审查环节（审批）", "the case is at its last review step (the decision)"),
            _at_last_step,
        ),
        Guard(
            "commitment_offered",
            Text(
                "办事指南实行告知承诺或有可容缺的材料",
                "the guide offers 告知承诺 or lets a material be accepted as missing (容缺)",
            ),
            _offers_commitment,
        ),
        Guard(
            "materials_owed",
            Text("有容缺受理、尚待补齐的材料", "a material accepted as missing (容缺) is still to be supplied"),
            _owed,
        ),
        Guard(
            "materials_in",
            Text("容缺材料已全部补齐", "every material accepted as missing (容缺) has been supplied"),
            lambda case: not _owed(case),
        ),
        Guard(
            "supply_overdue",
            Text("容缺材料已过补齐期限", "a material accepted as missing is past its supply deadline"),
            _overdue,
        ),
        Guard(
            "handled_here",
            Text("由本节点办理的办件", "decided at this node"),
            lambda case: not case.home_node,
        ),
        Guard(
            "handled_elsewhere",
            Text("本窗口代收、由其他地区节点办理的办件", "received here for another region's node, which decides it"),
            lambda case: bool(case.home_node),
        ),
        Guard(
            "verification_open",
            Text("有待完成的事后核查", "a post-verification (事后核查) of a commitment is open"),
            lambda case: case.verifications.filter(state="open").exists(),
        ),
        Guard(
            "commitment_false",
            Text("事后核查认定承诺不实", "post-verification found the commitment false"),
            lambda case: case.verifications.filter(state="false").exists(),
        ),
    )
}


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    who: str
    description: Text
    guard: str | None = None

    def applies(self, case: Case) -> bool:
        return self.guard is None or GUARDS[self.guard].check(case)


_OPEN_BEFORE_DECISION = (S.PENDING, S.CORRECTION, S.IN_REVIEW, S.SUSPENDED)
_SUPERVISABLE = (S.PENDING, S.CORRECTION, S.IN_REVIEW, S.SUSPENDED, S.APPROVED, S.ISSUED)
_ACCEPTED_OPEN = (S.IN_REVIEW, S.SUSPENDED, S.APPROVED)


def _rows() -> list[Transition]:
    t = Transition
    rows = [
        t(
            NEW,
            "create",
            S.DRAFT,
            "case.apply",
            Text("申请人在线起草申请", "the applicant drafts an online application"),
        ),
        t(S.DRAFT, "save", S.DRAFT, "case.apply", Text("保存表单和材料", "save the form and materials")),
        t(S.DRAFT, "submit", S.PENDING, "case.apply", Text("提交申请", "submit the application")),
        t(NEW, "receive", S.PENDING, "case.intake", Text("窗口收件（核验身份、登记材料）", "receive at a window")),
        t(
            S.PENDING,
            "forward",
            S.FORWARDED,
            "case.intake",
            Text("转递办理地（异地代收代办）", "forward to the handling region's node (异地代收代办)"),
            "handled_elsewhere",
        ),
        t(
            S.PENDING,
            "accept",
            S.IN_REVIEW,
            "case.intake",
            Text("受理，期限开始计算", "accept; the clock starts"),
            "promised",
        ),
        t(
            S.PENDING,
            "approve",
            S.APPROVED,
            "case.intake",
            Text("即办件当场受理并准予", "accept and approve an immediate case at once"),
            "immediate",
        ),
        t(S.PENDING, "refuse", S.REFUSED, "case.intake", Text("不予受理", "refuse acceptance, with reasons and basis")),
        t(
            S.PENDING,
            "request-correction",
            S.CORRECTION,
            "case.intake",
            Text("一次性告知补正", "request every correction at once"),
        ),
        t(
            S.PENDING,
            "deem-accepted",
            S.IN_REVIEW,
            "case.system",
            Text(
                "逾期未告知补正，自收到申请之日起即为受理（行政许可法第三十二条）",
                "no correction request within 5 working days: accepted as of arrival (art. 32)",
            ),
        ),
        t(
            S.DRAFT,
            "commit",
            S.DRAFT,
            "case.apply",
            Text("签署告知承诺书或容缺受理承诺书", "sign a commitment (告知承诺) or a promise to supply (容缺)"),
            "commitment_offered",
        ),
        t(
            S.PENDING,
            "commit",
            S.PENDING,
            "case.intake",
            Text("登记申请人签署的承诺书", "record the commitment the applicant signed"),
            "commitment_offered",
        ),
        t(
            S.CORRECTION,
            "correct",
            S.PENDING,
            "case.correct",
            Text("补正材料", "supply the corrected materials"),
            "handled_here",
        ),
        t(
            S.CORRECTION,
            "correct",
            S.FORWARDED,
            "case.correct",
            Text("补正材料并转递办理地", "supply the corrected materials, which go to the handling node"),
            "handled_elsewhere",
        ),
        t(
            S.IN_REVIEW,
            "review",
            S.IN_REVIEW,
            "case.review",
            Text("审查环节签署意见", "sign a review step"),
            "steps_left",
        ),
        t(S.IN_REVIEW, "approve", S.APPROVED, "case.decide", Text("决定准予", "decide to approve"), "last_step"),
        t(S.IN_REVIEW, "deny", S.DENIED, "case.decide", Text("决定不予", "decide to deny"), "last_step"),
        t(
            S.IN_REVIEW,
            "suspend",
            S.SUSPENDED,
            "case.suspend",
            Text("进入特别程序（不计时）", "start a special procedure"),
        ),
        t(
            S.SUSPENDED,
            "resume",
            S.IN_REVIEW,
            "case.suspend",
            Text("特别程序结束，恢复计时", "end the special procedure"),
        ),
        t(
            S.IN_REVIEW,
            "extend",
            S.IN_REVIEW,
            "case.extend",
            Text("负责人批准延期", "extend the limit (head's approval)"),
        ),
        t(
            S.SUSPENDED,
            "extend",
            S.SUSPENDED,
            "case.extend",
            Text("负责人批准延期", "extend the limit (head's approval)"),
        ),
        t(S.APPROVED, "issue", S.ISSUED, "case.issue", Text("制证出件", "produce the result"), "materials_in"),
        t(S.ISSUED, "deliver", S.COMPLETED, "case.deliver", Text("送达结果并办结", "deliver the result; completed")),
        t(
            S.DENIED,
            "deliver",
            S.COMPLETED,
            "case.deliver",
            Text("送达不予决定并办结", "deliver the denial; completed"),
        ),
    ]
    rows += [
        t(s, "withdraw", S.WITHDRAWN, "case.withdraw", Text("申请人撤回申请", "the applicant withdraws"))
        for s in (S.DRAFT, *_OPEN_BEFORE_DECISION)
    ]
    rows += [
        t(s, "terminate", S.TERMINATED, "case.terminate", Text("终止办理", "terminate, with reasons"))
        for s in _OPEN_BEFORE_DECISION
    ]
    rows += [
        t(
            s,
            "supply",
            s,
            "case.correct",
            Text("补齐容缺材料", "supply a material accepted as missing"),
            "materials_owed",
        )
        for s in _ACCEPTED_OPEN
    ]
    rows += [
        t(
            s,
            "lapse",
            S.TERMINATED,
            "case.system",
            Text("容缺材料逾期未补齐，终止办理", "a material accepted as missing was not supplied in time: terminated"),
            "supply_overdue",
        )
        for s in _ACCEPTED_OPEN
    ]
    rows += [
        t(s, "verify", s, "case.verify", Text("记录事后核查结果", "record the post-verification"), "verification_open")
        for s in (*_ACCEPTED_OPEN, S.DENIED, S.ISSUED, S.COMPLETED)
    ]
    rows += [
        t(
            s,
            "revoke",
            S.REVOKED,
            "case.revoke",
            Text("承诺不实，撤销准予决定", "revoke the approval: the commitment was false"),
            "commitment_false",
        )
        for s in (S.APPROVED, S.ISSUED, S.COMPLETED)
    ]
    rows += [t(s, "supervise", s, "case.supervise", Text("督办", "issue a supervision order")) for s in _SUPERVISABLE]
    rows += [
        t(s, "answer-supervision", s, "case.answer", Text("回复督办", "answer a supervision order"))
        for s in (*_SUPERVISABLE, S.DENIED, S.COMPLETED, S.REFUSED, S.WITHDRAWN, S.TERMINATED, S.REVOKED)
    ]
    return rows


TRANSITIONS: tuple[Transition, ...] = tuple(_rows())
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(row.action for row in TRANSITIONS))


def rows_for(source: str, action: str) -> list[Transition]:
    return [row for row in TRANSITIONS if row.source == source and row.action == action]


def transitions_from(source: str) -> list[Transition]:
    return [row for row in TRANSITIONS if row.source == source]
