"""The role switcher: a staff member with several roles chooses the one they act in."""

import pytest
from django.urls import reverse

from tests import factories as f
from tests.identity import make
from tongban.identity import services
from tongban.identity.actor import ROLE_SESSION_KEY, SYSTEM, actor_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_roles():  # type: ignore[no-untyped-def]
    account = make.staff("window_clerk", "411500")
    make.staff("catalog_admin", "320500", account=account)
    return account


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("identity:roles"))
    assert response.status_code == 302 and "next=" in response["Location"]


def test_the_page_lists_the_roles_and_asks_for_a_choice(client, two_roles):
    client.force_login(two_roles)
    page = client.get(reverse("identity:roles")).content.decode()
    assert "窗口受理" in page and "事项库管理员" in page and "苏州市" in page
    assert "请选择当前办理所用的岗位" in page


def test_choosing_a_role_is_kept_for_later_actions(client, two_roles):
    client.force_login(two_roles)
    admin_role = make.assignment_of(two_roles, "catalog_admin")
    body = {"region": "320500", "name": "苏州市民政局", "uscc": f.uscc("320500")}
    assert client.post("/api/v1/departments/", body, content_type="application/json").status_code == 403
    response = client.post(reverse("identity:roles"), {"assignment": str(admin_role.pk), "next": "/api/v1/"})
    assert response.status_code == 302 and response["Location"] == "/api/v1/"
    assert client.session[ROLE_SESSION_KEY] == str(admin_role.pk)
    assert client.post("/api/v1/departments/", body, content_type="application/json").status_code == 201
    page = client.get(reverse("identity:roles")).content.decode()
    assert f'value="{admin_role.pk}" checked' in page


def test_someone_elses_role_cannot_be_chosen(client, two_roles):
    other = make.staff("node_operator", "411500")
    client.force_login(two_roles)
    response = client.post(reverse("identity:roles"), {"assignment": str(make.assignment_of(other).pk)})
    assert response.status_code == 400
    assert ROLE_SESSION_KEY not in client.session


def test_acting_without_a_role_and_a_single_role_by_default(client):
    account = make.staff("window_clerk", "411500")
    assert actor_for_user(account).assignment == make.assignment_of(account)  # the only one: acts in it
    client.force_login(account)
    client.post(reverse("identity:roles"), {"assignment": "none"})
    person = make.person()
    assert client.get(f"/api/v1/persons/{person.pk}/").status_code == 403  # now just an applicant


def test_an_ended_role_in_the_session_is_forgotten(client, two_roles):
    client.force_login(two_roles)
    clerk_role = make.assignment_of(two_roles, "window_clerk")
    client.post(reverse("identity:roles"), {"assignment": str(clerk_role.pk)})
    services.end_assignment(SYSTEM, clerk_role)
    admin_role = make.assignment_of(two_roles, "catalog_admin")
    body = {"region": "320500", "name": "苏州市民政局", "uscc": f.uscc("320500")}
    # One role left: it is the one the user acts in.
    assert client.post("/api/v1/departments/", body, content_type="application/json").status_code == 201
    assert actor_for_user(two_roles, str(clerk_role.pk)).assignment == admin_role


def test_the_page_is_in_english_under_en(client, two_roles):
    client.force_login(two_roles)
    page = client.get("/en/roles/").content.decode()
    assert "My roles" in page and "window clerk" in page
