"""What every case page shares: finding the case the actor may see, action labels, errors beside fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy

from tongban.cases.models import Case
from tongban.core.errors import DomainError
from tongban.identity.actor import Actor
from tongban.identity.policy import is_own, visible
from tongban.web.views import not_found

# The button of each action of the lifecycle table (the actions a page may offer).
ACTION_LABELS: dict[str, Any] = {
    "save": gettext_lazy("Save"),
    "submit": gettext_lazy("Submit the application"),
    "accept": gettext_lazy("Accept"),
    "approve": gettext_lazy("Approve"),
    "refuse": gettext_lazy("Refuse acceptance"),
    "request-correction": gettext_lazy("Request corrections"),
    "correct": gettext_lazy("Corrections supplied"),
    "review": gettext_lazy("Sign this review step"),
    "deny": gettext_lazy("Deny"),
    "suspend": gettext_lazy("Start a special procedure"),
    "resume": gettext_lazy("End the special procedure"),
    "extend": gettext_lazy("Extend the time limit"),
    "issue": gettext_lazy("Issue the result"),
    "deliver": gettext_lazy("Deliver and complete"),
    "forward": gettext_lazy("Forward to the handling region"),
    "withdraw": gettext_lazy("Withdraw the application"),
    "terminate": gettext_lazy("Terminate handling"),
    "supervise": gettext_lazy("Issue a supervision order"),
    "answer-supervision": gettext_lazy("Answer the supervision order"),
    "commit": gettext_lazy("Sign a commitment"),
    "supply": gettext_lazy("Supply a missing material"),
    "verify": gettext_lazy("Record the post-verification"),
    "revoke": gettext_lazy("Revoke the approval"),
}

NOT_FOUND = gettext_lazy("There is no case with this number, or you may not see it.")


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def visible_cases(actor: Actor, qs: QuerySet | None = None) -> QuerySet:
    """The cases the actor may read (``policy.visible`` with ``case.read``)."""
    return visible(actor, "case.read", Case.objects.all() if qs is None else qs)


def find_case(actor: Actor, number: str) -> Case | None:
    """The case with this number if the actor may read it (their own, or in their role's scope)."""
    qs = visible_cases(actor)
    return (
        qs.select_related(
            "department",
            "region",
            "implementation",
            "guide_version",
            "applicant_person",
            "applicant_organisation",
            "agent",
        )
        .filter(number=number)
        .first()
    )


def applicant_view(actor: Actor, case: Case) -> bool:
    """Whether the page shows the applicant's view: their own case while acting without a staff role."""
    return actor.assignment is None and not actor.is_superuser and is_own(actor, case)


def is_staff(actor: Actor) -> bool:
    return actor.assignment is not None or actor.is_superuser


def case_not_found(request: HttpRequest) -> HttpResponse:
    return not_found(request, str(NOT_FOUND))


@dataclass
class Errors:
    """A command's refusal laid out for a form: messages by field, and those that belong to no field."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    status: int = 400
    stale: bool = False

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, []).append(message)
        else:
            self.general.append(message)

    def all(self) -> list[str]:
        return [*self.general, *(m for messages in self.fields.values() for m in messages)]


def errors_from(exc: DomainError, known: set[str] | None = None, rename: dict[str, str] | None = None) -> Errors:
    """The problems of a command's DomainError, in the active language, placed by field.

    ``known`` are the fields the form shows (others go to the top of the form); ``rename`` maps a
    command's field name to the form's.
    """
    errors = Errors(status=exc.status)
    for problem in exc.problems:
        name = (rename or {}).get(problem.field or "", problem.field)
        if problem.code == "stale_version":
            errors.stale = True
            errors.add(None, str(problem.text))
        elif name and (known is None or name in known):
            errors.add(name, str(problem.text))
        else:
            errors.add(None, str(problem.text))
    return errors


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.number])


def role_needed(request: HttpRequest, actor: Actor, reason: Any) -> HttpResponse:
    """A page for staff, opened without a fitting role: say why, and where to choose one."""
    context = {
        "reason": str(reason),
        "roles_url": f"{reverse('identity:roles')}?{urlencode({'next': request.get_full_path()})}",
        "has_roles": bool(actor.assignments),
    }
    return render(request, "cases/role_needed.html", context, status=403)


@dataclass
class Panel:
    """One action's form on the page."""

    name: str
    label: str
    errors: Errors | None = None
    values: Any = None

    @property
    def open(self) -> bool:
        return self.errors is not None


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
