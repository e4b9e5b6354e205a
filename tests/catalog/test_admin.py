"""The admin shows the whole catalog in Chinese and keeps published guides read-only."""

import pytest
from django.contrib.auth.models import User

from tests import factories as f
from tongban.catalog.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password="a-long-password-1"))
    return client


def test_every_catalog_page_opens_in_chinese(admin_client):
    impl = f.implementation()
    for model in ("region", "department", "hall", "serviceitem", "itemimplementation", "guideversion", "agreement"):
        response = admin_client.get(f"/admin/catalog/{model}/")
        assert response.status_code == 200, model
    page = admin_client.get(f"/admin/catalog/guideversion/{impl.current_version.pk}/change/").content.decode()
    assert 'lang="zh-hans"' in page
    assert 'name="promised_limit"' not in page  # published: shown, not editable


def test_admin_edits_go_through_the_checks(admin_client):
    dept = f.department()
    response = admin_client.post(
        f"/admin/catalog/department/{dept.pk}/change/",
        {
            "region": "411500",
            "name": dept.name,
            "uscc": dept.uscc[:-1] + ("0" if dept.uscc[-1] != "0" else "1"),
            "kind": "organ",
            "phone": "",
            "address": "",
        },
    )
    assert response.status_code == 200  # the form comes back with the error
    assert Department.objects.get(pk=dept.pk).uscc == dept.uscc


def test_renaming_a_department_reindexes_its_implementations(admin_client):
    from tongban.catalog import search

    impl = f.implementation()
    dept = impl.department
    admin_client.post(
        f"/admin/catalog/department/{dept.pk}/change/",
        {
            "region": "411500",
            "name": "信阳市行政审批服务局",
            "uscc": dept.uscc,
            "kind": "organ",
            "phone": "",
            "address": "",
        },
    )
    assert search.search("行政审批服务局").ids == [impl.pk]


def test_the_admin_asks_the_policy_scoped_to_the_region(client):
    from tests.identity import make

    here, there = f.department("411500"), f.department("320500")
    clerk_of_catalog = make.staff("catalog_admin", "411500")
    clerk_of_catalog.is_staff = True
    clerk_of_catalog.save()
    client.force_login(clerk_of_catalog)
    form = {"region": "411500", "name": "信阳市民政局", "uscc": here.uscc, "kind": "organ", "phone": "", "address": ""}
    assert client.post(f"/admin/catalog/department/{here.pk}/change/", form).status_code == 302
    assert Department.objects.get(pk=here.pk).name == "信阳市民政局"
    form_there = form | {"region": "320500", "name": "改名", "uscc": there.uscc}
    assert client.post(f"/admin/catalog/department/{there.pk}/change/", form_there).status_code == 403
    assert Department.objects.get(pk=there.pk).name != "改名"


def test_staff_without_a_catalog_role_cannot_change_the_catalog(client):
    from tests.identity import make

    dept = f.department("411500")
    clerk = make.staff("window_clerk", "411500")
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    response = client.post(
        f"/admin/catalog/department/{dept.pk}/change/",
        {"region": "411500", "name": "x", "uscc": dept.uscc, "kind": "organ", "phone": "", "address": ""},
    )
    assert response.status_code == 403
    assert Department.objects.get(pk=dept.pk).name != "x"
