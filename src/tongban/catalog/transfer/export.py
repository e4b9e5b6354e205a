"""The catalog export (事项库导出): the catalog in the exchange layout, as JSON or Excel.

Each implementation is written with its published guide version in force (``current_version``);
implementations without one (only a draft, or withdrawn) are left out and counted. With a region,
the export holds that region's departments and implementations, the items they need (with their
parents) and the agreements a member of which overlaps the region.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from tongban.catalog import choices as c
from tongban.catalog.models import Agreement, Department, ItemImplementation, Region, ServiceItem
from tongban.catalog.transfer import layout as L
from tongban.catalog.transfer.cells import to_cell, to_json
from tongban.catalog.transfer.gcpause import cycle_collection_paused
from tongban.catalog.transfer.problems import CatalogExportError, Collector

EXCEL_CELL_LIMIT = 32767  # characters Excel holds in one cell
Book = dict[str, list[dict[str, Any]]]


def _department(d: Department) -> dict[str, Any]:
    return {
        "region_code": d.region_id,
        "name": d.name,
        "uscc": d.uscc,
        "kind": d.kind,
        "phone": d.phone,
        "address": d.address,
    }


def _item(i: ServiceItem) -> dict[str, Any]:
    return {
        "kind": i.kind,
        "basic_code": i.basic_code or "",
        "handling_code": i.handling_code or "",
        "parent_code": i.parent.code if i.parent else "",
        "name": i.name,
        "item_type": i.item_type,
        "legal_basis": i.legal_basis,
        "exercise_levels": i.exercise_levels,
        "handling_kind": i.handling_kind,
        "aliases": i.aliases,
        "keywords": i.keywords,
    }


def _implementation(impl: ItemImplementation) -> dict[str, Any]:
    guide = impl.current_version
    row = {
        "implementation_code": impl.implementation_code,
        "item_code": impl.item.code,
        "region_code": impl.region_id,
        "department_uscc": impl.department.uscc,
        "local_code": impl.local_code,
    }
    row.update({f: getattr(guide, f) for f in L.GUIDE_KEYS})
    return row


def _materials(impl: ItemImplementation) -> list[dict[str, Any]]:
    return [
        {
            "implementation_code": impl.implementation_code,
            "order": m.order,
            **{f: getattr(m, f) for f in L.MATERIAL_KEYS},
        }
        for m in impl.current_version.materials.all()  # type: ignore[union-attr]
    ]


def _agreement(a: Agreement) -> dict[str, Any]:
    return {
        "name": a.name,
        "kind": a.kind,
        "region_codes": sorted(r.code for r in a.regions.all()),
        "item_codes": sorted(i.code for i in a.items.all()),
        "modes": a.modes,
        "effective_from": a.effective_from,
        "effective_to": a.effective_to,
        "note": a.note,
    }


def _with_ancestors(items: Iterable[ServiceItem]) -> list[ServiceItem]:
    """The items and every parent above them, parents first, so the file never names a missing parent."""
    found: dict[int, ServiceItem] = {}
    frontier = {i.pk for i in items}
    while frontier:
        batch = list(ServiceItem.objects.filter(pk__in=frontier).select_related("parent"))
        found.update({i.pk: i for i in batch})
        frontier = {i.parent_id for i in batch if i.parent_id and i.parent_id not in found}
    return list(found.values())


def collect(region_code: str | None = None) -> tuple[Book, int]:
    """The catalog as lists of stored values per sheet key, and how many implementations had no guide in force."""
    impls = ItemImplementation.objects.select_related("item__parent", "department", "current_version").prefetch_related(
        "current_version__materials"
    )
    departments = Department.objects.all()
    agreements = list(Agreement.objects.prefetch_related("regions", "items"))
    if region_code:
        region = Region.objects.get(code=region_code)
        impls = impls.filter(region__code__startswith=region.code_prefix)
        departments = departments.filter(region__code__startswith=region.code_prefix)
        agreements = [
            a for a in agreements if any(r.contains(region.code) or region.contains(r.code) for r in a.regions.all())
        ]
    skipped = impls.filter(current_version__isnull=True).count()
    impls = list(impls.filter(current_version__isnull=False).order_by("region_id", "implementation_code"))
    if region_code:
        items = _with_ancestors([i.item for i in impls] + [i for a in agreements for i in a.items.all()])
    else:
        items = list(ServiceItem.objects.select_related("parent"))
    depth = {c.ItemKind.MAIN: 0, c.ItemKind.SUB: 1, c.ItemKind.HANDLING: 2}
    items.sort(key=lambda i: (depth.get(i.kind, 3), i.code))
    book: Book = {
        "departments": [_department(d) for d in departments.order_by("region_id", "uscc")],
        "items": [_item(i) for i in items],
        "implementations": [_implementation(i) for i in impls],
        "materials": [m for i in impls for m in _materials(i)],
        "agreements": [_agreement(a) for a in sorted(agreements, key=lambda a: a.name)],
    }
    return book, skipped


def export_catalog(path: str | Path, *, region_code: str | None = None) -> dict[str, int]:
    """Write the catalog to ``path`` (.json or .xlsx); returns the rows written per sheet key.

    The file appears complete or not at all: it is written beside the target and renamed into place.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xlsx"):
        problems = Collector()
        problems.add(
            None,
            None,
            None,
            "unsupported_type",
            f"不支持的文件类型“{path.suffix}”，只能导出为 .json 或 .xlsx",
            f"unsupported file type '{path.suffix}': export writes .json or .xlsx",
        )
        raise CatalogExportError(problems.items)
    with cycle_collection_paused():
        book, skipped = collect(region_code)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
        os.close(fd)
        try:
            if suffix == ".json":
                write_json(book, Path(tmp))
            else:
                write_xlsx(book, Path(tmp))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    counts = {key: len(rows) for key, rows in book.items()}
    counts["skipped_without_guide"] = skipped
    return counts


def write_json(book: Book, path: Path) -> None:
    """Write lists of stored values (see :func:`collect`) as an exchange JSON file."""
    data = {
        sheet.key: [{col.key: to_json(col, row[col.key]) for col in sheet.columns} for row in book[sheet.key]]
        for sheet in L.SHEETS
    }
    with path.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")


def write_xlsx(book: Book, path: Path) -> None:
    """Write lists of stored values as an exchange workbook, streaming rows (openpyxl write-only mode)."""
    problems = Collector()
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in L.SHEETS:
        ws = wb.create_sheet(sheet.title)
        ws.freeze_panes = "A2"
        header = []
        for col in sheet.columns:
            cell = WriteOnlyCell(ws, col.header)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for number, row in enumerate(book[sheet.key], start=2):
            ws.append([_cell(ws, sheet, col, row[col.key], number, problems) for col in sheet.columns])
    if problems:
        raise CatalogExportError(problems.items)
    wb.save(path)


def _cell(ws: Any, sheet: L.Sheet, col: L.Column, value: Any, number: int, problems: Collector) -> Any:
    cell = to_cell(col, value)
    if not isinstance(cell, str):
        return cell
    if len(cell) > EXCEL_CELL_LIMIT:
        problems.add(
            sheet.key,
            number,
            col.key,
            "too_long_for_excel",
            f"内容有{len(cell)}个字符，超过 Excel 单元格上限{EXCEL_CELL_LIMIT}，请导出为 JSON",
            f"{len(cell)} characters are more than an Excel cell holds ({EXCEL_CELL_LIMIT}); export as JSON",
        )
        return None
    if ILLEGAL_CHARACTERS_RE.search(cell):
        problems.add(
            sheet.key,
            number,
            col.key,
            "control_character",
            "内容含有 Excel 不能保存的控制字符，请导出为 JSON",
            "the text holds control characters an Excel cell cannot store; export as JSON",
        )
        return None
    if not cell.startswith("="):
        return cell
    # openpyxl writes any text starting with "=" as a formula; this is text and must stay text.
    out = WriteOnlyCell(ws, cell)
    out.data_type = "s"
    return out
