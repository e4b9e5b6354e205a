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
