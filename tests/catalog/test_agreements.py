"""May a window in region A receive item X of region B, and in which modes?"""

from datetime import date

import pytest

from tests import factories as f
from tongban.catalog import services
from tongban.catalog.agreements import receivable, receivable_implementations
from tongban.catalog.models import Region
from tongban.core.errors import DomainError
from tongban.identity.actor import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    main = f.item("住房公积金提取")
    handling = f.item("正常退休提取住房公积金", kind="handling", handling_code="GJJ-TQ-TX", parent=main)
    impl = f.implementation(handling, f.department("411500"))
    services.create_agreement(
        SYSTEM,
        name="信阳—苏州跨省通办",
        kind="p2p",
        region_codes=["411500", "320500"],
        item_codes=[main.basic_code],
        modes=["proxy", "online"],
        effective_from=date(2021, 1, 1),
        effective_to=date(2030, 12, 31),
    )
    return handling, impl


def regions(*codes):
    return [Region.objects.get(code=c) for c in codes]


def test_a_member_window_may_receive_the_covered_item_and_its_handling_items(setup):
    handling, _ = setup
    suzhou, xinyang, yuanqu = regions("320500", "411500", "320576")
    answer = receivable(suzhou, handling, xinyang, date(2026, 11, 20))
    assert answer.allowed and answer.modes == ("online", "proxy")
    assert answer.agreements == ("信阳—苏州跨省通办",)
    # a district inside a member region is covered too (苏州工业园区)
    assert receivable(yuanqu, handling, Region.objects.get(code="411502"), date(2026, 11, 20)).allowed


def test_outside_members_dates_or_items_nothing_is_allowed(setup):
    handling, _ = setup
    suzhou, xinyang, nanjing = regions("320500", "411500", "320100")
    assert not receivable(nanjing, handling, xinyang, date(2026, 11, 20)).allowed
    assert not receivable(suzhou, handling, xinyang, date(2020, 6, 1)).allowed
    assert not receivable(suzhou, handling, xinyang, date(2031, 1, 1)).allowed
    assert not receivable(suzhou, f.item("无关事项"), xinyang, date(2026, 11, 20)).allowed


def test_receivable_implementations_for_a_window(setup):
    _, impl = setup
    suzhou, nanjing = regions("320500", "320100")
    assert list(receivable_implementations(suzhou, date(2026, 11, 20))) == [impl]
    assert not receivable_implementations(nanjing, date(2026, 11, 20)).exists()


def test_api_answers_the_question(client, setup):
    handling, _ = setup
    response = client.get(
        "/api/v1/agreements/receivable/",
        {"receiving": "320500", "handling": "411500", "item": handling.handling_code, "on": "2026-11-20"},
    )
    assert response.json() == {"allowed": True, "modes": ["online", "proxy"], "agreements": ["信阳—苏州跨省通办"]}
    bad = client.get("/api/v1/agreements/receivable/", {"receiving": "3205", "handling": "411500", "item": "x"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "receiving"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"region_codes": ["411500"]}, "regions"),
        ({"region_codes": ["411500", "999999"]}, "regions[1]"),
        ({"item_codes": ["NOPE00000000"]}, "items[0]"),
        ({"modes": ["fax"]}, "modes"),
        ({"effective_to": date(2020, 1, 1)}, "effective_to"),
        ({"kind": "friendship"}, "kind"),
    ],
)
def test_bad_agreements_are_refused(kwargs, field):
    item = f.item()
    args = {
        "name": "测试协议",
        "kind": "p2p",
        "region_codes": ["411500", "320500"],
        "item_codes": [item.basic_code],
        "modes": ["proxy"],
        "effective_from": date(2021, 1, 1),
    } | kwargs
    with pytest.raises(DomainError) as exc:
        services.create_agreement(SYSTEM, **args)
    assert exc.value.problems[0].field == field


def test_an_impossible_date_is_a_400(client, setup):
    handling, _ = setup
    response = client.get(
        "/api/v1/agreements/receivable/",
        {"receiving": "320500", "handling": "411500", "item": handling.handling_code, "on": "2025-13-01"},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "on"
