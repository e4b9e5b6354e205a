"""Reading the cells of an Excel workbook (.xlsx) quickly, with openpyxl as the general reader.

openpyxl's read-only mode builds Python objects for every XML element, which on a two-core server
takes over ten seconds for a catalog of 10,000 implementations before any checking starts; and files
written by openpyxl itself carry no sheet dimension, so opening them parses every sheet twice. For
the cell layout that Excel, WPS, LibreOffice and openpyxl write (``<c r="B7" s="1" t="s"><v>…</v>``)
this module reads the sheet XML with one regular expression instead. It takes that path only when the
expression accounts for every cell element of the sheet; any other file goes through openpyxl
(read_only=True, data_only=True), so an unusual producer costs time, never correctness.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import openpyxl
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

Rows = list[tuple[int, dict[str, Any]]]  # (row number, {column key: value}), empty cells left out
NameColumns = Callable[[str, dict[int, Any]], dict[int, str]]  # (sheet, header cells) → column number → key

_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_DOC_REL = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"

# One cell, attributes in the order every common producer writes them; anything else falls back. The
# two common contents, an inline string and a plain value, get their own groups so that most cells
# need no second look: (column letters, row, style, type, inline text, value, any other content).
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?\s*'
    rb'(?:/>|><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>|><v>([^<]*)</v></c>|>(.*?)</c>)',
    re.S,
)
_CELL_START = re.compile(rb"<c[\s/>]")
_V = re.compile(rb"<v>([^<]*)</v>")
_T = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_RPH = re.compile(rb"<rPh\b.*?</rPh>", re.S)


class NotAWorkbook(ValueError):
    """The file is not a readable .xlsx workbook."""


class TooLargeUnpacked(NotAWorkbook):
    """The workbook's sheets would unpack to more than allowed (a zip bomb, not a catalog)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"its sheets unpack to {size} bytes, more than {limit}")
        self.size = size
        self.limit = limit


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xml(archive: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        return ET.fromstring(archive.read(name))
    except KeyError:
        return None


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part) of ``part`` ("" for the package itself)."""
    folder, name = posixpath.split(part)
    root = _xml(archive, posixpath.join(folder, "_rels", name + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    for rel in root if root is not None else []:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", "").rpartition("/")[2], target)
    return out


class _Workbook:
    """The parts of a workbook the fast path needs: sheet parts, shared strings, date styles, epoch."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        book_part = next((t for kind, t in _rels(archive, "").values() if kind == "officeDocument"), "")
        root = _xml(archive, book_part) if book_part else None
        if root is None:
            raise NotAWorkbook("no workbook part")
        targets = _rels(archive, book_part)
        self.sheets: dict[str, str] = {}
        self.epoch = CALENDAR_WINDOWS_1900
        for el in root.iter():
            if _local(el.tag) == "workbookPr" and el.get("date1904") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            if _local(el.tag) == "sheet":
                rid = el.get(_DOC_REL) or el.get(_STRICT_DOC_REL) or ""
                if rid in targets:
                    self.sheets[el.get("name", "")] = targets[rid][1]
        parts = {kind: target for kind, target in targets.values()}
        self.strings_part = parts.get("sharedStrings")
        self.styles_part = parts.get("styles")
        self.strings: list[str] = []
        self.date_styles: set[int] = set()

    def load(self) -> None:
        """Read shared strings and styles; called once the sizes have been checked."""
        self.strings = self._strings(self.strings_part)
        self.date_styles = self._date_styles(self.styles_part)

    def _strings(self, part: str | None) -> list[str]:
        root = _xml(self.archive, part) if part else None
        out: list[str] = []
        for si in root if root is not None else []:
            # Text is in <t> or in rich-text runs <r><t>; phonetic runs <rPh> are reading aids, left out.
            runs = (
                child if _local(child.tag) == "t" else next((t for t in child if _local(t.tag) == "t"), None)
                for child in si
                if _local(child.tag) in ("t", "r")
            )
            out.append("".join(run.text or "" for run in runs if run is not None))
        return out

    def _date_styles(self, part: str | None) -> set[int]:
        root = _xml(self.archive, part) if part else None
        if root is None:
            return set()
        formats = dict(BUILTIN_FORMATS)
        xfs: list[int] = []
        for el in root:
            if _local(el.tag) == "numFmts":
                formats.update({int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in el})
            elif _local(el.tag) == "cellXfs":
                xfs = [int(xf.get("numFmtId", "0")) for xf in el]
        return {i for i, fmt_id in enumerate(xfs) if is_date_format(formats.get(fmt_id, ""))}

    def rows(self, name: str, name_columns: NameColumns) -> Rows | None:
        """The sheet's rows after the header, or None when its XML is not in the layout read here."""
        data = self.archive.read(self.sheets[name])
        if b"<sheetData" not in data:
            return None
        matches = _CELL.findall(data)
        if len(matches) != len(_CELL_START.findall(data)):
            return None
        plain_text = b"&" not in data and b"\r" not in data  # then no cell needs unescaping
        out: Rows = []
        header: dict[int, Any] = {}
        keys: dict[bytes, str | None] | None = None  # column letters → key, once the header is read
        mapping: dict[int, str] = {}
        current: dict[Any, Any] = header
        last_row = b""
        for letters, row, style, kind, inline, plain, inner in matches:
            if row != last_row:
                last_row, number = row, int(row)
                if keys is None and number != 1:
                    mapping, keys = name_columns(name, header), {}
                if keys is not None:
                    current = {}
                    out.append((number, current))
            if keys is None:
                key: Any = _column_number(letters)
            else:
                key = keys.get(letters, "")
                if key == "":
                    key = keys[letters] = mapping.get(_column_number(letters))
                if key is None:
                    continue  # a column without a known header; the header check has reported it
            if inline:
                current[key] = inline.decode("utf-8") if plain_text else _text(inline)
            elif plain:
                current[key] = self.strings[int(plain)] if kind == b"s" else self._typed(kind, style, plain)
            elif inner:
                value = self._value(kind, style, inner)
                if value is not None and value != "":
                    current[key] = value
        if keys is None:
            name_columns(name, header)
        return [(number, cells) for number, cells in out if cells]

    def _value(self, kind: bytes, style: bytes, inner: bytes) -> Any:
        """A cell's value from content the regular expression did not take apart (rich text, formulas)."""
        if kind == b"inlineStr":
            return _text(b"".join(_T.findall(_RPH.sub(b"", inner))))
        found = _V.search(inner)  # a formula's cached result; data_only semantics, as openpyxl's
        return self._typed(kind, style, found.group(1)) if found and found.group(1) else None

    def _typed(self, kind: bytes, style: bytes, raw: bytes) -> Any:
        if not kind or kind == b"n":
            number: float | int = float(raw) if b"." in raw or b"E" in raw or b"e" in raw else int(raw)
            if style and int(style) in self.date_styles:
                return from_excel(number, self.epoch)
            return number
        if kind == b"s":
            return self.strings[int(raw)]
        if kind == b"b":
            return raw.strip() == b"1"
        if kind == b"d":
            return from_ISO8601(_text(raw))
        return _text(raw)  # str (a formula's text result) and e (an error such as #N/A)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _text(raw: bytes) -> str:
    # XML end-of-line handling first (a parser turns CR LF and lone CR into LF), then entities.
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text = raw.decode("utf-8")
    return unescape(text) if "&" in text else text


def _openpyxl_rows(path: Path, name: str, name_columns: NameColumns) -> Rows:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        out: Rows = []
        mapping: dict[int, str] | None = None
        for number, values in enumerate(book[name].iter_rows(values_only=True), start=1):
            cells = {i: v for i, v in enumerate(values, start=1) if v is not None and v != ""}
            if mapping is None:
                mapping = name_columns(name, cells if number == 1 else {})
                if number == 1:
                    continue
            named = {mapping[i]: v for i, v in cells.items() if i in mapping}
            if named:
                out.append((number, named))
        if mapping is None:
            name_columns(name, {})
        return out
    finally:
        book.close()


def read(
    path: Path, select: Callable[[list[str]], list[str]], name_columns: NameColumns, *, max_xml_bytes: int
) -> dict[str, Rows]:
    """The rows of the sheets ``select`` picks from the workbook's sheet names, keyed by column name.

    Row 1 is the header: ``name_columns(sheet, {column number: header cell})`` says which key each
    column's cells go under; cells of other columns are left out, as are empty cells and rows.

    Refuses a workbook whose chosen sheets would unpack beyond ``max_xml_bytes`` (a zip bomb) before
    unpacking them. Values are what openpyxl gives (numbers, text, booleans, dates for date-formatted
    numbers); the fast path and openpyxl agree on them.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            book = _Workbook(archive)
            names = select(list(book.sheets))
            parts = [book.sheets[n] for n in names] + ([book.strings_part] if book.strings_part else [])
            total = sum(archive.getinfo(part).file_size for part in parts)
            if total > max_xml_bytes:
                raise TooLargeUnpacked(total, max_xml_bytes)
            book.load()
            out = {name: book.rows(name, name_columns) for name in names}
        return {
            name: rows if rows is not None else _openpyxl_rows(path, name, name_columns) for name, rows in out.items()
        }
    except NotAWorkbook:
        raise
    except Exception as exc:  # a damaged workbook can fail in many ways inside zipfile, XML or openpyxl
        raise NotAWorkbook(f"{type(exc).__name__}: {exc}") from exc


__all__ = ["NameColumns", "NotAWorkbook", "Rows", "TooLargeUnpacked", "read"]
