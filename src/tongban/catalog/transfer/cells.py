"""Cell values (单元格取值): layout values to Excel cells and JSON values, and back.

Reading accepts what a person or a spreadsheet program is likely to put in a cell (numbers typed
into code columns, 是/否 or TRUE/FALSE, date cells or ISO text) and turns it into the value the model
stores; writing produces cells that read back to exactly the same value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from openpyxl.utils.datetime import from_excel

from tongban.catalog.transfer import layout as L
from tongban.core.messages import Text

_TRUE = {"是", "true", "yes", "y", "1"}
_FALSE = {"否", "false", "no", "n", "0"}


class CellError(ValueError):
    """A cell's value cannot be read as its column's kind; ``text`` says why in both languages."""

    def __init__(self, code: str, text: Text) -> None:
        super().__init__(text.en)
        self.code = code
        self.text = text


def _as_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and raw.is_integer():
        # A code typed into Excel becomes a number (411500.0); the text is the digits.
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, list | dict):
        raise CellError("not_text", Text("应为文本，而不是列表或对象", "must be text, not a list or an object"))
    return str(raw)


def _as_int(col: L.Column, raw: Any) -> int:
    value: Any = raw
    if isinstance(raw, str):
        try:
            value = int(raw.strip())
        except ValueError:
            value = None
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CellError(
            "not_a_count", Text(f"应为非负整数，实际为“{raw}”", f"must be a whole number of 0 or more, got '{raw}'")
        )
    if col.maximum is not None and value > col.maximum:
        raise CellError("too_large", Text(f"不得大于{col.maximum}", f"may not be more than {col.maximum}"))
    return value


def _as_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(
        "not_a_boolean", Text(f"应为“是”或“否”，实际为“{raw}”", f"must be 是 (yes) or 否 (no), got '{raw}'")
    )


def _as_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 < raw < 2958466:
        # A date cell whose number format is not recognised (Chinese Excel's built-in 31, 年月日, is
        # not in openpyxl's table) arrives as its serial number, days since 1899-12-30.
        return from_excel(raw).date()
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise CellError(
            "not_a_date", Text(f"应为日期（YYYY-MM-DD），实际为“{raw}”", f"must be a date (YYYY-MM-DD), got '{raw}'")
        ) from None


def _as_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CellError("invalid_json", Text(f"不是有效的 JSON：{exc}", f"is not valid JSON: {exc}")) from None


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, list):
        return raw
    if not isinstance(raw, str):
        raw = _as_text(raw)
    text = raw.strip()
    if text.startswith("["):
        value = _as_json(text)
        if not isinstance(value, list):
            raise CellError("not_a_list", Text("应为 JSON 数组", "must be a JSON array"))
        return value
    return [part.strip() for part in text.split(L.LIST_SEPARATOR) if part.strip()]


def _as_code(raw: Any) -> str:
    return raw.strip() if raw.__class__ is str else _as_text(raw).strip()


def _as_json_value(raw: Any) -> Any:
    if isinstance(raw, list | dict):
        return raw
    if isinstance(raw, str):
        return _as_json(raw.strip())
    raise CellError("invalid_json", Text("应为 JSON 文本", "must be JSON text"))


def _converter(col: L.Column) -> Callable[[Any], Any]:
    if col.kind == L.TEXT:
        return lambda raw: raw if raw.__class__ is str else _as_text(raw)
    if col.kind in (L.CODE, L.CHOICE):
        return _as_code
    if col.kind == L.INT:
        return lambda raw: _as_int(col, raw)
    return {L.BOOL: _as_bool, L.DATE: _as_date, L.LIST: _as_list, L.JSON: _as_json_value}[col.kind]


@cache
def reader(col: L.Column) -> Callable[[Any], Any]:
    """A function from a raw cell (Excel) or JSON value to the stored value; raises :class:`CellError`.

    Built once per column, because an import reads hundreds of thousands of cells.
    """
    convert = _converter(col)
    default = col.default
    empty = default if callable(default) else (lambda: default)

    def read(raw: Any) -> Any:
        if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
            return empty()
        return convert(raw)

    return read


def decode(col: L.Column, raw: Any) -> Any:
    """The stored value of a cell (Excel) or JSON value; raises :class:`CellError`."""
    return reader(col)(raw)


def _joinable(values: list[Any]) -> bool:
    """Whether a list reads back unchanged from its '、'-joined form."""
    return all(
        isinstance(v, str) and v and v == v.strip() and L.LIST_SEPARATOR not in v for v in values
    ) and not values[0].startswith("[")


def to_cell(col: L.Column, value: Any) -> Any:
    """The Excel cell for a stored value (None leaves the cell empty)."""
    if value is None or value == "":
        return None
    if col.kind == L.BOOL:
        return "是" if value else "否"
    if col.kind == L.DATE:
        return value.isoformat()
    if col.kind == L.LIST:
        if not value:
            return None
        return L.LIST_SEPARATOR.join(value) if _joinable(value) else json.dumps(value, ensure_ascii=False)
    if col.kind == L.JSON:
        return None if value == col.empty() else json.dumps(value, ensure_ascii=False)
    if col.kind == L.INT:
        return value
    return str(value)


def to_json(col: L.Column, value: Any) -> Any:
    """The JSON value for a stored value: the same, with dates as ISO text."""
    if col.kind == L.DATE and value is not None:
        return value.isoformat()
    return value
