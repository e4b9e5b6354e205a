"""The dependency graph: what waits for what, which items run together, and the graphs refused."""

from __future__ import annotations

import pytest

from tongban.bundles import graph
from tongban.core.errors import DomainError

BIRTH = ["birth_cert", "hukou", "medical", "ss_card"]
BIRTH_EDGES = [("hukou", "birth_cert"), ("medical", "hukou"), ("ss_card", "hukou")]


def test_levels_put_items_that_wait_for_the_same_result_side_by_side():
    assert graph.levels(BIRTH, BIRTH_EDGES) == [["birth_cert"], ["hukou"], ["medical", "ss_card"]]


def test_items_without_dependencies_all_start_at_once():
    assert graph.levels(["a", "b", "c"], []) == [["a", "b", "c"]]


def test_an_item_waits_for_its_longest_chain():
    keys = ["reg", "seal", "invoice", "fund"]
    edges = [("seal", "reg"), ("invoice", "reg"), ("invoice", "seal"), ("fund", "reg")]
    assert graph.levels(keys, edges) == [["reg"], ["seal", "fund"], ["invoice"]]


def test_upstream_is_transitive_nearest_first():
    assert graph.upstream(BIRTH, BIRTH_EDGES)["ss_card"] == ["hukou", "birth_cert"]
    assert graph.upstream(BIRTH, BIRTH_EDGES)["birth_cert"] == []


def test_a_cycle_is_refused_and_named():
    with pytest.raises(DomainError) as caught:
        graph.validate(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    problem = caught.value.problems[0]
    assert (problem.field, problem.code) == ("dependencies", "cycle")
    assert "a → b → c → a" in problem.text.en
    assert "a → b → c → a" in problem.text.zh


def test_levels_refuse_a_cycle_too():
    with pytest.raises(DomainError, match="a → b → a"):
        graph.levels(["a", "b"], [("a", "b"), ("b", "a")])


def test_unknown_items_self_dependency_and_repeats_are_named_by_position():
    with pytest.raises(DomainError) as caught:
        graph.validate(["a", "b"], [("a", "x"), ("b", "b"), ("a", "b"), ("a", "b")])
    found = {(p.field, p.code) for p in caught.value.problems}
    assert found == {
        ("dependencies[0]", "unknown_item"),
        ("dependencies[1]", "self_dependency"),
        ("dependencies[3]", "duplicate_dependency"),
    }
    assert any("'x'" in p.text.en and "“x”" in p.text.zh for p in caught.value.problems)


def test_regions_on_one_line_belong_to_one_bundle_others_do_not():
    regions = {"district": ("410505", "410505"), "city": ("410500", "4105"), "elsewhere": ("411500", "4115")}
    assert graph.outside_region("410505", "410505", regions) == ["elsewhere"]
    assert graph.outside_region("410500", "4105", regions) == ["elsewhere"]
