"""Merging the items' forms and materials: each field and material asked once, results chained."""

from __future__ import annotations

from tongban.bundles import merge

ID = "11100000000013100M001"
BIRTH_CERT = "11100000MB165302XM001"
LICENCE = "11100000MB0143028R001"


def form(*fields: tuple[str, dict], required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": dict(fields), "required": list(required)}


NAME = ("name", {"type": "string", "title": "申请人姓名"})
PHONE = ("phone", {"type": "string", "title": "联系电话"})


def guide(name: str, schema: dict | None = None, materials: list | None = None, result: str = "") -> dict:
    return {"name": name, "form_schema": schema or {}, "materials": materials or [], "result_license_type": result}


def material(name: str, *types: str, necessity: str = "required") -> dict:
    return {"name": name, "license_types": list(types), "necessity": necessity}


def test_a_field_several_items_ask_for_is_asked_once_and_fills_each():
    guides = {
        "a": guide("甲", form(NAME, PHONE, required=("name",))),
        "b": guide("乙", form(NAME, ("address", {"type": "string"}), required=("name", "address"))),
    }
    merged = merge.merge_form(guides, "一件事")
    assert list(merged.schema["properties"]) == ["name", "phone", "address"]
    assert merged.schema["required"] == ["name", "address"]
    assert merged.fills == {"a": ["name", "phone"], "b": ["name", "address"]}
    assert merged.conflicts == []


def test_a_field_of_different_type_is_a_conflict_naming_field_and_items():
    guides = {
        "a": guide("甲", form(("capital", {"type": "number"}))),
        "b": guide("乙", form(("capital", {"type": "string"}))),
    }
    merged = merge.merge_form(guides)
    assert merged.conflicts == [merge.FieldConflict("capital", ("a", "b"), "type")]
    assert merged.schema["properties"]["capital"] == {"type": "number"}  # the first stays, still shown


def test_different_allowed_values_are_a_conflict_but_their_order_is_not():
    kinds = ("kind", {"type": "string", "enum": ["x", "y"]})
    guides = {
        "a": guide("甲", form(kinds)),
        "b": guide("乙", form(("kind", {"type": "string", "enum": ["y", "x"]}))),
        "c": guide("丙", form(("kind", {"type": "string", "enum": ["x"]}))),
    }
    assert merge.merge_form(guides).conflicts == [merge.FieldConflict("kind", ("a", "b", "c"), "enum")]


def test_a_material_several_items_need_is_asked_once_and_lists_them():
    guides = {
        "a": guide("甲", materials=[material("居民身份证", ID), material("申请书")]),
        "b": guide("乙", materials=[material("监护人居民身份证", ID)]),
        "c": guide("丙", materials=[material("申请书", necessity="optional")]),
    }
    merged = merge.merge_materials(guides)
    assert [(m.name, m.serves, m.necessity) for m in merged] == [
        ("居民身份证", ["a", "b"], "required"),
        ("申请书", ["a", "c"], "required"),
    ]
    assert merged[0].names == ["居民身份证", "监护人居民身份证"]


def test_two_materials_of_one_item_stay_two_even_with_one_licence_type():
    guides = {"a": guide("甲", materials=[material("股东身份证件", ID, LICENCE), material("法定代表人身份证", ID)])}
    assert len(merge.merge_materials(guides)) == 2


def test_the_same_licence_types_win_over_a_mere_overlap():
    guides = {
        "a": guide("甲", materials=[material("股东身份证件", ID, LICENCE), material("法定代表人身份证", ID)]),
        "b": guide("乙", materials=[material("经办人身份证", ID)]),
    }
    merged = merge.merge_materials(guides)
    assert [m.serves for m in merged] == [["a"], ["a", "b"]]


def test_an_earlier_items_result_is_the_material_of_a_later_one():
    guides = {
        "birth_cert": guide("出生医学证明签发", materials=[material("登记表")], result=BIRTH_CERT),
        "hukou": guide("新生儿入户", materials=[material("出生医学证明", BIRTH_CERT)]),
        "ss_card": guide("社会保障卡申领", materials=[material("出生医学证明", BIRTH_CERT)]),
    }
    upstream = {"birth_cert": [], "hukou": ["birth_cert"], "ss_card": ["hukou", "birth_cert"]}
    merged = merge.merge_materials(guides, upstream)
    cert = next(m for m in merged if m.name == "出生医学证明")
    assert cert.from_result_of == "birth_cert"
    assert cert.serves == ["hukou", "ss_card"]
    assert not cert.asked


def test_a_result_counts_only_for_items_that_wait_for_it():
    guides = {
        "birth_cert": guide("出生医学证明签发", result=BIRTH_CERT),
        "hukou": guide("新生儿入户", materials=[material("出生医学证明", BIRTH_CERT)]),
    }
    merged = merge.merge_materials(guides, {"birth_cert": [], "hukou": []})  # side by side: no chaining
    assert merged[0].from_result_of is None


def test_savings_count_what_the_applicant_gives():
    guides = {
        "birth_cert": guide("签发", form(NAME, PHONE), [material("登记表"), material("身份证", ID)], BIRTH_CERT),
        "hukou": guide("入户", form(NAME), [material("出生医学证明", BIRTH_CERT), material("身份证", ID)]),
    }
    merged_form = merge.merge_form(guides)
    merged = merge.merge_materials(guides, {"birth_cert": [], "hukou": ["birth_cert"]})
    s = merge.savings(guides, merged_form, merged)
    assert (s.fields_separately, s.fields_in_bundle) == (3, 2)
    assert (s.materials_separately, s.materials_in_bundle) == (4, 2)
    assert s.from_results == ["出生医学证明 ← birth_cert"]
