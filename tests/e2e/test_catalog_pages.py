"""An applicant finds a service, reads its guide, switches language and text size, on a phone too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web import data

pytestmark = pytest.mark.e2e


def body_font_px(page: Page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def test_search_by_keyboard_then_open_the_guide_and_read_its_materials(page: Page, live_server, catalog):
    page.goto(f"{live_server.url}/")
    page.get_by_label("您要办什么事？").focus()
    page.keyboard.type("公积金")
    page.keyboard.press("Enter")
    expect(page.locator("#result-count")).to_have_text("找到 1 个事项")
    assert "q=" in page.url  # the search is in the address, so it can be shared and reloaded

    page.get_by_role("link", name="正常退休提取住房公积金").click()
    expect(page).to_have_url(f"{live_server.url}/guides/{catalog.fund.implementation_code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("正常退休提取住房公积金")
    materials = page.locator("table.materials")
    for name in ["居民身份证", "退休证明", "本人银行卡", "社会保障卡"]:
        expect(materials).to_contain_text(name)
    expect(materials.get_by_text("必须提交，可容缺后补")).to_be_visible()


def test_choosing_a_filter_updates_the_results_in_place(page: Page, live_server, catalog):
    page.goto(f"{live_server.url}/")
    expect(page.locator("#result-count")).to_have_text("事项库共有 4 个事项")
    page.get_by_text("筛选条件").click()
    page.get_by_label("地区").select_option("320500")
    expect(page.locator("#result-count")).to_have_text("找到 1 个事项")
    expect(page.locator("#results")).to_contain_text("苏州市市场监督管理局")
    assert "region=320500" in page.url


def test_search_works_without_javascript(browser, live_server, catalog):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.get_by_label("您要办什么事？").fill("社保")
    page.get_by_label("您要办什么事？").press("Enter")
    expect(page.get_by_role("link", name="社会保障卡申领")).to_be_visible()
    context.close()


def test_switch_to_english_and_back(page: Page, live_server, catalog):
    guide = f"/guides/{catalog.fund.implementation_code}/"
    page.goto(f"{live_server.url}{guide}")
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{live_server.url}/en{guide}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Materials to bring")).to_be_visible()
    expect(page.locator("table.materials")).to_contain_text("required, may be supplied later (容缺)")
    expect(page.get_by_role("link", name="Find a service").first).to_be_visible()

    page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(f"{live_server.url}{guide}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="申请材料")).to_be_visible()


def test_large_text_toggle_makes_the_text_larger(page: Page, live_server, catalog):
    page.goto(f"{live_server.url}/guides/{catalog.fund.implementation_code}/")
    normal = body_font_px(page)
    toggle = page.get_by_role("button", name="大字模式")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    assert body_font_px(page) >= normal * 1.25
    # The choice is remembered on the next page.
    page.goto(f"{live_server.url}/")
    assert body_font_px(page) >= normal * 1.25


def _overflowing(page: Page, base: str, paths: list[str]) -> list[str]:
    wide = []
    for path in paths:
        page.goto(base + path)
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            wide.append(f"{path}: {scroll}px content in {client}px")
    return wide


def _pages(catalog: data.Catalog) -> list[str]:
    code = catalog.fund.implementation_code
    return [
        "/",
        "/?q=公积金&region=411500",
        f"/guides/{code}/",
        f"/guides/{code}/diff/?from=1&to=2",
        f"/items/{catalog.partnership.basic_code}/compare/",
        f"/en/guides/{code}/",
        "/guides/NOPE/",
    ]


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_no_horizontal_scrolling_on_a_360px_phone(page: Page, live_server, catalog, large_text):
    page.set_viewport_size({"width": 360, "height": 740})
    if large_text:
        page.context.add_cookies([{"name": "tongban_large_text", "value": "1", "url": live_server.url}])
    assert _overflowing(page, live_server.url, _pages(catalog)) == []


def test_no_horizontal_scrolling_at_200_percent_zoom(page: Page, live_server, catalog):
    # 200 % zoom on a 1280-pixel screen leaves 640 CSS pixels.
    page.set_viewport_size({"width": 640, "height": 400})
    assert _overflowing(page, live_server.url, _pages(catalog)) == []
