"""The catalog API: public reads, admin-only writes, bilingual errors that name the field."""

import pytest
from django.contrib.auth.models import Permission, User

from tests import factories as f
from tongban.catalog.models import Department, GuideVersion, ItemImplementation, ServiceItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_user("catalog", password="x-very-long-password")
    user.user_permissions.add(Permission.objects.get(codename="change_serviceitem"))
    client.force_login(user)
    return client


def test_one_call_returns_an_implementation_with_its_guide_and_materials(client):
    impl = f.implementation()
    body = client.get(f"/api/v1/implementations/{impl.implementation_code}/").json()
    assert body["item"]["name"] == "正常退休提取住房公积金"
    assert body["region"]["full_name"] == "河南省信阳市"
    assert [m["name"] for m in body["guide"]["materials"]] == ["居民身份证", "退休证明"]
    assert body["guide"]["number"] == 1 and body["guide"]["status"] == "published"


def test_lists_filter_by_region_including_divisions_inside(client):
    inside = f.implementation(region_code="411502")
    f.implementation(region_code="320500")
    codes = [
        r["implementation_code"] for r in client.get("/api/v1/implementations/", {"region": "411500"}).json()["results"]
    ]
    assert codes == [inside.implementation_code]


def test_anonymous_writes_are_refused_and_change_nothing(client):
    response = client.post(
        "/api/v1/departments/", {"region": "411500", "name": "x", "uscc": f.uscc()}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "not_authenticated" or response.json()["status"] == 403
    assert not Department.objects.exists()


def test_admin_creates_department_item_implementation_and_publishes(admin_client):
    uscc = f.uscc("320500")
    assert (
        admin_client.post(
            "/api/v1/departments/",
            {"region": "320500", "name": "苏州市公积金中心", "uscc": uscc, "kind": "institution"},
            content_type="application/json",
        ).status_code
        == 201
    )
    item = admin_client.post(
        "/api/v1/items/",
        {"basic_code": "000120110000", "name": "正常退休提取住房公积金", "item_type": "20", "aliases": ["退休提取"]},
        content_type="application/json",
    )
    assert item.status_code == 201, item.json()
    code = uscc + "0001201100001"
    created = admin_client.post(
        "/api/v1/implementations/",
        {
            "item": "000120110000",
            "department": uscc,
            "implementation_code": code,
            "guide": f.guide(),
            "materials": f.materials(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["guide"] is None  # a draft is not in force yet
    published = admin_client.post(f"/api/v1/implementations/{code}/publish/", {}, content_type="application/json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    revised = admin_client.post(f"/api/v1/implementations/{code}/revise/")
    assert revised.status_code == 201 and revised.json()["number"] == 2
    changed = admin_client.post(
        f"/api/v1/implementations/{code}/draft/", {"guide": {"promised_limit": 1}}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["promised_limit"] == 1
    diff = admin_client.get(f"/api/v1/implementations/{code}/diff/", {"from": 1, "to": 2}).json()
    assert [(c["field"], c["before"], c["after"]) for c in diff] == [("promised_limit", 3, 1)]


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"uscc": "91110000600037341M"}, "uscc", "uscc_checksum"),
        ({"uscc": "9111000060003734"}, "uscc", "uscc_length"),
        ({"region": "41150"}, "region", "region_format"),
        ({"region": "419999"}, "region", "unknown_region"),
    ],
)
def test_bad_department_input_names_field_and_reason_in_both_languages(admin_client, payload, field, code):
    body = {"region": "411500", "name": "信阳市民政局", "uscc": f.uscc()} | payload
    response = admin_client.post("/api/v1/departments/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"] == error["message_zh"]  # Chinese by default
    assert not Department.objects.exists()


def test_errors_follow_the_language_asked_for(admin_client):
    response = admin_client.post(
        "/api/v1/departments/",
        {"region": "411500", "name": "x", "uscc": "1"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    error = response.json()["errors"][0]
    assert error["message"] == error["message_en"] and "18 characters" in error["message"]


def test_duplicate_codes_conflict(admin_client):
    dept = f.department()
    response = admin_client.post(
        "/api/v1/departments/",
        {"region": "411500", "name": "另一个", "uscc": dept.uscc},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "duplicate"


def test_bad_item_codes_and_published_edits_are_refused(admin_client):
    bad = admin_client.post(
        "/api/v1/items/", {"basic_code": "0001", "name": "x", "item_type": "20"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "basic_code"
    wrong_type = admin_client.post(
        "/api/v1/items/",
        {"basic_code": "000120110000", "name": "x", "item_type": "99"},
        content_type="application/json",
    )
    assert wrong_type.json()["errors"][0]["field"] == "item_type"
    assert not ServiceItem.objects.exists()
    impl = f.implementation()
    no_draft = admin_client.post(
        f"/api/v1/implementations/{impl.implementation_code}/draft/",
        {"guide": {"promised_limit": 1}},
        content_type="application/json",
    )
    assert no_draft.status_code == 409
    assert GuideVersion.objects.get().promised_limit == 3


def test_bad_implementation_code_is_refused(admin_client):
    dept, item = f.department(), f.item()
    response = admin_client.post(
        "/api/v1/implementations/",
        {
            "item": item.basic_code,
            "department": dept.uscc,
            "implementation_code": f.uscc() + "0001201100001",
            "guide": f.guide(),
            "materials": [],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "implementation_code_department"
    assert not ItemImplementation.objects.exists()


def test_unknown_codes_are_404(client):
    for url in ("/api/v1/items/NOPE00000000/", "/api/v1/implementations/NOPE/", "/api/v1/regions/999999/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["errors"][0]["message_en"]


def test_comparison_lists_material_differences(client):
    item = f.item("合伙企业设立登记", item_type="1")
    f.implementation(
        item, f.department("320500"), material_list=f.materials("申请书", "合伙协议", "身份证明", "住所证明", "委托书")
    )
    f.implementation(item, f.department("411500"), material_list=f.materials("申请书", "合伙协议"))
    body = client.get(f"/api/v1/items/{item.basic_code}/comparison/").json()
    assert sorted(len(c["materials"]) for c in body["columns"]) == [2, 5]
    elements = [d["element"] for d in body["differences"]]
    assert "material:住所证明" in elements and "material:申请书" not in elements


def test_oversized_bodies_are_refused_with_the_limit_named(admin_client, settings):
    body = '{"name": "' + "x" * (settings.TONGBAN_MAX_UPLOAD_BYTES + 1) + '"}'
    response = admin_client.post("/api/v1/departments/", body, content_type="application/json")
    assert response.status_code == 413
    assert "MiB" in response.json()["errors"][0]["message_en"]
    assert not Department.objects.exists()


def test_duplicate_department_name_in_a_region_conflicts(admin_client):
    dept = f.department()
    response = admin_client.post(
        "/api/v1/departments/",
        {"region": "411500", "name": dept.name, "uscc": f.uscc()},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["errors"][0]["field"] == "name"
