"""Reading an exchange file (JSON or Excel) into raw rows per sheet, refusing files of the wrong shape.

The checks here are about the file, not the catalog: size, type, parseable, every sheet present,
headers known and required columns there. Cell values stay raw; :mod:`.rows` reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from tongban.catalog.transfer import layout as L
from tongban.catalog.transfer import xlsx
from tongban.catalog.transfer.problems import Collector

# Sheet XML unpacks to about ten times its compressed size; far more is a zip bomb, not a catalog.
_UNPACK_FACTOR = 20


@dataclass
class RawRow:
    number: int  # Excel: the row number a person sees; JSON: position in the list from 1
    values: dict[str, Any]  # column key → raw value; columns not in the file are absent


@dataclass
class Book:
    unit: str  # "row" (Excel) or "entry" (JSON), for error messages
    sheets: dict[str, list[RawRow]]


def max_bytes() -> int:
    return int(settings.TONGBAN_MAX_UPLOAD_BYTES)


def read_book(path: str | Path) -> Book:
    """The file's rows per sheet key; raises CatalogImportError naming every problem with its shape."""
    path = Path(path)
    problems = Collector()
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xlsx"):
        problems.add(
            None,
            None,
            None,
            "unsupported_type",
            f"不支持的文件类型“{path.suffix or '（无扩展名）'}”，只接受 .json 或 .xlsx",
            f"unsupported file type '{path.suffix or '(none)'}': only .json and .xlsx are accepted",
        )
        problems.raise_if_any()
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.add(None, None, None, "unreadable", f"无法读取文件：{exc}", f"cannot read the file: {exc}")
        problems.raise_if_any()
    if size > max_bytes():
        problems.add(
            None,
            None,
            None,
            "too_large",
            f"文件大小为{size}字节，超过上限{max_bytes()}字节",
            f"the file has {size} bytes, more than the limit of {max_bytes()}",
        )
        problems.raise_if_any()
    book = _read_json(path, problems) if suffix == ".json" else _read_xlsx(path, problems)
    problems.raise_if_any()
    return book


def _missing_sheet(problems: Collector, sheet: L.Sheet) -> None:
    problems.add(
        sheet.key,
        None,
        None,
        "missing_sheet",
        f"缺少“{sheet.title}”表（可只有表头行）",
        f"the sheet '{sheet.key}' ({sheet.title}) is missing (it may hold only the header row)",
    )


def _read_json(path: Path, problems: Collector) -> Book:
    problems.unit = "entry"
    book = Book("entry", {})
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        problems.add(None, None, None, "unreadable", f"无法读取文件：{exc}", f"cannot read the file: {exc}")
        return book
    except (UnicodeDecodeError, ValueError) as exc:
        problems.add(None, None, None, "not_json", f"文件不是有效的 JSON：{exc}", f"the file is not valid JSON: {exc}")
        return book
    if not isinstance(data, dict):
        problems.add(
            None,
            None,
            None,
            "not_an_object",
            "JSON 文件的顶层应为对象，以表名为键",
            "the JSON file must hold an object keyed by sheet",
        )
        return book
    for sheet in L.SHEETS:
        entries = data.get(sheet.key)
        if entries is None:
            _missing_sheet(problems, sheet)
            continue
        if not isinstance(entries, list):
            problems.add(sheet.key, None, None, "not_a_list", "应为对象的列表", "must be a list of objects")
            continue
        rows: list[RawRow] = []
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.add(sheet.key, number, None, "not_an_object", "应为对象", "must be an object")
                continue
            for key in entry.keys() - sheet.by_key.keys():
                problems.add(
                    sheet.key,
                    number,
                    key,
                    "unknown_column",
                    f"未知的列“{key}”",
                    f"unknown column '{key}'",
                )
            rows.append(RawRow(number, {k: v for k, v in entry.items() if k in sheet.by_key}))
        book.sheets[sheet.key] = rows
    return book


def _read_xlsx(path: Path, problems: Collector) -> Book:
    book = Book("row", {})
    chosen: dict[str, L.Sheet] = {}

    def select(names: list[str]) -> list[str]:
        for name in names:
            sheet = L.find_sheet(name)
            if sheet is not None and sheet not in chosen.values():
                chosen[name] = sheet
        return list(chosen)

    def name_columns(name: str, header: dict[int, Any]) -> dict[int, str]:
        return _columns(chosen[name], header, problems)

    try:
        tabs = xlsx.read(path, select, name_columns, max_xml_bytes=max_bytes() * _UNPACK_FACTOR)
    except xlsx.TooLargeUnpacked as exc:
        problems.add(
            None,
            None,
            None,
            "too_large_unpacked",
            f"工作簿解压后有{exc.size}字节，超过上限{exc.limit}字节",
            f"the workbook unpacks to {exc.size} bytes, more than the limit of {exc.limit}",
        )
        return book
    except xlsx.NotAWorkbook as exc:
        problems.add(
            None,
            None,
            None,
            "not_xlsx",
            f"文件不是可读取的 Excel（.xlsx）工作簿：{exc}",
            f"the file is not a readable Excel (.xlsx) workbook: {exc}",
        )
        return book
    for sheet in L.SHEETS:
        name = next((n for n, s in chosen.items() if s is sheet), None)
        if name is None:
            _missing_sheet(problems, sheet)
            continue
        book.sheets[sheet.key] = [RawRow(number, values) for number, values in tabs[name]]
    return book


def _columns(sheet: L.Sheet, header: dict[int, Any], problems: Collector) -> dict[int, str]:
    """Column number → key from the header row (row 1), reporting unknown, repeated and missing columns."""
    index = sheet.header_index()
    columns: dict[int, str] = {}
    for number in sorted(header):
        name = str(header[number]).strip()
        col = index.get(name)
        if col is None:
            problems.add(
                sheet.key,
                1,
                name,
                "unknown_column",
                f"未知的列“{name}”（应为本表的中文表头或英文键）",
                f"unknown column '{name}' (use the sheet's Chinese header or English key)",
            )
        elif col.key in columns.values():
            problems.add(sheet.key, 1, col.key, "duplicate_column", "该列出现了两次", "this column appears twice")
        else:
            columns[number] = col.key
    for col in sheet.columns:
        if col.header_required and col.key not in columns.values():
            problems.add(
                sheet.key,
                1,
                col.key,
                "missing_column",
                f"缺少必需的列“{col.header}”",
                f"the required column '{col.key}' ({col.header}) is missing",
            )
    return columns
