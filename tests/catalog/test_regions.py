"""The national division list: complete, looked up by code and name, with ancestors and descendants."""

import pytest

from tongban.catalog.models import Region

pytestmark = pytest.mark.django_db


def test_every_level_is_loaded_with_parents():
    assert Region.objects.filter(level="province").count() == 34  # incl. 台湾, 香港, 澳门
    assert Region.objects.filter(level="county").count() > 2800
    assert not Region.objects.filter(level="county", parent__isnull=True).exists()
    assert Region.objects.get(code="419001").parent_id == "410000"  # 济源: province-administered


def test_pilot_regions_exist_with_full_names():
    names = {code: Region.objects.get(code=code).full_name for code in ("411500", "310110", "610403", "410505")}
    assert names == {
        "411500": "河南省信阳市",
        "310110": "上海市杨浦区",
        "610403": "陕西省咸阳市杨陵区",
        "410505": "河南省安阳市殷都区",
    }


def test_api_looks_up_by_code_and_name(client):
    assert client.get("/api/v1/regions/320500/").json()["name"] == "苏州市"
    found = client.get("/api/v1/regions/", {"q": "杨浦"}).json()["results"]
    assert [r["code"] for r in found] == ["310110"]


def test_api_ancestors_and_descendants(client):
    assert [r["code"] for r in client.get("/api/v1/regions/310110/ancestors/").json()] == ["310000", "310100"]
    inside = client.get("/api/v1/regions/411500/descendants/", {"limit": 100}).json()
    codes = {r["code"] for r in inside["results"]}
    assert {"411502", "411503", "411528"} <= codes and "411500" not in codes
    assert all(c.startswith("4115") for c in codes)


@pytest.mark.parametrize(
    ("code", "status", "reason"), [("41150", 400, "region_format"), ("999999", 404, "unknown_region")]
)
def test_bad_region_codes_are_explained(client, code, status, reason):
    response = client.get(f"/api/v1/regions/{code}/")
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert error["code"] == reason and error["field"] == "code"
    assert error["message_zh"] and error["message_en"]
