"""The guide's elements for 告知承诺 and 容缺受理: what a guide may offer, and how it must say so."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tongban.catalog import guide as guide_rules


def _codes(data: dict[str, Any], materials: list[dict[str, Any]]) -> set[tuple[str | None, str]]:
    return {(p.field, p.code) for p in guide_rules.validate_guide(data, materials)}


def test_a_guide_with_commitment_states_the_text_and_what_it_replaces():
    data = f.guide(commitment_allowed=True)
    assert _codes(data, f.materials()) >= {
        ("commitment_text", "required"),
        ("commitment_allowed", "nothing_replaceable"),
    }
    data.update(commitment_text="承诺符合条件；不实承诺的，撤销决定并记入信用记录", commitment_conditions=["已退休"])
    assert _codes(data, f.materials()) == set()


def test_without_commitment_nothing_may_be_marked_replaceable():
    materials = f.materials()
    materials[1]["commitment_allowed"] = True
    assert ("commitment_allowed", "commitment_not_allowed") in _codes(f.guide(), materials)
    assert ("commitment_allowed", "commitment_not_allowed") in _codes(
        f.guide(commitment_conditions=["已退休"]), f.materials()
    )


def test_a_main_material_is_never_tolerated_and_flags_are_booleans():
    materials = f.materials("申请表", "发票")
    materials[0].update(main=True, necessity="tolerated")
    materials[1].update(main="yes")
    codes = _codes(f.guide(), materials)
    assert ("materials[0].necessity", "main_not_tolerable") in codes
    assert ("materials[1].main", "not_a_boolean") in codes


def test_periods_have_sensible_bounds():
    codes = _codes(f.guide(verification_days=0, tolerance_days=61), f.materials())
    assert {("verification_days", "out_of_range"), ("tolerance_days", "out_of_range")} <= codes
    assert _codes(f.guide(verification_days=60, tolerance_days=20), f.materials()) == set()


def test_a_guide_that_does_not_use_the_new_elements_keeps_its_published_hash():
    data, materials = f.guide(), f.materials()
    before = guide_rules.content_hash(data, materials)
    with_defaults = {**data, "commitment_conditions": [], "commitment_text": "", "verification_days": None}
    defaulted = [{**m, "main": False, "commitment_allowed": False} for m in materials]
    assert guide_rules.content_hash(with_defaults, defaulted) == before
    assert guide_rules.content_hash({**data, "tolerance_days": 5}, materials) != before
