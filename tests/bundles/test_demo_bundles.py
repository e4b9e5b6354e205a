"""The demo bundles over the demo catalog: they load once, save what the docs say, and the API shows them."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from tongban.bundles import savings
from tongban.bundles.demo import load_demo_bundles
from tongban.bundles.models import Bundle
from tongban.catalog.demo import load_demo

ROOT = Path(__file__).resolve().parents[2]
BIRTH_CERT = "11100000MB165302XM001"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo catalog and bundles loaded once for the module, rolled back when it ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        counts = load_demo_bundles()
        yield counts
        transaction.set_rollback(True)


def test_the_demo_bundles_load_published_and_a_second_load_changes_nothing(demo):
    assert demo == {"bundles": 4}
    assert load_demo_bundles() == {"bundles": 0}
    assert set(Bundle.objects.filter(published=True).values_list("name", flat=True)) == {
        "新生儿出生一件事",
        "企业开办一件事",
        "退休一件事",
    }
    out = StringIO()
    call_command("load_demo_bundles", stdout=out)
    assert "nothing created" in out.getvalue()


def test_scenario_4_birth_in_yindu_all_items_in_the_district(demo):
    bundle = Bundle.objects.get(code="yindu-birth")
    assert bundle.region_id == "410505"
    assert {i.implementation.region_id for i in bundle.items.select_related("implementation")} == {"410505"}


def test_the_committed_savings_table_is_what_the_command_computes(demo):
    doc = (ROOT / savings.DOC_PATH).read_text(encoding="utf-8")
    assert savings.START + "\n" + savings.markdown() + savings.END in doc
    out = StringIO()
    call_command("bundle_savings", stdout=out)
    assert out.getvalue() == savings.markdown()


def test_the_command_writes_the_table_between_the_markers_only(demo, tmp_path):
    target = tmp_path / "bundles.md"
    target.write_text(f"before\n{savings.START}\nold table\n{savings.END}\nafter\n", encoding="utf-8")
    call_command("bundle_savings", "--write", str(target), stdout=StringIO())
    text = target.read_text(encoding="utf-8")
    assert text == f"before\n{savings.START}\n{savings.markdown()}{savings.END}\nafter\n"


def test_the_birth_bundle_through_the_api(demo, client):
    body = client.get("/api/v1/bundles/yindu-birth/").json()
    assert body["name"] == "新生儿出生一件事"
    assert body["levels"] == [["birth_cert"], ["hukou"], ["medical", "ss_card"]]
    assert [i["key"] for i in body["items"]] == ["birth_cert", "hukou", "medical", "ss_card"]
    assert body["items"][1]["depends_on"] == ["birth_cert"]
    assert body["form"]["conflicts"] == []
    assert set(body["form"]["fills"]["ss_card"]) <= set(body["form"]["schema"]["properties"])
    cert = next(m for m in body["materials"] if BIRTH_CERT in m["license_types"])
    assert cert["from_result_of"] == "birth_cert"
    assert cert["serves"] == ["hukou", "medical", "ss_card"]
    s = body["savings"]
    assert s["fields_in_bundle"] < s["fields_separately"]
    assert s["materials_in_bundle"] < s["materials_separately"]


def test_the_company_bundle_runs_three_items_at_once_after_registration(demo, client):
    body = client.get("/api/v1/bundles/suzhou-company/").json()
    assert body["levels"] == [["registration"], ["seal", "social", "fund"], ["invoice"]]
    licence = next(m for m in body["materials"] if m["name"] == "营业执照")
    assert licence["from_result_of"] == "registration"
    assert licence["serves"] == ["seal", "social", "fund"]


def test_the_list_filters_by_region_and_an_unknown_code_is_a_404(demo, client):
    henan = client.get("/api/v1/bundles/", {"region": "410000"}).json()
    assert [b["code"] for b in henan["results"]] == ["yindu-birth", "xinyang-birth", "xinyang-retirement"]
    assert client.get("/api/v1/bundles/", {"published": "false"}).json()["results"] == []
    missing = client.get("/api/v1/bundles/nobody/")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "code"
