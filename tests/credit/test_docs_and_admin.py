"""docs/credit.md shows the layout and barring table the code uses, and its examples import; the admin
shows the record without letting anyone change it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.credit import make as cm
from tests.identity import make
from tongban.credit import layout, services
from tongban.credit.models import CreditEntry

DOC = Path(__file__).resolve().parents[2] / "docs" / "credit.md"


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_docs_show_the_import_layout_of_the_code():
    assert layout.markdown() in _doc()


def test_the_docs_show_the_barring_table_and_validities_of_the_code():
    assert services.rules_markdown() in _doc()


@pytest.mark.django_db
def test_the_docs_example_csv_imports_as_described():
    example = re.search(r"```csv\n(.*?)```", _doc(), re.S).group(1)
    batch = cm.import_file(example.encode("utf-8"))
    assert (batch.rows, batch.skipped) == (3, 0)
    repaired = CreditEntry.objects.get(source_ref="HN-2026-0001")
    assert CreditEntry.objects.get(source_ref="HN-2026-0107").repairs == repaired
    assert services.eligibility(subject_type="person", subject_code=repaired.subject_code, privilege="commitment")
    assert not services.eligibility(
        subject_type="organisation", subject_code="91411500MA9G7K2L85", privilege="commitment"
    )


@pytest.mark.django_db
def test_the_docs_example_json_imports():
    example = re.search(r"```json\n(.*?)```", _doc(), re.S).group(1)
    assert cm.import_file(example.encode("utf-8"), "list.json").rows == 1


@pytest.mark.django_db
def test_the_admin_lists_entries_masked_and_offers_no_change(client):
    code = make.resident_id()
    entry = cm.entry("dishonest", code)
    client.force_login(make.user("root", is_superuser=True, is_staff=True))
    listing = client.get("/admin/credit/creditentry/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert code[:4] + "*" * 10 + code[-4:] in page and code not in page
    assert client.get("/admin/credit/creditentry/add/").status_code == 403
    detail = client.get(f"/admin/credit/creditentry/{entry.pk}/change/")
    assert detail.status_code == 200 and code not in detail.content.decode()
    assert client.post(f"/admin/credit/creditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CreditEntry.objects.filter(pk=entry.pk).exists()
    assert client.get("/admin/credit/creditimport/").status_code == 200
    assert (
        client.get("/admin/credit/creditentry/", {"kind__exact": "dishonest", "source__exact": "manual"}).status_code
        == 200
    )
