"""Chinese full-text search: two-character queries, abbreviations, ranking and filters."""

from datetime import date

import pytest

from tests import factories as f
from tongban.catalog import search, services
from tongban.identity.actor import SYSTEM

pytestmark = pytest.mark.django_db


def test_tokens_are_unigrams_and_bigrams_of_chinese_runs_and_latin_words():
    assert search.tokens("社保卡 ID2") == ["社", "保", "卡", "社保", "保卡", "id2"]
    assert search.query_tokens("社保卡") == ["社保", "保卡"]
    assert search.query_tokens("证") == ["证"]


@pytest.fixture
def catalog():
    card = f.item("社会保障卡申领", aliases=["社保卡"])
    hukou = f.item("开具户籍类证明", aliases=["户口证明"], item_type="10")
    passport = f.item("普通护照签发", aliases=["护照"], item_type="1")
    fund = f.item("正常退休提取住房公积金", aliases=["退休提取公积金"])
    return {
        "card": f.implementation(card, f.department("411500"), guide_data=f.guide(name=card.name, modes=["window"])),
        "hukou": f.implementation(
            hukou, f.department("411500"), guide_data=f.guide(name=hukou.name, service_objects=["natural"])
        ),
        "passport": f.implementation(passport, f.department("320500")),
        "fund": f.implementation(fund, f.department("320500"), material_list=f.materials("居民身份证", "退休审批表")),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("社保", "card"),
        ("户口", "hukou"),
        ("护照", "passport"),
        ("公积金", "fund"),
        ("社会保障卡", "card"),
        ("退休审批表", "fund"),  # found through a material's name
    ],
)
def test_short_and_long_queries_find_their_items(catalog, query, expected):
    page = search.search(query)
    assert page.ids and page.ids[0] == catalog[expected].pk


def test_abbreviations_expand(catalog):
    # 社保 is not in 社会保障卡申领's name; the alias and the expansion 社保→社会保障 both find it.
    assert search.query_alternatives("社保") == [["社保"], ["社会", "会保", "保险"], ["社会", "会保", "保障"]]


def test_words_in_another_order_still_find_the_item(catalog):
    # no item has every bigram of 住房公积金提取 (金提 is missing): the best partial match comes first
    assert search.search("住房公积金提取").ids[0] == catalog["fund"].pk


def test_nothing_matches_nonsense(catalog):
    assert search.search("火星").total == 0
    assert search.search("!!!").total == 0


def test_name_matches_rank_above_material_matches(catalog):
    other = f.item("居民身份证换领")
    f.implementation(other, f.department("411500"))
    page = search.search("身份证")
    assert page.ids[0] == other.implementations.get().pk  # in the name, not only in a material list


def test_filters(catalog):
    in_xinyang = search.search("", search.Filters(region="410000"))
    assert set(in_xinyang.ids) == {catalog["card"].pk, catalog["hukou"].pk}
    assert search.search("", search.Filters(mode="proxy")).total == 3
    assert search.search("", search.Filters(item_type="1")).ids == [catalog["passport"].pk]
    assert search.search("社保", search.Filters(region="320500")).total == 0


def test_receivable_in_filter_uses_agreements(catalog):
    services.create_agreement(
        SYSTEM,
        name="信阳—杨浦",
        kind="p2p",
        region_codes=["411500", "310110"],
        item_codes=[catalog["hukou"].item.basic_code],
        modes=["online"],
        effective_from=date(2021, 1, 1),
    )
    page = search.search("", search.Filters(receivable_in="310110"))
    assert page.ids == [catalog["hukou"].pk]


def test_search_api_paginates_and_counts(client, catalog):
    body = client.get("/api/v1/search/", {"q": "证明", "limit": 1}).json()
    assert body["count"] >= 1 and len(body["results"]) == 1
    assert body["results"][0]["item_name"] == "开具户籍类证明"
    bad = client.get("/api/v1/search/", {"q": "x", "limit": "many"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "limit"
    bad_region = client.get("/api/v1/search/", {"region": "12"})
    assert bad_region.status_code == 400 and bad_region.json()["errors"][0]["field"] == "region"


def test_republishing_reindexes(catalog):
    impl = catalog["card"]
    draft = services.update_draft(
        SYSTEM, services.start_revision(SYSTEM, impl), guide={}, materials=f.materials("新生儿出生证明")
    )
    services.publish_guide(SYSTEM, draft)
    assert search.search("出生证明").ids == [impl.pk]


def test_only_guides_in_force_are_found(catalog):
    draft_only = f.implementation(f.item("药品经营许可"), f.department("411500"), publish=False)
    assert search.search("药品经营").total == 0
    assert draft_only.pk not in search.search("", search.Filters(region="411500")).ids
    services.retire_guide(SYSTEM, catalog["card"].current_version)
    assert search.search("社保").total == 0
