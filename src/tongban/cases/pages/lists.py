"""Lists of cases: the applicant's own, a staff member's queue, and the supervisor's late cases."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, F, Q, QuerySet, Value
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tongban.cases import services
from tongban.cases.choices import CLOSED, OrderState, Status, WarningLevel
from tongban.cases.models import Case
from tongban.cases.pages import commitments
from tongban.cases.pages.common import is_staff, role_needed, visible_cases
from tongban.identity.actor import Actor, actor_for
from tongban.identity.choices import Role
from tongban.identity.policy import may, visible

PAGE_SIZE = 50

# What each role acts on, for its queue; "all" shows every open case the role may see.
ROLE_STATUSES: dict[str, tuple[str, ...]] = {
    Role.WINDOW_CLERK: (Status.PENDING, Status.CORRECTION, Status.APPROVED, Status.ISSUED, Status.DENIED),
    Role.REVIEWER: (Status.IN_REVIEW, Status.SUSPENDED, Status.APPROVED),
    Role.DEPARTMENT_HEAD: (Status.IN_REVIEW, Status.SUSPENDED),
}
OPEN_STATUSES = tuple(s for s in Status.values if s not in CLOSED and s != Status.DRAFT)


def _with_orders(qs: QuerySet) -> QuerySet:
    return qs.annotate(open_orders=Count("orders", filter=Q(orders__state=OrderState.OPEN)))


def _page(request: HttpRequest, qs: QuerySet):  # type: ignore[no-untyped-def]
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """/cases/: where a person starts, by the role they act in."""
    actor = actor_for(request)
    if actor.assignment is not None and actor.assignment.role == Role.SUPERVISOR:
        return HttpResponseRedirect(reverse("cases:supervision"))
    if is_staff(actor):
        return HttpResponseRedirect(reverse("cases:queue"))
    if actor.role_problem is not None:
        return role_needed(request, actor, actor.role_problem)
    return HttpResponseRedirect(reverse("cases:mine"))


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """My cases (我的办件): the cases one applies for, drafts included, newest first."""
    actor = actor_for(request)
    as_applicant = Actor(user=request.user, person=actor.person)
    qs = visible(as_applicant, "case.read", Case.objects.all()).order_by("-created_at", "-id")
    return render(request, "cases/mine.html", {"page": _page(request, qs), "has_person": actor.person is not None})


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """My queue (我的待办): open cases in the role's scope, the soonest promised deadline first."""
    actor = actor_for(request)
    if not is_staff(actor):
        return role_needed(request, actor, actor.role_problem or _("This page is for staff acting in a role."))
    role = actor.assignment.role if actor.assignment else ""
    statuses = ROLE_STATUSES.get(role)
    show_all = request.GET.get("all") == "1" or statuses is None
    qs = visible_cases(actor, Case.objects.select_related("department"))
    qs = qs.filter(status__in=OPEN_STATUSES if show_all else statuses)
    qs = _with_orders(qs).order_by(F("promised_deadline").asc(nulls_last=True), "arrived_at", "id")
    context = {
        "page": _page(request, qs),
        "show_all": show_all,
        "filtered_by_role": statuses is not None,
        "role_statuses": [Status(s).label for s in statuses or ()],
        "actor": actor,
    }
    return render(request, "cases/queue.html", context)


@login_required
@require_safe
def supervision(request: HttpRequest) -> HttpResponse:
    """督办: overdue (red) then due-soon (yellow) cases in the supervisor's region and below; above them the
    figures of 告知承诺 and 容缺 in that scope, and the post-verifications past their due date."""
    actor = actor_for(request)
    decision = may(actor, "case.supervise")
    if not decision:
        return role_needed(request, actor, decision.reason)
    qs = visible_cases(actor, Case.objects.select_related("department", "region"))
    qs = qs.filter(status__in=OPEN_STATUSES, warning__in=[WarningLevel.RED, WarningLevel.YELLOW])
    rank = models.Case(
        models.When(warning=WarningLevel.RED, then=Value(0)), default=Value(1), output_field=models.IntegerField()
    )
    qs = _with_orders(qs).annotate(rank=rank).order_by("rank", F("promised_deadline").asc(nulls_last=True), "id")
    page = _page(request, qs)
    rows = [(case, "supervise" in services.allowed_actions(actor, case)) for case in page]
    context = {"page": page, "rows": rows, "next": request.get_full_path(), **commitments.supervision_summary(actor)}
    return render(request, "cases/supervision.html", context)
