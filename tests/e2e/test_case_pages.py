"""Case handling in Chromium: an online application and a window intake, each through to delivery.

Everyone logs in on the real login page, each in their own browser context. One page is checked at 360 px
and at 200 % zoom for sideways scrolling. With TONGBAN_SCREENSHOTS=1 the reviewer's case page is saved to
docs/screenshots/case.png (1280 px wide).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, expect

from tests.cases import make
from tests.identity import make as people
from tongban.cases import services
from tongban.cases.models import Case
from tongban.catalog import regions
from tongban.catalog.models import Region
from tongban.workdays import clock, loader
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "case.png"
FORM = {
    "type": "object",
    "required": ["account"],
    "properties": {"account": {"type": "string", "title": "收款银行账号"}},
}


@pytest.fixture
def world(transactional_db: None, settings) -> Iterator[make.World]:  # type: ignore[no-untyped-def]
    """Staff and an applicant of one department, committed so the live server's thread sees them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The flush after each transactional test empties the tables data migrations filled: put them back
    # (see conftest.py): the divisions, and the working-day calendar every deadline is counted in.
    if not Region.objects.exists():
        regions.load(Region)
    if not CalendarYear.objects.exists():
        calendar = resources.files("tongban.workdays").joinpath("data/calendar.csv").read_bytes()
        loader.load_schedule(calendar, source="chinese-calendar 1.11.0")
    clock.forget()
    built = make.world(form_schema=FORM)
    yield built
    # The flush does not empty SQLite's full-text table (it is no model's): drop this test's entry, or a
    # later search would count it.
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DELETE FROM catalog_search_fts WHERE rowid = %s", [built.implementation.pk])


def login(browser: Browser, base: str, user, **context) -> Page:  # type: ignore[no-untyped-def]
    page = browser.new_context(**context).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(people.PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator("#signed-in-as")).to_be_visible()
    return page


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def status_is(page: Page, text: str) -> None:
    expect(page.locator("#case-status")).to_have_text(text)


def act(page: Page, action: str, **fields: str) -> None:
    """Open an action's form (if it has one), fill it, and press its button."""
    panel = page.locator(f'[data-action="{action}"]')
    summary = panel.locator("summary")
    if summary.count():
        summary.click()
    for name, value in fields.items():
        panel.locator(f'[name="{name}"]').fill(value)
    panel.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_be_visible()


def test_an_online_application_through_to_delivery(browser: Browser, live_server, world, tmp_path):
    base = live_server.url
    pdf = tmp_path / "证明.pdf"
    pdf.write_bytes(make.PDF)

    applicant = login(browser, base, world.applicant)
    applicant.goto(f"{base}/cases/apply/{world.implementation.pk}/")
    applicant.get_by_role("button", name="开始申请").click()
    expect(applicant.get_by_role("heading", name="您的申请")).to_be_visible()
    applicant.get_by_label("收款银行账号").fill("6222000011112222")
    for upload in applicant.locator('#materials input[type="file"]').all():
        upload.set_input_files(str(pdf))
    applicant.get_by_role("button", name="提交申请").click()
    expect(applicant.locator("#flash")).to_contain_text("申请已提交")
    status_is(applicant, "待受理")
    number = applicant.locator("#case-number").inner_text()
    no_sideways_scroll(applicant)

    clerk = login(browser, base, world.clerk)
    clerk.goto(f"{base}/cases/queue/")
    clerk.get_by_role("link", name=re.compile("正常退休提取住房公积金")).first.click()
    act(clerk, "accept")
    status_is(clerk, "审查中")

    reviewer = login(browser, base, world.reviewer, viewport={"width": 1280, "height": 900})
    reviewer.goto(f"{base}/cases/{number}/")
    if os.environ.get("TONGBAN_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        reviewer.screenshot(path=str(SCREENSHOT), full_page=True)
    # By keyboard: the disclosure opens with Enter, the opinion is typed, Enter in the button sends it.
    reviewer.locator('[data-action="review"] summary').focus()
    reviewer.keyboard.press("Enter")
    reviewer.get_by_label("意见").focus()
    reviewer.keyboard.type("材料齐全，符合提取条件")
    reviewer.keyboard.press("Tab")
    reviewer.keyboard.press("Enter")
    expect(reviewer.locator("#flash")).to_contain_text("签署审查意见")
    act(reviewer, "approve", opinion="准予提取")
    status_is(reviewer, "已准予，待出件")

    clerk.reload()
    act(clerk, "issue")
    status_is(clerk, "已出件，待送达")
    clerk.locator('[data-action="deliver"] summary').click()
    clerk.get_by_label("网上下载").check()
    clerk.locator('[data-action="deliver"] button[type=submit]').click()
    status_is(clerk, "已办结")

    applicant.reload()
    status_is(applicant, "已办结")
    notices = applicant.locator("#notices")
    expect(notices).to_contain_text("受理通知书")
    expect(notices).to_contain_text("办结通知书")
    expect(applicant.locator("#timeline")).to_contain_text("结果已送达（网上下载），办件已办结")

    # 200 % zoom on a 1280 px screen: the layout of 640 CSS pixels at twice the density.
    zoomed = login(browser, base, world.clerk, viewport={"width": 640, "height": 450}, device_scale_factor=2)
    zoomed.goto(f"{base}/cases/{number}/")
    expect(zoomed.get_by_role("heading", name="办理过程")).to_be_visible()
    no_sideways_scroll(zoomed)


def test_a_window_intake_through_to_delivery(browser: Browser, live_server, world):
    base = live_server.url
    number = people.resident_id("411502", "20000101")
    clerk = login(browser, base, world.clerk, viewport={"width": 360, "height": 780})  # a phone

    clerk.goto(f"{base}/cases/")  # the 办件 entry point: a clerk lands on their queue
    clerk.get_by_role("navigation", name="办件").get_by_role("link", name="窗口收件").click()
    clerk.get_by_label("事项名称或编码").fill("公积金")
    clerk.get_by_label("事项名称或编码").press("Enter")
    clerk.locator("#intake-results a").first.click()
    clerk.get_by_label("居民身份证号码").fill(number)
    clerk.get_by_role("button", name="查找申请人").click()
    expect(clerk.locator("#applicant-missing")).to_be_visible()
    clerk.get_by_label("姓名（与证件一致）").fill("王五")
    clerk.get_by_role("button", name="登记申请人").click()
    expect(clerk.locator("#applicant-found")).to_contain_text("王*")
    clerk.get_by_label("身份核验方式").fill("身份证读卡器核验")
    clerk.get_by_label("收款银行账号").fill("6222000033334444")
    clerk.get_by_role("button", name="收件", exact=True).click()
    status_is(clerk, "待受理")
    no_sideways_scroll(clerk)

    for form in clerk.locator('[data-material-action="record"]').all():
        form.locator("select").select_option("original_seen")
        form.locator("button").click()
        expect(clerk.locator("#flash")).to_contain_text("材料已登记")
    act(clerk, "accept")
    status_is(clerk, "审查中")

    case = Case.objects.get(number=clerk.locator("#case-number").inner_text())
    services.review(world.actor("reviewer"), case, opinion="符合条件")
    services.approve(world.actor("reviewer"), case, opinion="准予")

    clerk.reload()
    act(clerk, "issue")
    clerk.locator('[data-action="deliver"] summary').click()
    clerk.get_by_label("窗口领取").check()
    clerk.locator('[data-action="deliver"] button[type=submit]').click()
    expect(clerk.locator("#error-summary")).to_contain_text("请填写领取人身份核验")  # beside the field too
    expect(clerk.locator("#deliver-recipient_id_check-error")).to_be_visible()
    clerk.get_by_label("领取人身份核验方式").fill("身份证原件核验")
    clerk.locator('[data-action="deliver"] button[type=submit]').click()
    status_is(clerk, "已办结")
    no_sideways_scroll(clerk)
