"""Demo logins: one per staff role in the node's region, and an applicant; idempotent."""

import pytest

from tongban.identity.demo import DEMO_STAFF, ensure_demo_staff
from tongban.identity.models import Person, StaffAssignment

pytestmark = pytest.mark.django_db


def test_demo_staff_cover_every_role_but_catalog_admin_and_run_twice_safely():
    ensure_demo_staff("411500")
    ensure_demo_staff("411500")
    roles = set(StaffAssignment.objects.values_list("role", flat=True))
    assert roles == {role for _, _, role, _ in DEMO_STAFF}
    assert StaffAssignment.objects.count() == len(DEMO_STAFF)
    assert Person.objects.get(user__username="applicant").region_id == "411500"
