"""Reading each row on its own (逐行校验): cell kinds, required values, choices, lengths and code formats.

Checks that need other rows or the database (duplicates, references, what exists) are in :mod:`.plan`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    ItemImplementation,
    MaterialRequirement,
    ServiceItem,
)
from tongban.catalog.transfer import layout as L
from tongban.catalog.transfer.cells import CellError, reader
from tongban.catalog.transfer.problems import Collector
from tongban.catalog.transfer.reader import Book
from tongban.core.codes import (
    CodeError,
    validate_basic_code,
    validate_handling_code,
    validate_implementation_code,
    validate_region_code,
    validate_uscc,
)


@dataclass(slots=True)
class Record:
    """One row, read: every column of its sheet has a value (defaults for empty cells)."""

    sheet: str
    row: int
    data: dict[str, Any]
    bad: set[str] = field(default_factory=set)  # columns already reported, not to be reported twice

    def ok(self, *keys: str) -> bool:
        return not self.bad.intersection(keys)


# Columns whose content guide.validate_guide checks (required, choices, kinds): not checked twice here.
_GUIDE_CHECKED = {"implementations": set(L.GUIDE_KEYS), "materials": set(L.MATERIAL_KEYS)}
_MODELS: dict[str, tuple[type[models.Model], ...]] = {
    "departments": (Department,),
    "items": (ServiceItem,),
    "implementations": (ItemImplementation, GuideVersion),
    "materials": (MaterialRequirement,),
    "agreements": (Agreement,),
}


@dataclass(frozen=True, slots=True)
class _Spec:
    """What reading one column's cells involves, worked out once per column."""

    key: str
    col: L.Column
    read: Callable[[Any], Any]
    empty: Callable[[], Any]
    checks: bool  # anything to check once the cell is read
    checked_by_guide: bool
    max_length: int | None
    choices: frozenset[str] | None


def _max_length(sheet: str, name: str | None) -> int | None:
    for model in _MODELS[sheet] if name else ():
        try:
            return model._meta.get_field(name).max_length  # type: ignore[arg-type]
        except FieldDoesNotExist:  # the implementations sheet spans two models: try the next
            continue
    return None


def _same(value: Any) -> Any:
    return value


def _spec(sheet: L.Sheet, col: L.Column) -> _Spec:
    by_guide = col.key in _GUIDE_CHECKED.get(sheet.key, set())
    max_length = _max_length(sheet.key, col.field)
    choices = frozenset(col.choices.values) if col.choices else None
    own = not by_guide and (col.presence == L.REQUIRED or col.kind == L.LIST or choices is not None)
    empty = col.default if callable(col.default) else partial(_same, col.default)
    return _Spec(col.key, col, reader(col), empty, bool(max_length) or own, by_guide, max_length, choices)


@cache
def _specs(key: str) -> tuple[_Spec, ...]:
    sheet = L.BY_KEY[key]
    return tuple(_spec(sheet, col) for col in sheet.columns)


def _read_cells(sheet: L.Sheet, number: int, values: dict[str, Any], problems: Collector) -> Record:
    # The innermost loop of an import (hundreds of thousands of cells): checks only where a column has any.
    data: dict[str, Any] = {}
    rec = Record(sheet.key, number, data)
    for spec in _specs(sheet.key):
        raw = values.get(spec.key)
        if raw is None:
            value = spec.empty()
        else:
            try:
                value = spec.read(raw)
            except CellError as exc:
                problems.text(sheet.key, number, spec.key, exc.code, exc.text)
                rec.bad.add(spec.key)
                data[spec.key] = spec.col.empty()
                continue
        data[spec.key] = value
        if spec.checks:
            _check_cell(spec, rec, value, problems)
    return rec


def _check_cell(spec: _Spec, rec: Record, value: Any, problems: Collector) -> None:
    col = spec.col
    if spec.max_length and value.__class__ is str and len(value) > spec.max_length:
        problems.add(
            rec.sheet,
            rec.row,
            col.key,
            "too_long",
            f"“{col.header}”最多{spec.max_length}个字符，实际为{len(value)}个",
            f"{col.key} holds at most {spec.max_length} characters, this one has {len(value)}",
        )
        rec.bad.add(col.key)
    if spec.checked_by_guide or col.key in rec.bad:
        return  # guide.validate_guide checks guide and material content; one report per cell
    if col.presence == L.REQUIRED and (value is None or value == "" or value == []):
        problems.add(rec.sheet, rec.row, col.key, "required", f"“{col.header}”为必填项", f"{col.key} is required")
        rec.bad.add(col.key)
    elif col.kind == L.LIST and any(not isinstance(v, str) or not v.strip() for v in value):
        problems.add(rec.sheet, rec.row, col.key, "not_text", "每一项都应为非空文本", "every entry must be text")
        rec.bad.add(col.key)
    elif spec.choices is not None and value:
        _check_choices(rec, col, spec.choices, problems)


def _check_choices(rec: Record, col: L.Column, allowed: frozenset[str], problems: Collector) -> None:
    value = rec.data[col.key]
    shown = list(col.choices.values) if col.choices else []
    for v in value if isinstance(value, list) else [value]:
        if v not in allowed:
            problems.add(
                rec.sheet,
                rec.row,
                col.key,
                "invalid_choice",
                f"“{col.header}”的值“{v}”无效，可选：{'、'.join(shown)}",
                f"'{v}' is not a valid {col.key}; choose from {', '.join(shown)}",
            )
            rec.bad.add(col.key)


def _code(rec: Record, key: str, check: Callable[..., str], problems: Collector, *args: Any) -> None:
    """Normalise a code in place, or report why it is wrong."""
    if not rec.ok(key) or not rec.data[key]:
        return
    try:
        rec.data[key] = check(rec.data[key], *args)
    except CodeError as exc:
        problems.code_error(rec.sheet, rec.row, key, exc)
        rec.bad.add(key)


def _must_be_empty(rec: Record, key: str, problems: Collector, zh: str, en: str) -> None:
    if rec.ok(key) and rec.data[key]:
        problems.add(rec.sheet, rec.row, key, "not_allowed", zh, en)
        rec.bad.add(key)


def _must_fill(rec: Record, key: str, problems: Collector, zh: str, en: str) -> None:
    if rec.ok(key) and not rec.data[key]:
        problems.add(rec.sheet, rec.row, key, "required", zh, en)
        rec.bad.add(key)


def _department(rec: Record, problems: Collector) -> None:
    _code(rec, "region_code", validate_region_code, problems)
    _code(rec, "uscc", validate_uscc, problems)
    rec.data["name"] = rec.data["name"].strip()


def _item(rec: Record, problems: Collector) -> None:
    kind = rec.data["kind"]
    rec.data["name"] = rec.data["name"].strip()
    if not rec.ok("kind"):
        return
    if kind == "handling":
        _must_fill(
            rec, "handling_code", problems, "办理项须填写业务办理项编码", "a handling item needs its handling code"
        )
        _must_be_empty(rec, "basic_code", problems, "办理项不填基本编码", "a handling item has no basic code")
        _code(rec, "handling_code", validate_handling_code, problems)
    else:
        _must_fill(
            rec, "basic_code", problems, "主项和子项须填写基本编码", "main items and sub-items need a basic code"
        )
        _must_be_empty(
            rec, "handling_code", problems, "只有办理项有业务办理项编码", "only handling items have a handling code"
        )
        _code(rec, "basic_code", validate_basic_code, problems)
    if kind == "main":
        _must_be_empty(rec, "parent_code", problems, "主项不能有上级事项", "a main item has no parent")
    else:
        _must_fill(
            rec, "parent_code", problems, "子项和办理项须填写上级事项编码", "sub-items and handling items need a parent"
        )
    rec.data["parent_code"] = rec.data["parent_code"].strip().upper() if rec.ok("parent_code") else ""
    rec.data["code"] = rec.data["handling_code"] if kind == "handling" else rec.data["basic_code"]


# Implementation rows repeat their department's USCC; its check digit is worked out once per USCC.
_known_uscc = lru_cache(maxsize=4096)(validate_uscc)


def _implementation(rec: Record, problems: Collector) -> None:
    _code(rec, "department_uscc", _known_uscc, problems)
    # A 31-character implementation code starts with the implementing department's USCC.
    uscc = rec.data["department_uscc"] if rec.ok("department_uscc") else None
    _code(rec, "implementation_code", validate_implementation_code, problems, uscc)
    _code(rec, "region_code", validate_region_code, problems)


def _material(rec: Record, problems: Collector) -> None:
    rec.data["implementation_code"] = rec.data["implementation_code"].strip().upper()


def _agreement(rec: Record, problems: Collector) -> None:
    rec.data["name"] = rec.data["name"].strip()
    if rec.ok("region_codes"):
        codes: list[str] = []
        for code in rec.data["region_codes"]:
            try:
                codes.append(validate_region_code(code))
            except CodeError as exc:
                problems.code_error(rec.sheet, rec.row, "region_codes", exc)
                rec.bad.add("region_codes")
        rec.data["region_codes"] = sorted(set(codes))
        if rec.ok("region_codes") and len(rec.data["region_codes"]) < 2:
            problems.add(
                rec.sheet,
                rec.row,
                "region_codes",
                "too_few",
                "协议至少需要两个成员地区",
                "an agreement needs at least two regions",
            )
            rec.bad.add("region_codes")
    if rec.ok("item_codes"):
        rec.data["item_codes"] = list(dict.fromkeys(code.strip() for code in rec.data["item_codes"]))
    if rec.ok("modes"):
        rec.data["modes"] = sorted(set(rec.data["modes"]))
    start, end = rec.data["effective_from"], rec.data["effective_to"]
    if rec.ok("effective_from", "effective_to") and start and end and end < start:
        problems.add(
            rec.sheet,
            rec.row,
            "effective_to",
            "before_start",
            "失效日期早于生效日期",
            "the agreement ends before it starts",
        )
        rec.bad.add("effective_to")


_CHECKS: dict[str, Callable[[Record, Collector], None]] = {
    "departments": _department,
    "items": _item,
    "implementations": _implementation,
    "materials": _material,
    "agreements": _agreement,
}


def read_records(book: Book, problems: Collector) -> dict[str, list[Record]]:
    """Every row of every sheet, read and checked on its own; problems go to ``problems``."""
    out: dict[str, list[Record]] = {}
    for sheet in L.SHEETS:
        records = []
        for raw in book.sheets.get(sheet.key, []):
            rec = _read_cells(sheet, raw.number, raw.values, problems)
            _CHECKS[sheet.key](rec, problems)
            records.append(rec)
        out[sheet.key] = records
    return out
