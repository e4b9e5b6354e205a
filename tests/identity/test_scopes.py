"""Scopes: staff act in their assignment's region (and below when it says so) and department."""

import pytest

from tests import factories as f
from tests.identity import make
from tongban.catalog.models import Department, GuideVersion
from tongban.identity.actor import actor_for_user
from tongban.identity.models import Person
from tongban.identity.policy import Place, may

pytestmark = pytest.mark.django_db


def unsaved_person(region: str) -> Person:
    return Person(name="x", id_type="resident_id", id_number="1", region_id=region)


def test_a_clerk_of_411500_cannot_write_in_320500():
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    assert may(clerk, "identity.person.write", unsaved_person("411500"))
    decision = may(clerk, "identity.person.write", unsaved_person("320500"))
    assert not decision and decision.code == "out_of_scope"
    assert "320500" in decision.reason.en and "信阳市" in decision.reason.zh


def test_include_descendants_opens_the_divisions_inside():
    plain = actor_for_user(make.staff("window_clerk", "411500"))
    wide = actor_for_user(make.staff("window_clerk", "411500", descendants=True))
    county = unsaved_person("411502")
    assert not may(plain, "identity.person.write", county)
    assert may(wide, "identity.person.write", county)
    assert not may(wide, "identity.person.write", unsaved_person("419001"))  # 济源: province-administered


def test_supervisors_read_below_their_region_but_do_not_write():
    supervisor = actor_for_user(make.staff("supervisor", "410000"))
    person = make.person("411502")
    assert may(supervisor, "identity.person.read", person)
    assert not may(supervisor, "identity.person.write", person)
    assert not may(supervisor, "identity.person.read", make.person("320500"))


def test_a_department_bound_role_covers_only_that_departments_records():
    mine, other = f.department("411500"), f.department("411500")
    admin = actor_for_user(make.staff("catalog_admin", "411500", department=mine))
    assert may(admin, "catalog.write", Place("411500", mine.pk))
    assert not may(admin, "catalog.write", Place("411500", other.pk))
    assert may(admin, "catalog.write", f.implementation(dept=mine, publish=False))


def test_unknown_actions_are_always_denied():
    root = actor_for_user(make.user(is_superuser=True))
    decision = may(root, "case.accept")
    assert not decision and decision.code == "no_policy"


def test_several_roles_need_a_choice_and_the_header_makes_it(client):
    account = make.staff("window_clerk", "411500")
    make.staff("catalog_admin", "411500", account=account)
    actor = actor_for_user(account)
    decision = may(actor, "catalog.write", Place("411500"))
    assert not decision and decision.code == "choose_role"
    client.force_login(account)
    body = {"region": "411500", "name": "信阳市测试局", "uscc": f.uscc()}
    refused = client.post("/api/v1/departments/", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "choose_role"
    admin_role = make.assignment_of(account, "catalog_admin")
    wrong = client.post("/api/v1/departments/", body, content_type="application/json", HTTP_X_TONGBAN_ROLE="999999")
    assert wrong.status_code == 403 and "X-Tongban-Role" in wrong.json()["errors"][0]["message_en"]
    created = client.post(
        "/api/v1/departments/", body, content_type="application/json", HTTP_X_TONGBAN_ROLE=str(admin_role.pk)
    )
    assert created.status_code == 201


def test_catalog_admins_write_only_in_their_scope(client):
    client.force_login(make.staff("catalog_admin", "411500"))
    inside = client.post(
        "/api/v1/departments/",
        {"region": "411500", "name": "信阳市民政局", "uscc": f.uscc()},
        content_type="application/json",
    )
    assert inside.status_code == 201
    outside = client.post(
        "/api/v1/departments/",
        {"region": "320500", "name": "苏州市民政局", "uscc": f.uscc("320500")},
        content_type="application/json",
    )
    assert outside.status_code == 403
    assert outside.json()["errors"][0]["code"] == "out_of_scope"
    assert not Department.objects.filter(region_id="320500").exists()


def test_publishing_checks_the_implementations_region(client):
    suzhou = f.implementation(region_code="320500", publish=False)
    client.force_login(make.staff("catalog_admin", "411500", descendants=True))
    response = client.post(f"/api/v1/implementations/{suzhou.implementation_code}/publish/", {})
    assert response.status_code == 403
    assert GuideVersion.objects.get(implementation=suzhou).status == "draft"
    xinyang = f.implementation(region_code="411502", publish=False)
    assert client.post(f"/api/v1/implementations/{xinyang.implementation_code}/publish/", {}).status_code == 200


def test_a_clerk_cannot_write_the_catalog_and_is_told_which_role_can(client):
    client.force_login(make.staff("window_clerk", "411500"))
    response = client.post(
        "/api/v1/departments/",
        {"region": "411500", "name": "x", "uscc": f.uscc()},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["code"] == "role_required" and "catalog_admin" in error["message_en"]
    assert "事项库管理员" in error["message_zh"]
