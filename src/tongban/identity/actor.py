"""The actor of a request: who acts, in which of their staff assignments, and as which Person.

A staff member may hold several assignments (a clerk in 411502 and a reviewer in 411500). Each action
is done in exactly one of them, so that scope checks are unambiguous and every record says in which
role it was made. The choice is kept in the session (``tongban_role``, set on the role switcher page);
API clients may send it per request in the ``X-Tongban-Role`` header (the assignment's id, or ``none``).

Without a choice: a user with exactly one active assignment acts in it; with none, or several, the
user acts without a staff role (as an applicant) until they choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tongban.core.messages import Text
from tongban.identity.models import Person, StaffAssignment

ROLE_SESSION_KEY = "tongban_role"
ROLE_HEADER = "HTTP_X_TONGBAN_ROLE"
NO_ROLE = "none"
_CACHE_ATTR = "_tongban_actor"


@dataclass(frozen=True)
class Actor:
    user: Any = None  # a User, AnonymousUser or None (the system)
    assignment: StaffAssignment | None = None
    person: Person | None = None
    assignments: tuple[StaffAssignment, ...] = ()
    system: bool = False
    # Why no assignment is in force although the user has some; the policy gives it as the reason.
    role_problem: Text | None = field(default=None, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.system or bool(self.user is not None and self.user.is_authenticated)

    @property
    def is_superuser(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated and self.user.is_superuser)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None and self.user.is_authenticated else None

    def has_perm(self, perm: str) -> bool:
        return bool(self.user is not None and self.user.is_authenticated and self.user.has_perm(perm))

    def __str__(self) -> str:
        if self.system:
            return "system"
        who = self.user.get_username() if self.is_authenticated else "anonymous"
        return f"{who} as {self.assignment}" if self.assignment else who


SYSTEM = Actor(system=True)
"""The actor of management commands and data loaders: every rule allows it, nothing is logged as a person."""


def active_assignments(user: Any) -> tuple[StaffAssignment, ...]:
    if user is None or not user.is_authenticated:
        return ()
    return tuple(
        StaffAssignment.objects.filter(user=user, active=True)
        .select_related("region__parent__parent", "department")
        .order_by("role", "region_id", "id")
    )


def actor_for_user(user: Any, chosen: str | None = None, *, explicit: bool = False) -> Actor:
    """The actor of ``user`` acting in the assignment with id ``chosen`` (``none``: no staff role).

    ``explicit`` says the choice came with this very request (the header): an unknown choice is then a
    problem to report rather than a stale session value to forget.
    """
    if user is None or not user.is_authenticated:
        return Actor(user=user)
    assignments = active_assignments(user)
    person = Person.objects.filter(user=user).select_related("region").first()
    assignment: StaffAssignment | None = None
    problem: Text | None = None
    if chosen == NO_ROLE or chosen == "":
        assignment = None
    elif chosen:
        assignment = next((a for a in assignments if str(a.pk) == str(chosen)), None)
        if assignment is None and explicit:
            problem = Text(
                f"X-Tongban-Role 指定的岗位“{chosen}”不是您当前有效的岗位",
                f"X-Tongban-Role names assignment '{chosen}', which is not an active assignment of yours",
            )
        elif assignment is None:
            assignment = assignments[0] if len(assignments) == 1 else None
    elif len(assignments) == 1:
        assignment = assignments[0]
    if assignment is None and problem is None and len(assignments) > 1 and chosen != NO_ROLE and chosen != "":
        problem = Text(
            "您有多个岗位，请先选择以哪个岗位办理（岗位切换页面，或 X-Tongban-Role 请求头）",
            "you hold several assignments: choose the one you act in "
            "(role switcher page, or the X-Tongban-Role header)",
        )
    return Actor(user=user, assignment=assignment, person=person, assignments=assignments, role_problem=problem)


def actor_for(request: Any) -> Actor:
    """The actor of a Django or DRF request, computed once per request and user."""
    user = getattr(request, "user", None)
    header = request.META.get(ROLE_HEADER)
    session = getattr(request, "session", None)
    chosen = header if header is not None else (session.get(ROLE_SESSION_KEY) if session is not None else None)
    key = (getattr(user, "pk", None), chosen)
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    actor = actor_for_user(user, chosen, explicit=header is not None)
    setattr(request, _CACHE_ATTR, (key, actor))
    return actor
