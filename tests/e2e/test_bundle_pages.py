"""新生儿出生一件事 at the one-window front desk, in Chromium, from the queue ticket to the handed-out results
(SCENARIOS §4): the father takes an E ticket at the kiosk; the comprehensive window calls it and receives
the whole bundle with one form and each material once; the departments decide in their back offices (by
their commands: their pages are the case pages other tests drive); the birth certificate issued first
becomes the material of 户口登记 without anyone uploading it; 医保 and 社保卡 start side by side; the
output window hands out the package with an ID check. The clerk's pages are checked on a phone width.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import pytest
from django.db import connection
from playwright.sync_api import Browser, expect

from tests.bundles.test_applications import BIRTH_PROOF, CERT_DATA, Birth, birth_world, grant, item
from tests.e2e.test_case_pages import login, no_sideways_scroll
from tests.federation.conftest import federation  # noqa: F401  (this node's key and trust anchor)
from tests.frontdesk.world import World as Hall
from tests.frontdesk.world import world as hall_world
from tongban.bundles.models import BundleCase
from tongban.catalog import regions
from tongban.catalog.models import Region
from tongban.workdays import clock, loader
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 780}}


@pytest.fixture
def front_desk(transactional_db: None, settings, request, tmp_path, monkeypatch) -> Iterator[tuple[Birth, Hall]]:  # type: ignore[no-untyped-def]
    """The birth bundle of 信阳 with its four departments, a hall with a comprehensive and an output
    window, committed so the live server's thread sees them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    # The flush after each transactional test empties what data migrations filled (see conftest.py): the
    # divisions and the working-day calendar every deadline is counted in.
    if not Region.objects.exists():
        regions.load(Region)
    if not CalendarYear.objects.exists():
        calendar = resources.files("tongban.workdays").joinpath("data/calendar.csv").read_bytes()
        loader.load_schedule(calendar, source="chinese-calendar 1.11.0")
    clock.forget()
    w = birth_world(monkeypatch, tmp_path, request.getfixturevalue("federation"))
    hall = hall_world()
    yield w, hall
    # The flush does not empty SQLite's full-text table (it is no model's): drop this test's entries, or a
    # later search would count them.
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            for impl in w.items.values():
                cur.execute("DELETE FROM catalog_search_fts WHERE rowid = %s", [impl.pk])


def test_a_newborn_from_ticket_to_the_package(browser: Browser, live_server, front_desk):
    w, hall = front_desk
    base = live_server.url

    # The father takes a ticket for 一件事 at the kiosk.
    kiosk = browser.new_context(**PHONE).new_page()
    kiosk.goto(f"{base}/frontdesk/halls/{hall.hall.pk}/take/")
    kiosk.locator('button[name="category"][value="E"]').click()
    expect(kiosk.locator("#ticket-number")).to_have_text("E001")
    no_sideways_scroll(kiosk)

    # The comprehensive window calls it, and starts serving.
    clerk = login(browser, base, w.clerk, **PHONE)
    clerk.goto(f"{base}/frontdesk/windows/{hall.comprehensive.pk}/")
    clerk.locator('[data-action="call-next"]').click()
    expect(clerk.locator("#current-number")).to_have_text("E001")
    clerk.locator('[data-action="start"]').click()
    no_sideways_scroll(clerk)

    # From the workbench to the bundle's intake: find the father, one form, each material once.
    clerk.locator("#bundle-intake").click()
    clerk.locator(f'a[href="/bundles/{w.bundle.code}/apply/"]').click()
    clerk.get_by_label("居民身份证号码").fill(w.person.id_number)
    clerk.get_by_label("居民身份证号码").press("Enter")
    expect(clerk.locator("#applicant-found")).to_contain_text("张*")
    clerk.get_by_label("身份核验方式").fill("身份证读卡器核验")
    for name, value in {
        "baby_name": "张小宝",
        "name": "张伟",
        "id_number": w.person.id_number,
        "address": "信阳市浉河区",
        "phone": "13800000000",
    }.items():
        clerk.locator(f'[name="f-{name}"]').fill(value)
    materials = clerk.locator("#bundle-materials > li")
    expect(materials).to_have_count(3)  # 居民身份证 once for two items
    expect(clerk.locator("#bundle-materials")).to_contain_text(BIRTH_PROOF)
    expect(clerk.locator(".from-result")).to_have_count(1)  # nobody brings the birth certificate
    for select in clerk.locator("#bundle-materials select").all():
        select.select_option("original_seen")
    no_sideways_scroll(clerk)
    clerk.locator("#submit-bundle").click()
    expect(clerk.locator("#item-cert")).to_have_attribute("data-state", "running")
    expect(clerk.locator("#item-hukou")).to_have_attribute("data-state", "waiting")
    number = clerk.locator("#bundle-summary .code").inner_text()
    bc = BundleCase.objects.get(number=number)

    # The ticket is served; the departments decide in their back offices.
    clerk.goto(f"{base}/frontdesk/windows/{hall.comprehensive.pk}/")
    clerk.locator('[data-action="finish"]').click()
    expect(clerk.locator("#no-ticket")).to_be_visible()

    grant(w, item(bc, "cert"), license_data=CERT_DATA)
    clerk.goto(f"{base}/bundles/applications/{number}/")
    expect(clerk.locator("#item-hukou")).to_have_attribute("data-state", "running")
    hukou = clerk.locator("#item-hukou a")
    hukou.click()  # the 户口登记 case: its birth certificate is the e-licence, not an upload
    expect(clerk.locator("#materials")).to_contain_text(BIRTH_PROOF)
    expect(clerk.locator("#materials")).to_contain_text("电子证照")

    grant(w, item(bc, "hukou"))
    clerk.goto(f"{base}/bundles/applications/{number}/")
    expect(clerk.locator("#item-medical")).to_have_attribute("data-state", "running")
    expect(clerk.locator("#item-card")).to_have_attribute("data-state", "running")
    grant(w, item(bc, "medical"))
    grant(w, item(bc, "card"))

    # The unified output window hands out everything at once, with an ID check.
    clerk.goto(f"{base}/frontdesk/windows/{hall.output.pk}/")
    clerk.locator("#output-list").click()
    clerk.get_by_role("link", name=number).click()
    clerk.locator("#deliver-all").click()
    expect(clerk.locator("#deliver")).to_contain_text("请填写领取人身份核验")  # the ID check is required
    clerk.locator('[name="recipient_id_check"]').fill("身份证原件核验")
    clerk.locator("#deliver-all").click()
    expect(clerk.locator("#bundle-status")).to_have_text("已办结")
    expect(clerk.locator("#timeline")).to_contain_text("出生医学证明签发")
    no_sideways_scroll(clerk)
