"""Shared guides (云联盟): a node answers with its own regions' published implementations of an item, and
the comparison page sets other nodes' beside its own, naming a node that did not answer. Between real
nodes: tests/federation/test_transfer_nodes.py."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.cases.test_transfer import envelope
from tests.federation.conftest import PEER, federation  # noqa: F401
from tongban.catalog import sharing
from tongban.core.errors import DomainError
from tongban.federation.queries import Answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(federation):  # noqa: F811
    federation.accept()
    item = f.item(name="正常退休提取住房公积金")
    f.implementation(item, f.department("411500"), material_list=[{"name": "居民身份证"}])
    # 苏州's own, held here too (a window here may receive it): 苏州 publishes it, not this node
    f.implementation(item, f.department("320500"), material_list=[{"name": "居民身份证"}], region_code="320500")
    return item


def test_a_node_publishes_its_own_regions_implementations_only(item):
    result = sharing.answer(envelope("catalog.guides", {"basic_code": item.basic_code}))
    assert [i["region"] for i in result["implementations"]] == ["411500"]
    entry = result["implementations"][0]
    assert entry["materials"] == ["居民身份证"] and entry["values"]["promised_limit"] is not None
    with pytest.raises(DomainError):
        sharing.answer(envelope("catalog.guides", {"basic_code": "NOSUCHCODE00"}))


def test_the_comparison_sets_other_nodes_guides_beside_this_ones(item, client, monkeypatch):
    theirs = {
        "implementation_code": "ZZ" + item.basic_code,
        "item": item.name,
        "region": "320500",
        "department": "苏州市住房公积金管理中心",
        "version": 1,
        "content_hash": "x",
        "values": {"promised_limit": 1, "conditions": "苏州的条件"},
        "materials": ["居民身份证", "退休审批表"],
    }
    monkeypatch.setattr(
        sharing.queries,
        "ask_all",
        lambda *a, **k: [Answer(PEER, True, {"implementations": [theirs]}), Answer("huanggang", False, {}, "down")],
    )
    page = client.get(f"/items/{item.basic_code}/compare/", {"across": "1"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "苏州市住房公积金管理中心" in html and "退休审批表" in html
    assert "huanggang" in html  # named as not answering
    assert "退休审批表" not in client.get(f"/items/{item.basic_code}/compare/").content.decode()
