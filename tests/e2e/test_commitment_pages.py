"""容缺受理 in Chromium on a phone (360 px): the clerk receives at the window, records the signed 容缺
promise with its scan and accepts; the applicant supplies the missing material from their own page; the
clerk issues the result (SCENARIOS §6). Each page is checked for sideways scrolling, and at 200 % zoom.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.cases import make
from tests.e2e.test_case_pages import login, no_sideways_scroll, status_is
from tongban.cases import services
from tongban.cases.models import Case
from tongban.catalog import regions
from tongban.catalog.models import Region
from tongban.identity.models import Person
from tongban.workdays import clock, loader
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 780}}


@pytest.fixture
def world(transactional_db: None, settings) -> Iterator[make.World]:  # type: ignore[no-untyped-def]
    """A department whose guide offers 容缺, committed so the live server's thread sees it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if not Region.objects.exists():  # the flush after a transactional test empties them (see conftest.py)
        regions.load(Region)
    if not CalendarYear.objects.exists():
        calendar = resources.files("tongban.workdays").joinpath("data/calendar.csv").read_bytes()
        loader.load_schedule(calendar, source="chinese-calendar 1.11.0")
    clock.forget()
    built = make.credit_world()
    yield built
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DELETE FROM catalog_search_fts WHERE rowid = %s", [built.implementation.pk])


def test_a_tolerated_material_from_the_window_to_the_result_on_a_phone(browser: Browser, live_server, world, tmp_path):
    base = live_server.url
    scan = tmp_path / "容缺受理承诺书.pdf"
    scan.write_bytes(make.PDF)
    seal_page = tmp_path / "盖章页.pdf"
    seal_page.write_bytes(make.PDF)
    person = Person.objects.get(user=world.applicant)

    # The window: receive the application, with the applicant found by their document number.
    clerk = login(browser, base, world.clerk, **PHONE)
    clerk.goto(f"{base}/cases/intake/?implementation={world.implementation.pk}&id_number={person.id_number}")
    expect(clerk.locator("#applicant-found")).to_be_visible()
    clerk.get_by_label("身份核验方式").fill("身份证读卡器核验")
    clerk.get_by_role("button", name="收件", exact=True).click()
    status_is(clerk, "待受理")
    number = clerk.locator("#case-number").inner_text()

    # The two materials brought are recorded; the one missing is covered by the signed 容缺 promise.
    for name in ("居民身份证", make.REPLACEABLE):
        card = clerk.locator(".material-card", has=clerk.get_by_role("heading", name=name, exact=True))
        card.locator('[data-material-action="record"] select').select_option("original_seen")
        card.locator('[data-material-action="record"] button').click()
        expect(clerk.locator("#flash")).to_be_visible()
    offer = clerk.locator("#commit-tolerance")
    expect(offer).to_contain_text(make.TOLERATED)
    offer.locator("summary").click()
    expect(offer.locator("blockquote")).to_contain_text("逾期未补齐的，同意本机关终止办理")  # the text signed
    offer.get_by_label(make.TOLERATED, exact=True).check()
    # Sent without the scan first: refused beside the file input, nothing recorded.
    offer.locator("button[type=submit]").click()
    expect(clerk.locator("#commit-tolerance-file-error")).to_contain_text("请上传签字的承诺书扫描件")
    assert not Case.objects.get(number=number).commitments.exists()
    offer = clerk.locator("#commit-tolerance")
    offer.get_by_label(make.TOLERATED, exact=True).check()
    offer.locator('input[type="file"]').set_input_files(str(scan))
    offer.locator('input[name="signer_name"]').fill("李四")
    offer.locator("button[type=submit]").click()
    expect(clerk.locator("#flash")).to_be_visible()
    commitment = Case.objects.get(number=number).commitments.get()
    expect(clerk.locator(f"#commitment-{commitment.pk}-sm3")).to_have_text(make.independent_sm3(make.PDF))
    no_sideways_scroll(clerk)
    clerk.locator('[data-action="accept"] button[type=submit]').click()
    status_is(clerk, "审查中")
    tolerated = Case.objects.get(number=number).materials.get(name=make.TOLERATED)
    due = timezone.localdate(tolerated.supply_by).isoformat()
    expect(clerk.locator(f"#material-{tolerated.pk} .supply-note")).to_contain_text(due)

    case = Case.objects.get(number=number)
    services.review(world.actor("reviewer"), case, opinion="材料齐全")
    services.approve(world.actor("head"), case, opinion="同意", basis="住房公积金管理条例")
    clerk.reload()
    status_is(clerk, "已准予，待出件")
    expect(clerk.locator('[data-action="issue"]')).to_have_count(0)  # not before the material is in

    # The applicant, on their phone, reads what is owed and by when, and uploads it.
    applicant = login(browser, base, world.applicant, **PHONE)
    applicant.goto(f"{base}/cases/{number}/")
    expect(applicant.locator("#owed-notice")).to_contain_text(make.TOLERATED)
    expect(applicant.locator("#commitments blockquote")).to_contain_text("容缺")
    card = applicant.locator(f"#material-{tolerated.pk}")
    card.locator('[data-material-action="supply-upload"] input[type="file"]').set_input_files(str(seal_page))
    card.locator('[data-material-action="supply-upload"] button').click()
    expect(applicant.locator("#flash")).to_be_visible()
    expect(applicant.locator(f"#material-{tolerated.pk} .mstate")).to_have_text("已提交")
    expect(applicant.locator("#owed-notice")).to_have_count(0)
    no_sideways_scroll(applicant)

    clerk.reload()
    clerk.locator('[data-action="issue"] summary').click()
    clerk.locator('[data-action="issue"] button[type=submit]').click()
    status_is(clerk, "已出件，待送达")
    no_sideways_scroll(clerk)

    # 200 % zoom on a 1280 px screen: the commitments and the materials still fit.
    zoomed = login(browser, base, world.clerk, viewport={"width": 640, "height": 450}, device_scale_factor=2)
    zoomed.goto(f"{base}/cases/{number}/")
    expect(zoomed.locator(f"#commitment-{commitment.pk}")).to_be_visible()
    no_sideways_scroll(zoomed)
