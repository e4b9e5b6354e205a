"""Demo logins for identity: one staff member per role in the node's region, and one applicant.

``tongban demo`` calls ``ensure_demo_staff()`` on every demo node and prints ``DEMO_STAFF``. The applicant
has the same ID number on every node, which is what lets single sign-on find her everywhere.
Everything goes through the identity commands as the system actor, and running it twice changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from stdnum.cn import ric

from tongban.identity import services
from tongban.identity.actor import SYSTEM
from tongban.identity.choices import Role
from tongban.identity.models import Person, StaffAssignment

# (username, password, role, what to print)
DEMO_STAFF: tuple[tuple[str, str, str, str], ...] = (
    ("clerk", "tongban-demo-clerk", Role.WINDOW_CLERK, "window clerk (窗口受理)"),
    ("reviewer", "tongban-demo-reviewer", Role.REVIEWER, "reviewer (审查审批)"),
    ("head", "tongban-demo-head", Role.DEPARTMENT_HEAD, "department head (负责人)"),
    ("supervisor", "tongban-demo-supervisor", Role.SUPERVISOR, "supervisor (督办)"),
    ("hotline", "tongban-demo-hotline", Role.HOTLINE_OPERATOR, "hotline operator (热线)"),
    ("operator", "tongban-demo-operator", Role.NODE_OPERATOR, "node operator (节点运维)"),
)
DEMO_APPLICANT = ("applicant", "tongban-demo-applicant", "applicant (申请人) with a registered person record")


def _demo_id_number() -> str:
    body = "11010119900307001"  # 北京市东城区, born 1990-03-07: a valid, obviously made-up number
    return body + ric.calc_check_digit(body + "0")


def ensure_demo_staff(region_code: str | None = None) -> None:
    region_code = region_code or settings.TONGBAN_REGION
    User = get_user_model()
    for username, password, role, _ in DEMO_STAFF:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save()
        if not StaffAssignment.objects.filter(user=user, role=role, active=True).exists():
            services.assign_role(SYSTEM, user=user, role=role, region_code=region_code, include_descendants=True)
    username, password, _ = DEMO_APPLICANT
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(password)
        user.save()
    if not Person.objects.filter(user=user).exists():
        services.register_person(
            SYSTEM,
            name="演示申请人",
            id_type="resident_id",
            id_number=_demo_id_number(),
            phone="13800000000",
            region_code=region_code,
            user=user,
        )
