"""Catalog import and export (事项库导入导出): round trips, located errors, all or nothing, idempotence."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories as f
from tongban.catalog import guide as guide_rules
from tongban.catalog import search, services
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    ItemImplementation,
    MaterialRequirement,
    SearchEntry,
    ServiceItem,
)
from tongban.catalog.transfer import CatalogImportError, export_catalog, import_catalog, xlsx
from tongban.catalog.transfer import layout as L
from tongban.catalog.transfer.export import collect, write_json, write_xlsx
from tongban.identity.actor import SYSTEM

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# A small catalog with the awkward values: a sub-item tree, lists whose entries hold the separator,
# text that looks like an Excel formula, JSON objects, booleans, a second guide version, an agreement.
def build_catalog() -> dict[str, Any]:
    social = f.department("411500", name="信阳市人力资源和社会保障局", phone="0376-6221234")
    fund = f.department("411502", name="浉河区住房公积金中心", kind="institution")
    main = f.item(
        "住房公积金提取",
        item_type="20",
        aliases=["公积金提取"],
        keywords=["退休", "购房"],
        exercise_levels=["city", "county"],
        legal_basis="《住房公积金管理条例》第二十四条",
    )
    sub = f.item("正常退休提取住房公积金", kind="sub", parent=main)
    handling = f.item(
        "退休提取（新设）", kind="handling", handling_code="HX-411500-001", parent=sub, handling_kind="new"
    )
    leaf = f.item("社会保障卡申领", item_type="20", aliases=["社保卡"])
    guide = f.guide(
        name="退休提取住房公积金",
        review_steps=["受理、初审", "审批"],  # an entry holding the separator: written as a JSON array
        process="=先受理，后审批",  # would be a formula if written carelessly
        fees=[{"name": "工本费", "standard": "0元", "basis": "", "reducible": False, "reduction_basis": ""}],
        faq=[{"question": "需要本人到场吗？", "answer": "不需要。"}],
        form_schema={"type": "object", "properties": {"account": {"type": "string"}}},
        commitment_allowed=True,
        commitment_conditions=["已办理退休手续", "账户未被冻结"],  # a list cell round-trips
        commitment_text="承诺属实；不实的，撤销决定并记入信用记录",
        tolerance_days=5,
        appointment=True,
        visits=0,
        online_url="https://example.gov.cn/gjj",
        place="信阳市民之家\n二楼 B 区",
    )
    first = f.implementation(
        handling,
        fund,
        guide_data=guide,
        material_list=[
            {"name": "居民身份证", "form": "original", "paper_copies": 1, "license_types": ["11100000000013100M001"]},
            {"name": "退休证明", "necessity": "tolerated", "source": "government"},
        ],
    )
    draft = services.start_revision(SYSTEM, first)
    services.update_draft(SYSTEM, draft, guide={"promised_limit": 2})
    services.publish_guide(SYSTEM, draft)
    second = f.implementation(leaf, social)
    services.create_agreement(
        SYSTEM,
        name="豫鄂跨省通办协议",
        kind="p2p",
        region_codes=["411500", "420100"],
        item_codes=[main.basic_code, leaf.basic_code],
        modes=["online", "proxy"],
        effective_from=date(2025, 1, 1),
        note="第一批",
    )
    return {"first": first, "second": second, "main": main, "handling": handling}


def snapshot() -> dict[str, Any]:
    """The catalog as a person sees it, without database ids, version numbers or dates."""
    impls = ItemImplementation.objects.select_related("item", "department", "current_version")
    return {
        "departments": sorted(Department.objects.values_list("uscc", "region_id", "name", "kind", "phone", "address")),
        "items": sorted(
            (
                i.code,
                i.kind,
                i.parent.code if i.parent else "",
                i.name,
                i.item_type,
                i.legal_basis,
                i.exercise_levels,
                i.handling_kind,
                i.aliases,
                i.keywords,
            )
            for i in ServiceItem.objects.select_related("parent")
        ),
        "implementations": sorted(
            (
                i.implementation_code,
                i.item.code,
                i.region_id,
                i.department.uscc,
                i.local_code,
                json.dumps(services.guide_content(i.current_version), ensure_ascii=False, sort_keys=True),
            )
            for i in impls
            if i.current_version
        ),
        "agreements": sorted(
            (
                a.name,
                a.kind,
                sorted(r.code for r in a.regions.all()),
                sorted(i.code for i in a.items.all()),
                a.modes,
                a.effective_from,
                a.effective_to,
                a.note,
            )
            for a in Agreement.objects.all()
        ),
    }


def empty_catalog() -> None:
    Agreement.objects.all().delete()
    ItemImplementation.objects.all().delete()
    for kind in ("handling", "sub", "main"):
        ServiceItem.objects.filter(kind=kind).delete()
    Department.objects.all().delete()


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Department, ServiceItem, ItemImplementation, GuideVersion, MaterialRequirement, Agreement)
    }


@pytest.mark.parametrize("suffix", [".json", ".xlsx"])
def test_export_then_import_into_an_empty_catalog_reproduces_it(tmp_path, suffix):
    build_catalog()
    before = snapshot()
    path = tmp_path / f"catalog{suffix}"
    counts = export_catalog(path)
    assert counts["implementations"] == 2 and counts["materials"] == 4
    empty_catalog()
    assert table_counts()["ItemImplementation"] == 0

    report = import_catalog(SYSTEM, path)

    assert snapshot() == before
    assert report.counts["implementations"].created == 2
    assert report.counts["items"].created == 4
    # The imported versions are published, in force and findable, as publish_guide would leave them.
    impl = ItemImplementation.objects.get(implementation_code=before["implementations"][0][0])
    assert impl.current_version.status == "published" and impl.current_version.number == 1
    assert impl.current_version.content_hash
    card = ItemImplementation.objects.get(item__name="社会保障卡申领")
    assert SearchEntry.objects.count() == 2
    assert card.pk in search.search("社保卡").ids


# Helpers -------------------------------------------------------------------------------------------


def problems_of(path: Path) -> set[tuple[str | None, int | None, str | None, str]]:
    """(sheet key, row, column key, code) of every problem the import reports for ``path``."""
    with pytest.raises(CatalogImportError) as caught:
        import_catalog(SYSTEM, path)
    return {(p.sheet, p.row, p.column, p.code) for p in caught.value.located}


def exported_book() -> dict[str, list[dict[str, Any]]]:
    return collect()[0]


def write(book: dict[str, list[dict[str, Any]]], path: Path) -> Path:
    (write_json if path.suffix == ".json" else write_xlsx)(book, path)
    return path


def edit_cells(path: Path, edits: dict[tuple[str, int, str], Any]) -> None:
    """Change cells of an exchange workbook as a person would in Excel: (sheet title, row, header) → value."""
    wb = openpyxl.load_workbook(path)
    for (title, row, header), value in edits.items():
        ws = wb[title]
        column = [c.value for c in ws[1]].index(header) + 1
        ws.cell(row=row, column=column, value=value)
    wb.save(path)


# All or nothing, every problem located ---------------------------------------------------------------


def test_every_bad_row_is_reported_with_sheet_row_and_column_and_nothing_is_written(tmp_path):
    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    # A good new department goes in the same file: it must not be written either.
    wb = openpyxl.load_workbook(path)
    wb["部门"].append(["411502", "浉河区民政局", f.uscc("411502"), "organ", None, None])
    wb.save(path)
    edit_cells(
        path,
        {
            ("部门", 2, "统一社会信用代码"): "11411500MB0000001X",  # wrong check character
            ("事项", 3, "事项类型"): "99",  # not an item type
            ("实施清单", 2, "承诺办结时限"): 30,  # promised 30 > statutory 20 (a guide rule)
            ("实施清单", 3, "支持预约"): "也许",  # neither 是 nor 否
            ("申请材料", 3, "必要性"): "maybe",  # not a necessity
            ("通办协议", 2, "失效日期"): "2024-12-31",  # before 2025-01-01
        },
    )
    before = table_counts()

    found = problems_of(path)

    assert found == {
        ("departments", 2, "uscc", "uscc_checksum"),
        ("items", 3, "item_type", "invalid_choice"),
        ("implementations", 2, "promised_limit", "promised_exceeds_statutory"),
        ("implementations", 3, "appointment", "not_a_boolean"),
        ("materials", 3, "necessity", "invalid_choice"),
        ("agreements", 2, "effective_to", "before_start"),
    }
    assert table_counts() == before
    assert not Department.objects.filter(name="浉河区民政局").exists()


def test_problems_name_the_place_in_chinese_and_english(tmp_path):
    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    edit_cells(path, {("实施清单", 2, "承诺办结时限"): 30})
    with pytest.raises(CatalogImportError) as caught:
        import_catalog(SYSTEM, path)
    (problem,) = caught.value.located
    assert problem.as_dict()["sheet"] == "实施清单" and problem.as_dict()["column"] == "承诺办结时限"
    assert str(problem).startswith("“实施清单”表第2行“承诺办结时限”列：承诺办结时限（30）不得超过法定办结时限（20）")
    assert "sheet implementations, row 2, column promised_limit" in str(problem)
    assert caught.value.problems[0].field == "implementations[2].promised_limit"


def test_json_problems_count_entries_from_one(tmp_path):
    build_catalog()
    book = exported_book()
    book["departments"][1]["uscc"] = "123"
    found = problems_of(write(book, tmp_path / "catalog.json"))
    assert found == {("departments", 2, "uscc", "uscc_length")}


# Idempotence and new versions -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".xlsx"])
def test_importing_the_same_file_again_changes_nothing(tmp_path, suffix):
    build_catalog()
    path = tmp_path / f"catalog{suffix}"
    export_catalog(path)
    versions = sorted(GuideVersion.objects.values_list("implementation_id", "number", "status", "content_hash"))
    before = table_counts()

    first = import_catalog(SYSTEM, path)
    second = import_catalog(SYSTEM, path)

    for report in (first, second):
        assert report.versions_created == 0 and report.versions_retired == 0
        for key in ("departments", "items", "implementations", "agreements"):
            assert report.counts[key].created == report.counts[key].updated == 0
    assert first.counts["implementations"].unchanged == 2 and first.counts["items"].unchanged == 4
    assert table_counts() == before
    assert sorted(GuideVersion.objects.values_list("implementation_id", "number", "status", "content_hash")) == versions


def test_a_changed_guide_becomes_the_next_version_and_retires_the_one_in_force(tmp_path):
    made = build_catalog()
    impl = made["second"]
    book = exported_book()
    row = next(r for r in book["implementations"] if r["implementation_code"] == impl.implementation_code)
    row["promised_limit"] = 1
    book["materials"].append(
        {**book["materials"][0], "implementation_code": impl.implementation_code, "order": 3, "name": "一寸照片"}
    )

    report = import_catalog(SYSTEM, write(book, tmp_path / "catalog.json"), today=date(2026, 3, 2))

    impl.refresh_from_db()
    assert report.counts["implementations"].updated == 1 and report.counts["implementations"].unchanged == 1
    assert report.versions_created == 1 and report.versions_retired == 1
    assert [(v.number, v.status) for v in impl.versions.order_by("number")] == [(1, "retired"), (2, "published")]
    old, new = impl.versions.order_by("number")
    assert new == impl.current_version and new.promised_limit == 1 and old.promised_limit == 3
    assert old.effective_to == date(2026, 3, 2) and new.effective_from == date(2026, 3, 2)
    assert [m.name for m in new.materials.all()] == ["居民身份证", "退休证明", "一寸照片"]
    assert [m.name for m in old.materials.all()] == ["居民身份证", "退休证明"]
    assert new.content_hash == guide_rules.content_hash(services.guide_dict(new), services.material_dicts(new))


def test_a_guide_with_a_draft_being_edited_is_refused(tmp_path):
    made = build_catalog()
    services.start_revision(SYSTEM, made["second"])
    book = exported_book()
    row = next(r for r in book["implementations"] if r["implementation_code"] == made["second"].implementation_code)
    row["promised_limit"] = 1
    found = problems_of(write(book, tmp_path / "catalog.json"))
    assert found == {("implementations", book["implementations"].index(row) + 1, "implementation_code", "draft_exists")}


def test_a_clash_while_writing_rolls_everything_back_and_says_to_try_again(tmp_path, monkeypatch):
    from django.db import IntegrityError

    from tongban.catalog.transfer import importer

    build_catalog()
    path = tmp_path / "catalog.json"
    export_catalog(path)
    empty_catalog()

    def clash(plan):  # the departments are written, then a concurrent writer has taken a code
        Department.objects.bulk_create(plan.departments_new)
        raise IntegrityError("UNIQUE constraint failed: catalog_itemimplementation.implementation_code")

    monkeypatch.setattr(importer, "apply", clash)
    assert problems_of(path) == {(None, None, None, "conflict")}
    assert table_counts()["Department"] == 0


def test_dry_run_counts_without_writing(tmp_path):
    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    empty_catalog()
    report = import_catalog(SYSTEM, path, dry_run=True)
    assert report.counts["implementations"].created == 2 and report.dry_run
    assert table_counts()["ItemImplementation"] == 0 and table_counts()["ServiceItem"] == 0


# References and duplicates ---------------------------------------------------------------------------


def test_references_resolve_against_the_file_and_the_database(tmp_path):
    made = build_catalog()
    book = exported_book()
    template = book["implementations"][0]
    dept = f.uscc("411502")
    book["departments"] = [
        {
            "region_code": "411502",
            "name": "浉河区市场监督管理局",
            "uscc": dept,
            "kind": "organ",
            "phone": "",
            "address": "",
        }
    ]
    book["items"] = []  # every item the implementations name is already in the database
    book["implementations"] = [
        {
            **template,
            "implementation_code": f"{dept}0000000000001",
            "region_code": "411502",
            "department_uscc": dept,
            "item_code": made["handling"].handling_code,
        }
    ]
    book["materials"] = []
    book["agreements"] = []
    report = import_catalog(SYSTEM, write(book, tmp_path / "catalog.json"))
    assert report.counts["implementations"].created == 1 and report.counts["departments"].created == 1
    impl = ItemImplementation.objects.get(implementation_code=f"{dept}0000000000001")
    assert impl.item == made["handling"] and impl.department.name == "浉河区市场监督管理局"


def test_unknown_references_are_reported_where_they_are_named(tmp_path):
    build_catalog()
    book = exported_book()
    book["departments"][0]["region_code"] = "419999"
    book["items"].append({**book["items"][2], "basic_code": "T99999999999", "parent_code": "T88888888888"})
    unknown_dept = f.uscc("411500")
    book["implementations"][0]["department_uscc"] = unknown_dept
    old_code = book["implementations"][0]["implementation_code"]
    book["implementations"][0]["implementation_code"] = f"{unknown_dept}0000000000009"
    for material in book["materials"]:
        if material["implementation_code"] == old_code:
            material["implementation_code"] = f"{unknown_dept}0000000000009"
    book["implementations"][1]["item_code"] = "NO-SUCH-ITEM"
    book["materials"][0]["implementation_code"] = "NOSUCHIMPL"
    book["agreements"][0]["region_codes"] = ["411500", "429999"]
    book["agreements"][0]["item_codes"] = ["T77777777777"]

    found = problems_of(write(book, tmp_path / "catalog.json"))

    assert found == {
        ("departments", 1, "region_code", "unknown_region"),
        ("items", 5, "parent_code", "unknown_parent"),
        ("implementations", 1, "department_uscc", "unknown_department"),
        ("implementations", 2, "item_code", "unknown_item"),
        ("materials", 1, "implementation_code", "unknown_implementation"),
        ("agreements", 1, "region_codes", "unknown_region"),
        ("agreements", 1, "item_codes", "unknown_item"),
    }


def test_a_row_with_several_wrong_references_reports_each(tmp_path):
    build_catalog()
    book = exported_book()
    newcomer, stranger = f.uscc("411500"), f.uscc("411500")
    # A new department in a region that does not exist, and an implementation of it: one problem,
    # on the department's row (the implementation takes that region and is not blamed twice).
    book["departments"].append({**book["departments"][0], "uscc": newcomer, "name": "新部门", "region_code": "419999"})
    book["implementations"][0].update(
        department_uscc=newcomer, implementation_code=f"{newcomer}0000000000007", region_code=""
    )
    # A department nobody registered and a region that does not exist, on one row: both reported.
    book["implementations"][1].update(
        department_uscc=stranger, implementation_code=f"{stranger}0000000000008", region_code="418888"
    )
    book["materials"] = []
    found = problems_of(write(book, tmp_path / "catalog.json"))
    assert found == {
        ("departments", 3, "region_code", "unknown_region"),
        ("implementations", 2, "department_uscc", "unknown_department"),
        ("implementations", 2, "region_code", "unknown_region"),
    }


def test_duplicate_keys_in_the_file_are_reported_on_the_repeat(tmp_path):
    build_catalog()
    book = exported_book()
    book["departments"].append({**book["departments"][0], "name": "另一个名称"})
    book["items"].append(dict(book["items"][0]))
    book["implementations"].append(dict(book["implementations"][0]))
    book["agreements"].append(dict(book["agreements"][0]))
    book["materials"].append(dict(book["materials"][0]))

    found = problems_of(write(book, tmp_path / "catalog.json"))

    assert found == {
        ("departments", 3, "uscc", "duplicate"),
        ("items", 5, "basic_code", "duplicate"),
        ("implementations", 3, "implementation_code", "duplicate"),
        ("agreements", 2, "name", "duplicate"),
        ("materials", 5, "order", "duplicate"),
        ("materials", 5, "name", "duplicate"),
    }


def test_an_existing_implementation_cannot_move_to_another_item(tmp_path):
    made = build_catalog()
    book = exported_book()
    row = next(r for r in book["implementations"] if r["implementation_code"] == made["second"].implementation_code)
    row["item_code"] = made["handling"].handling_code
    found = problems_of(write(book, tmp_path / "catalog.json"))
    assert ("implementations", book["implementations"].index(row) + 1, "item_code", "owner_changed") in found


def test_an_implementation_needs_an_item_without_sub_items(tmp_path):
    made = build_catalog()
    book = exported_book()
    book["implementations"][0]["item_code"] = made["main"].basic_code
    found = problems_of(write(book, tmp_path / "catalog.json"))
    assert ("implementations", 1, "item_code", "not_a_leaf") in found


# Wrong files -----------------------------------------------------------------------------------------


def test_files_of_the_wrong_kind_are_refused_with_a_clear_reason(tmp_path, settings):
    csv = tmp_path / "catalog.csv"
    csv.write_text("a,b\n")
    fake = tmp_path / "catalog.xlsx"
    fake.write_text("not a workbook")
    broken = tmp_path / "catalog.json"
    broken.write_text('{"departments": [')
    assert problems_of(csv) == {(None, None, None, "unsupported_type")}
    assert problems_of(fake) == {(None, None, None, "not_xlsx")}
    assert problems_of(broken) == {(None, None, None, "not_json")}
    big = tmp_path / "big.json"
    big.write_text(json.dumps({s.key: [] for s in L.SHEETS}) + " " * 2048)
    settings.TONGBAN_MAX_UPLOAD_BYTES = 1024
    assert problems_of(big) == {(None, None, None, "too_large")}
    # Small on disk, huge unpacked: the sheets are never unpacked.
    bomb = tmp_path / "bomb.xlsx"
    row = {
        "region_code": "411500",
        "name": "甲" * 100,
        "uscc": "X",
        "kind": "organ",
        "phone": "",
        "address": "乙" * 200,
    }
    write_xlsx({**{s.key: [] for s in L.SHEETS}, "departments": [row] * 3000}, bomb)
    settings.TONGBAN_MAX_UPLOAD_BYTES = bomb.stat().st_size
    assert problems_of(bomb) == {(None, None, None, "too_large_unpacked")}


def test_missing_sheets_and_columns_are_named(tmp_path):
    path = tmp_path / "catalog.xlsx"
    write_xlsx({s.key: [] for s in L.SHEETS}, path)
    wb = openpyxl.load_workbook(path)
    del wb["通办协议"]
    wb["实施清单"].delete_cols(1)  # 实施编码
    wb["部门"].cell(row=1, column=7, value="备注栏")
    wb.save(path)
    assert problems_of(path) == {
        ("agreements", None, None, "missing_sheet"),
        ("implementations", 1, "implementation_code", "missing_column"),
        ("departments", 1, "备注栏", "unknown_column"),
    }


def test_dates_may_be_date_cells_serial_numbers_or_text(tmp_path):
    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    # 2025-01-01 as a date cell, and as the bare serial number Excel keeps behind a 年月日 format.
    edit_cells(path, {("通办协议", 2, "生效日期"): date(2025, 1, 1), ("通办协议", 2, "失效日期"): 46022})
    report = import_catalog(SYSTEM, path)
    assert report.counts["agreements"].updated == 1
    assert Agreement.objects.values_list("effective_from", "effective_to").get() == (
        date(2025, 1, 1),
        date(2025, 12, 31),
    )


def test_english_keys_work_as_headers_and_sheet_names(tmp_path):
    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    wb = openpyxl.load_workbook(path)
    for sheet in L.SHEETS:
        ws = wb[sheet.title]
        ws.title = sheet.key
        for cell in ws[1]:
            cell.value = next(c.key for c in sheet.columns if c.header == cell.value)
    wb.save(path)
    assert import_catalog(SYSTEM, path).counts["implementations"].unchanged == 2


# The commands ----------------------------------------------------------------------------------------


def test_the_import_command_prints_every_problem_and_fails(tmp_path, capsys):
    build_catalog()
    book = exported_book()
    book["departments"][0]["uscc"] = "123"
    book["implementations"][1]["statutory_limit"] = -1
    path = write(book, tmp_path / "catalog.json")
    with pytest.raises(CommandError, match="2"):
        call_command("import_catalog", str(path))
    err = capsys.readouterr().err
    assert "“部门”表第1条“统一社会信用代码”列" in err and "entry 1, column uscc" in err
    assert "“实施清单”表第2条“法定办结时限”列" in err


def test_the_commands_export_a_region_and_import_it_with_a_summary(tmp_path, capsys):
    build_catalog()
    path = tmp_path / "xinyang.xlsx"
    call_command("export_catalog", str(path), "--region", "411502")
    out = capsys.readouterr().out
    assert "实施清单 (implementations): 1" in out and "部门 (departments): 1" in out
    call_command("import_catalog", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "实施清单 (implementations): 新增 0 created, 更新 0 updated, 未变 1 unchanged" in out
    assert "dry run" in out
    with pytest.raises(CommandError):
        call_command("export_catalog", str(path), "--region", "999999")


def test_text_excel_cannot_hold_stops_the_excel_export_but_not_the_json_one(tmp_path):
    from tongban.catalog.transfer import CatalogExportError

    item = f.item("档案查询")
    f.implementation(item, guide_data=f.guide(name="档案查询", process="受理\x07办结"))
    with pytest.raises(CatalogExportError) as caught:
        export_catalog(tmp_path / "catalog.xlsx")
    assert [(p.sheet, p.row, p.column, p.code) for p in caught.value.located] == [
        ("implementations", 2, "process", "control_character")
    ]
    assert not (tmp_path / "catalog.xlsx").exists() and list(tmp_path.iterdir()) == []
    export_catalog(tmp_path / "catalog.json")
    assert import_catalog(SYSTEM, tmp_path / "catalog.json").counts["implementations"].unchanged == 1


# The workbook reader ---------------------------------------------------------------------------------


def test_the_fast_workbook_reader_reads_what_openpyxl_reads(tmp_path):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    path = tmp_path / "cells.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "部门"
    ws.append(["行政区划代码", "部门名称", "统一社会信用代码", "部门类型", "联系电话", "地址"])
    ws.append([411500, "A & B <局>", " 前后空格 ", True, 12.5, date(2025, 1, 2)])
    ws.append([None, "第一行\r\n第二行", "=SUM(1,2)", False, 0, "=文本"])
    ws["F3"].data_type = "s"
    ws.append(["x", CellRichText([TextBlock(InlineFont(b=True), "粗体"), "普通"])])
    wb.save(path)

    def columns(name: str, header: dict[int, Any]) -> dict[int, str]:
        return {i: f"c{i}" for i in header}

    def every(names: list[str]) -> list[str]:
        return names

    fast = xlsx.read(path, every, columns, max_xml_bytes=10**7)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    reference = [
        (n, {f"c{i}": v for i, v in enumerate(row, start=1) if v not in (None, "")})
        for n, row in enumerate(wb["部门"].iter_rows(values_only=True), start=1)
        if n > 1
    ]
    assert fast["部门"] == [(n, cells) for n, cells in reference if cells]
    assert fast["部门"][0][1]["c2"] == "A & B <局>" and fast["部门"][2][1]["c2"] == "粗体普通"


def test_a_workbook_saved_with_shared_strings_reads_the_same(tmp_path):
    """Excel and WPS keep text in a shared-strings part; openpyxl writes inline strings. Both must read."""
    import zipfile

    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    shared = tmp_path / "shared.xlsx"
    _with_shared_strings(path, shared)
    with zipfile.ZipFile(shared) as z:
        assert "xl/sharedStrings.xml" in z.namelist()
    before = snapshot()
    empty_catalog()
    import_catalog(SYSTEM, shared)
    assert snapshot() == before


def test_a_workbook_in_another_cell_layout_is_read_through_openpyxl(tmp_path, monkeypatch):
    """A producer that orders cell attributes differently is not for the fast path; openpyxl reads it."""
    import re
    import zipfile

    build_catalog()
    path = tmp_path / "catalog.xlsx"
    export_catalog(path)
    reordered = tmp_path / "reordered.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(reordered, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr">', rb'<c t="inlineStr" r="\1">', data)
            dst.writestr(info, data)
    slow_reads = []
    original = xlsx._openpyxl_rows
    monkeypatch.setattr(xlsx, "_openpyxl_rows", lambda *a: slow_reads.append(a[1]) or original(*a))
    before = snapshot()
    empty_catalog()
    import_catalog(SYSTEM, reordered)
    assert snapshot() == before
    assert set(slow_reads) == {s.title for s in L.SHEETS}


def _with_shared_strings(source: Path, target: Path) -> None:
    """Rewrite every inline string of a workbook into a shared-strings table, as Excel saves it."""
    import re
    import zipfile
    from xml.sax.saxutils import escape

    strings: list[str] = []
    index: dict[str, int] = {}

    def share(match: re.Match[str]) -> str:
        text = match.group(2)
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c r="{match.group(1)}" t="s"><v>{index[text]}</v></c>'

    inline = re.compile(
        r'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>', re.S
    )
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = inline.sub(share, data.decode()).encode()
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                    b'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            dst.writestr(info, data)
        items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)  # already escaped
        dst.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
    assert escape  # the inline texts carry their XML escapes over unchanged


def test_the_documented_layout_is_the_layout_in_the_code():
    doc = (ROOT / "docs" / "catalog-import.md").read_text(encoding="utf-8")
    assert L.markdown() in doc
