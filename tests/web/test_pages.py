"""The public catalog pages, as a citizen reads them: Chinese by default, English under /en/."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.web import data

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> data.Catalog:
    return data.build()


def page(client: Client, url: str, status: int = 200, **kw: object) -> str:
    response = client.get(url, **kw)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def guide_url(catalog: data.Catalog, suffix: str = "", lang: str = "") -> str:
    return f"{lang}/guides/{catalog.fund.implementation_code}/{suffix}"


# Search


def test_home_is_in_chinese_by_default_with_a_labelled_search_box(client, catalog):
    html = page(client, "/")
    assert '<html lang="zh-Hans"' in html
    assert "<title>我要办事 · 政务服务</title>" in html
    assert '<label for="id_q">您要办什么事？</label>' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "事项库共有 4 个事项" in html


def test_home_is_in_english_under_en(client, catalog):
    html = page(client, "/en/")
    assert '<html lang="en"' in html
    assert "What do you need to do?" in html
    assert "4 services in the catalogue" in html
    assert 'href="/en/guides/' in html


def test_a_result_shows_region_department_modes_and_promised_limit(client, catalog):
    html = page(client, "/?q=公积金")
    assert "找到 1 个事项" in html
    assert "正常退休提取住房公积金" in html
    assert "河南省信阳市" in html and "信阳市住房公积金管理中心" in html
    assert "窗口办理、全程网办、异地代收代办" in html
    assert "1 个工作日" in html
    assert f'href="/guides/{catalog.fund.implementation_code}/"' in html


def test_social_security_abbreviation_finds_the_card_by_its_alias(client, catalog):
    html = page(client, "/?q=社保")
    assert "社会保障卡申领" in html
    assert "合伙企业设立登记" not in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("region=320500", ["苏州市市场监督管理局"], ["信阳市市场监督管理局", "正常退休提取住房公积金"]),
        ("region=410000", ["信阳市市场监督管理局", "正常退休提取住房公积金"], ["苏州市市场监督管理局"]),
        ("item_type=1", ["合伙企业设立登记"], ["正常退休提取住房公积金", "社会保障卡申领"]),
        ("mode=kiosk", ["社会保障卡申领"], ["合伙企业设立登记", "正常退休提取住房公积金"]),
        ("service_object=legal", ["合伙企业设立登记"], ["正常退休提取住房公积金", "社会保障卡申领"]),
        # A window in 苏州 may receive 信阳's housing-fund item under the agreement, and nothing else of 信阳's.
        ("receivable_in=320500", ["正常退休提取住房公积金"], ["社会保障卡申领", "合伙企业设立登记"]),
    ],
)
def test_search_filters(client, catalog, query, shown, hidden):
    html = page(client, f"/?{query}")
    results = html[html.index('id="results"') :]
    for text in shown:
        assert text in results, text
    for text in hidden:
        assert text not in results, text


def test_region_filter_offers_the_regions_present(client, catalog):
    html = page(client, "/")
    assert '<option value="411500">河南省信阳市 411500</option>' in html
    assert '<option value="320000">江苏省 320000</option>' in html


def test_an_unknown_region_code_is_reported_beside_its_field(client, catalog):
    html = page(client, "/?region=999999")
    assert "不存在代码为 999999 的行政区划。" in html
    assert 'aria-invalid="true"' in html
    assert "事项库共有 4 个事项" in html  # the bad filter is left out, not the whole search


def test_results_are_paginated(client):
    dept = factories.department("411500", name="信阳市测试局")
    for n in range(12):
        factories.implementation(factories.item(f"测试事项{n:02d}"), dept)
    first = page(client, "/")
    assert "第 1 页，共 2 页" in first and 'rel="next"' in first
    second = page(client, "/?page=2")
    assert second.count('class="result"') == 2
    assert "没有第 9 页。" in page(client, "/?page=9")


def test_htmx_gets_only_the_results_and_the_count(client, catalog):
    response = client.get("/?q=社保", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="result-count"' in html and 'hx-swap-oob="true"' in html
    assert "社会保障卡申领" in html
    assert "HX-Request" in response["Vary"]


# Guide


def test_guide_shows_every_element_a_citizen_needs(client, catalog):
    html = page(client, guide_url(catalog))
    for text in [
        "<h1>正常退休提取住房公积金</h1>",
        "河南省信阳市 · 信阳市住房公积金管理中心",
        # conditions, service objects
        "已办理退休手续的缴存职工",
        "自然人",
        # limits with their units, case type
        "20 个工作日",
        "1 个工作日",
        "材料齐全当场受理",
        "承诺件",
        # special procedure, scope, online depth
        "异地核查",
        "全国通办",
        "4 / 4 · 全程网办",
        # result, place, phones
        "款项支付",
        "住房公积金提取到账通知",
        "信阳市政务服务中心二楼住房公积金窗口",
        "0376-12329",
        "0376-12345",
        # FAQ, form fields
        "退休后多久可以提取？",
        "收款银行账号",
        "必填",
        "联系电话",
        "选填",
        # fees
        "不收费",
    ]:
        assert text in html, text


def test_guide_materials_table_shows_every_field(client, catalog):
    html = page(client, guide_url(catalog))
    table = html[html.index('class="materials') : html.index("</table>")]
    for text in [
        "居民身份证",
        "退休证明",
        "本人银行卡",
        "社会保障卡",
        # necessity, 容缺 clearly
        "必须提交",
        "必须提交，可容缺后补",
        "非必要",
        # form, paper copies and size, source
        "原件和复印件",
        "1 (A4)",
        "政府部门核发",
        "申请人自备",
        # licence types, basis, filling notes, acceptance standard
        "11100000000013100M001",  # a licence type this node does not define is shown by its code
        "《住房公积金管理条例》第二十四条",
        "须为本人一类银行账户",
        "在有效期内",
    ]:
        assert text in table, text


def test_guide_lists_versions_with_a_link_to_the_changes(client, catalog):
    html = page(client, guide_url(catalog))
    assert f'href="/guides/{catalog.fund.implementation_code}/diff/?from=1&amp;to=2"' in html
    assert "现行有效" in html and "已废止" in html
    assert f'href="/items/{catalog.fund_item.basic_code}/compare/"' in html


def test_guide_in_english(client, catalog):
    html = page(client, guide_url(catalog, lang="/en"))
    for text in [
        "Materials to bring",
        "required, may be supplied later (容缺)",
        "original and copy",
        "whole process online",
        "20 working days",
        "Frequently asked questions",
    ]:
        assert text in html, text


def test_a_guide_never_published_is_not_public(client):
    impl = factories.implementation(publish=False)
    html = page(client, f"/guides/{impl.implementation_code}/", status=404)
    assert "没有实施编码为" in html


# Unknown codes


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/guides/NOPE/", "没有实施编码为 NOPE 的已发布办事指南。"),
        ("/guides/NOPE/diff/?from=1&to=2", "没有实施编码为 NOPE 的已发布办事指南。"),
        ("/items/X00000000000/compare/", "没有基本编码为 X00000000000 的政务服务事项。"),
        ("/no/such/page/", "此地址没有页面。"),
    ],
)
def test_unknown_codes_get_a_friendly_404(client, catalog, url, message):
    html = page(client, url, status=404)
    assert "<h1>页面不存在</h1>" in html and message in html
    assert '<input type="search" id="not-found-q" name="q"' in html


def test_404_in_english(client, catalog):
    html = page(client, "/en/guides/NOPE/", status=404)
    assert "There is no published guide with the code NOPE." in html
    assert '<html lang="en"' in html


def test_unknown_version_is_404(client, catalog):
    html = page(client, guide_url(catalog, "diff/?from=1&to=7"), status=404)
    assert "此指南不存在第 7 版" in html


# Diff


def test_diff_shows_the_changed_material_and_limit(client, catalog):
    html = page(client, guide_url(catalog, "diff/?from=1&to=2"))
    assert "从第 1 版到第 2 版共有 3 处变更。" in html
    changed = html[html.index("材料：退休证明 · 材料形式") :]
    assert changed.index("复印件") < changed.index("原件和复印件")  # before, then after
    assert "新增" in html and "材料：社会保障卡" in html
    assert "3 个工作日" in html and "1 个工作日" in html


def test_diff_without_parameters_compares_the_version_in_force_with_the_one_before(client, catalog):
    assert "从第 1 版到第 2 版共有 3 处变更。" in page(client, guide_url(catalog, "diff/"))


def test_diff_of_a_guide_with_one_version_says_there_is_nothing_yet(client, catalog):
    html = page(client, f"/guides/{catalog.card.implementation_code}/diff/")
    assert "此指南只有一个已发布版本，暂无变更可显示。" in html


def test_diff_says_which_parameter_is_not_a_number(client, catalog):
    html = page(client, guide_url(catalog, "diff/?from=abc&to=2"), status=400)
    assert "“from”应为版本号" in html


def test_diff_in_english(client, catalog):
    html = page(client, guide_url(catalog, "diff/?from=1&to=2", lang="/en"))
    assert "3 changes from version 1 to version 2." in html
    assert "material: 退休证明 · form" in html and "original and copy" in html


# Comparison


def test_comparison_reads_clearly_five_materials_against_two(client, catalog):
    html = page(client, f"/items/{catalog.partnership.basic_code}/compare/")
    assert "江苏省苏州市" in html and "河南省信阳市" in html
    assert "5 份材料" in html and "2 份材料" in html
    assert "4 处差异" in html  # three materials only 苏州 asks, and the promised limit
    assert "材料：主要经营场所证明" in html and "不需要" in html
    # The differences come before the full tables.
    assert html.index("处差异") < html.index("各地申请材料") < html.index("各地其他要素")


def test_comparison_in_english(client, catalog):
    html = page(client, f"/en/items/{catalog.partnership.basic_code}/compare/")
    assert "5 materials" in html and "2 materials" in html
    assert "material: 主要经营场所证明" in html and "not asked" in html
    assert "3 working days" in html and "1 working day" in html and "1 working days" not in html


def test_comparison_of_an_item_with_one_region_says_there_is_nothing_to_compare(client, catalog):
    html = page(client, f"/items/{catalog.fund_item.basic_code}/compare/")
    assert "只有一个地区公布了此事项的办事指南" in html


# Language and large text


def test_language_switch_goes_to_the_same_page_in_english(client, catalog):
    url = guide_url(catalog)
    response = client.post("/i18n/setlang/", {"language": "en", "next": url})
    assert response.status_code == 302
    assert response["Location"] == f"/en{url}"


def test_language_switch_comes_back_to_chinese(client, catalog):
    url = guide_url(catalog)
    html = page(client, f"/en{url}")
    assert f'id="language-next" value="{url}"' in html  # unprefixed, so either language resolves it
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": url})
    assert response["Location"] == url


def test_large_text_toggle_sets_and_clears_its_cookie(client, catalog):
    url = guide_url(catalog)
    response = client.post("/text-size/", {"large": "1", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert response.cookies["tongban_large_text"].value == "1"
    html = page(client, url)
    assert '<html lang="zh-Hans" class="large-text">' in html
    assert 'aria-pressed="true"' in html
    response = client.post("/text-size/", {"large": "0", "next": url})
    assert response.cookies["tongban_large_text"]["max-age"] == 0
    assert 'class="large-text"' not in page(client, url)


def test_large_text_toggle_does_not_redirect_elsewhere(client):
    response = client.post("/text-size/", {"large": "1", "next": "https://example.com/"})
    assert response["Location"] == "/"
