"""The identity admin: in Chinese, writes through the commands, shows document numbers masked."""

import pytest

from tests.identity import make
from tongban.identity.models import Person, StaffAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):  # type: ignore[no-untyped-def]
    client.force_login(make.user("root", is_superuser=True, is_staff=True))
    return client


def test_every_identity_page_opens_in_chinese(root):
    make.person()
    for model in ("person", "organisation", "authorisation", "staffprofile", "staffassignment", "personaldataaccess"):
        response = root.get(f"/admin/identity/{model}/")
        assert response.status_code == 200, model
    page = root.get("/admin/identity/").content.decode()
    assert "身份与权限" in page and "岗位授权" in page and "个人信息查阅记录" in page
    assert root.get("/admin/identity/personaldataaccess/add/").status_code == 403


def test_adding_a_person_runs_the_checks_and_names_the_field(root):
    data = {
        "name": "孙八",
        "id_type": "resident_id",
        "id_number": "411502200001011233",
        "nationality": "CHN",
        "phone": "",
        "region": "411500",
        "user": "",
    }
    response = root.post("/admin/identity/person/add/", data)
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert not Person.objects.exists()
    number = make.resident_id(seq=321)
    response = root.post("/admin/identity/person/add/", data | {"id_number": number})
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.id_number == number and person.registered_by.username == "root"


def test_the_change_page_never_shows_the_whole_number(root):
    person = make.person(id_number=make.resident_id(seq=456), phone="13812345678")
    page = root.get(f"/admin/identity/person/{person.pk}/change/").content.decode()
    assert person.id_number not in page and "13812345678" not in page
    assert person.id_number[:4] + "**********" + person.id_number[-4:] in page
    response = root.post(f"/admin/identity/person/{person.pk}/change/", {"name": "张三丰", "phone": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.phone) == ("张三丰", "13812345678")  # blank phone keeps the number


def test_assigning_a_role_in_the_admin_checks_the_department(root):
    from tests import factories as f

    target = make.user("clerk")
    dept = f.department("320500")
    data = {"user": target.pk, "role": "window_clerk", "region": "411500", "department": dept.pk}
    response = root.post("/admin/identity/staffassignment/add/", data)
    assert response.status_code == 200 and "不在该岗位的地区范围" in response.content.decode()
    assert not StaffAssignment.objects.exists()
    assert root.post("/admin/identity/staffassignment/add/", data | {"department": ""}).status_code == 302
    assert StaffAssignment.objects.get().user == target
