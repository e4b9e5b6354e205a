"""免提交 in Chromium on a phone (360 px): the applicant, on their draft, uses their own e-licence for a
material instead of a paper copy: the consent form (refused first without the box ticked, then ticked
with the keyboard), the list of what was found with this node's verification, and the material shown
satisfied, linking to the public check of the licence (SCENARIOS §7). Each page is checked for sideways
scrolling, and the case page at 200 % zoom.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import pytest
from django.db import connection
from playwright.sync_api import Browser, expect

from tests.cases import make
from tests.e2e.test_case_pages import login, no_sideways_scroll
from tests.federation.conftest import (
    Federation,
    federation,  # noqa: F401  (the fixture: this node's key and trust anchor)
)
from tests.licenses import factories as lf
from tongban.cases import services as cases
from tongban.cases.choices import MaterialEvidence
from tongban.cases.models import Case
from tongban.catalog import regions
from tongban.catalog.models import Region
from tongban.licenses.models import License, LicenseLookup
from tongban.workdays import clock, loader
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 780}}
CERTIFICATE = "职业资格证书"


@dataclass
class Draft:
    world: make.World
    case: Case
    license: License


@pytest.fixture
def draft(transactional_db: None, settings, request, tmp_path, monkeypatch) -> Iterator[Draft]:  # type: ignore[no-untyped-def]
    """An applicant's draft whose first material accepts a certificate they hold, issued by a 信阳 department
    whose seal is on the trust list; committed so the live server's thread sees it. The trust list's peer
    (suzhou) does not answer."""
    nodes: Federation = request.getfixturevalue("federation")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    lf.isolated_keys(monkeypatch, tmp_path / "var")
    if not Region.objects.exists():  # the flush after a transactional test empties them (see conftest.py)
        regions.load(Region)
    if not CalendarYear.objects.exists():
        calendar = resources.files("tongban.workdays").joinpath("data/calendar.csv").read_bytes()
        loader.load_schedule(calendar, source="chinese-calendar 1.11.0")
    clock.forget()
    nodes.accept()
    kind = lf.license_type()
    world = make.world(
        materials=[
            {"name": CERTIFICATE, "form": "original", "paper_copies": 1, "license_types": [kind.code]},
            {"name": "居民身份证", "form": "original", "paper_copies": 1},
        ]
    )
    department = lf.issuing_department(name="信阳市人社局证照科")
    lf.publish(nodes, lf.seal(department))
    person = world.actor("applicant").person
    lic = lf.license(
        kind,
        department,
        holder=lf.person_holder(person.name, person.id_number),
        data=lf.certificate_data(person.name, person.id_number),
    )
    case = cases.create_draft(world.actor("applicant"), implementation=world.implementation)
    yield Draft(world, case, lic)
    if connection.vendor == "sqlite":  # the flush leaves SQLite's full-text table alone (see test_case_pages)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM catalog_search_fts WHERE rowid = %s", [world.implementation.pk])


def test_the_applicant_uses_their_licence_for_a_material_on_a_phone(browser: Browser, live_server, draft: Draft):
    base = live_server.url
    number = draft.case.number
    m = draft.case.materials.get(name=CERTIFICATE)
    lic = draft.license

    # The draft: the material offers the e-licence, on a page of its own (the draft is one big form).
    page = login(browser, base, draft.world.applicant, **PHONE)
    page.goto(f"{base}/cases/{number}/")
    link = page.locator(f"#share-{m.pk}-link")
    expect(link).to_be_visible()
    no_sideways_scroll(page)
    link.click()

    # Sent without the box ticked: refused beside it, and nothing is looked up.
    form = page.locator(f"#share-{m.pk}")
    expect(form).to_be_visible()
    no_sideways_scroll(page)
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#share-{m.pk}-consent-error")).to_contain_text("请勾选以确认持证人同意")
    assert not LicenseLookup.objects.exists()

    # Ticked with the keyboard, sent with Enter.
    page.locator(f"#share-{m.pk}-consent").focus()
    page.keyboard.press("Space")
    expect(page.locator(f"#share-{m.pk}-consent")).to_be_checked()
    page.locator(f"#share-{m.pk} button[type=submit]").focus()
    page.keyboard.press("Enter")

    # What was found, verified here: valid, every step passed; suzhou did not answer and is simply absent.
    card = page.locator(f'#found [data-identifier="{lic.identifier}"]')
    # The look-up waits for the node that does not answer; on a loaded machine that is more than 5 s.
    expect(card).to_have_attribute("data-verdict", "valid", timeout=30_000)
    expect(card).to_contain_text(lic.number)
    expect(card.locator('[data-ok="failed"]')).to_have_count(0)
    expect(card.locator('[data-check="signature"][data-ok="ok"]')).to_have_count(1)
    no_sideways_scroll(page)
    assert LicenseLookup.objects.get(node="").case_number == number
    card.locator("button[type=submit]").click()

    # Back on the draft: the material is satisfied by the licence, with a link to its public check.
    note = page.locator(f"#material-{m.pk}-license")
    expect(note).to_contain_text(lic.number)
    expect(page.locator("#flash")).to_be_visible()
    expect(page.locator(f"#share-{m.pk}-link")).to_have_count(0)
    no_sideways_scroll(page)
    m.refresh_from_db()
    assert (m.evidence, m.license_identifier) == (MaterialEvidence.LICENSE, lic.identifier)
    note.get_by_role("link").click()
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "valid")

    # 200 % zoom on a 1280 px screen: the draft with its satisfied material still fits.
    zoomed = login(browser, base, draft.world.applicant, viewport={"width": 640, "height": 450}, device_scale_factor=2)
    zoomed.goto(f"{base}/cases/{number}/")
    expect(zoomed.locator(f"#material-{m.pk}-license")).to_be_visible()
    no_sideways_scroll(zoomed)
