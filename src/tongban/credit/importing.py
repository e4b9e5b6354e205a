"""Reading and checking an imported credit list (信用名单导入): the whole file is checked before anything
is written, and every problem is reported at once, named ``rows[N].column``.

Row numbers are as a person counts them: in a CSV file the header is row 1 and the first entry row 2;
in a JSON file N is the object's position in the list, counting from 1. The layout is in layout.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import IO, Any

from django.db.models import Exists, OuterRef

from tongban.core.codes import CodeError
from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text
from tongban.credit import layout as L
from tongban.credit import subjects
from tongban.credit.choices import EntryKind, ImportFormat
from tongban.credit.models import CreditEntry

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
CHUNK = 500  # values per IN (…) list, far below every database's limit on query parameters
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXTENSIONS = {".csv": ImportFormat.CSV, ".json": ImportFormat.JSON}
_UNFIT_TARGETS = {
    EntryKind.REPAIR: Text("修复记录本身不能被修复", "a repair cannot itself be repaired"),
    EntryKind.GOOD_CONDUCT: Text("守信记录无需修复", "a good-conduct entry is not repaired"),
}


def file_error(code: str, zh: str, en: str) -> DomainError:
    return DomainError.single("file", code, zh, en)


@dataclass(frozen=True)
class RawRow:
    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Checked:
    number: int
    subject_type: str
    subject_code: str
    subject_name: str
    kind: str
    occurred_on: date
    valid_until: date | None
    decision: str
    note: str
    source_ref: str
    repairs_ref: str


@dataclass
class Plan:
    format: str
    sha256: str
    new: list[Checked]
    skipped: int
    # repairs_ref → id of the stored entry it names, for repair rows whose repaired entry is already stored
    stored_targets: dict[str, int] = field(default_factory=dict)


class Problems:
    """The problems of a file, gathered so that every one is reported."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.items: list[tuple[int, int, Problem]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, row: int, column: str | None, code: str, text: Text) -> None:
        where_zh = f"第{row}{'条' if self.unit == 'entry' else '行'}" + (f"“{column}”" if column else "")
        where_en = f"{self.unit} {row}" + (f", {column}" if column else "")
        name = f"rows[{row}]" + (f".{column}" if column else "")
        order = -1 if column is None else (L.KEYS.index(column) if column in L.KEYS else len(L.KEYS))
        self.items.append((row, order, Problem(name, code, Text(f"{where_zh}：{text.zh}", f"{where_en}: {text.en}"))))

    def raise_if_any(self) -> None:
        if self.items:
            self.items.sort(key=lambda item: (item[0], item[1]))
            raise DomainError([p for _, _, p in self.items])


# --- reading the file -------------------------------------------------------------------------------


def read(upload: IO[bytes], name: str) -> tuple[str, str, list[RawRow], str]:
    """(format, sha256, rows, unit) of an uploaded list; a DomainError on ``file`` when it is not one."""
    suffix = PurePath(name or "").suffix.lower()
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None:
        raise file_error(
            "file_type",
            f"只能导入 .csv 或 .json 文件，“{name}”不是",
            f"only .csv and .json files can be imported, not '{name}'",
        )
    data = upload.read(MAX_BYTES + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise file_error(
            "too_large",
            f"文件超过{MAX_BYTES // (1024 * 1024)} MiB的上限，请分成几个文件导入",
            f"the file is larger than the limit of {MAX_BYTES // (1024 * 1024)} MiB; split it into several files",
        )
    if b"\x00" in data:
        raise file_error(
            "not_text",
            "文件不是文本文件（例如Excel工作簿），请另存为UTF-8编码的CSV",
            "the file is not text (an Excel workbook, perhaps); save it as CSV in UTF-8",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(
            "encoding",
            f"文件不是UTF-8编码（第{exc.start + 1}个字节），请另存为UTF-8",
            f"the file is not UTF-8 (byte {exc.start + 1}); save it in UTF-8",
        ) from exc
    first = text.lstrip()[:1]
    if not first:
        raise file_error("empty", "文件是空的", "the file is empty")
    looks_json = first in ("[", "{")
    if fmt == ImportFormat.CSV and looks_json:
        raise file_error(
            "format_mismatch",
            "文件名为 .csv，内容却是JSON；请改正文件名",
            "the name says .csv but the content is JSON; correct the name",
        )
    if fmt == ImportFormat.JSON and not looks_json:
        raise file_error(
            "format_mismatch",
            "文件名为 .json，内容却不是JSON",
            "the name says .json but the content is not JSON",
        )
    rows, unit = (_csv_rows(text), "row") if fmt == ImportFormat.CSV else (_json_rows(text), "entry")
    if not rows:
        raise file_error("no_rows", "文件中没有记录", "the file holds no entries")
    if len(rows) > MAX_ROWS:
        raise file_error(
            "too_many_rows",
            f"文件有{len(rows)}条记录，超过{MAX_ROWS}条的上限，请分成几个文件导入",
            f"the file has {len(rows)} entries, more than the limit of {MAX_ROWS}; split it into several files",
        )
    return fmt, hashlib.sha256(data).hexdigest(), rows, unit


def _csv_rows(text: str) -> list[RawRow]:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise file_error("csv_format", f"CSV格式错误：{exc}", f"the CSV is malformed: {exc}") from exc
    # A header names a column by its key or by its Chinese name.
    titles = {c.title: c.key for c in L.COLUMNS}
    header = [titles.get(h.strip(), h.strip().lower()) for h in records[0]]
    problems = Problems("row")
    seen: set[str] = set()
    for key in header:
        if key and key not in L.BY_KEY:
            problems.add(
                1,
                key,
                "unknown_column",
                Text(
                    f"未知的列；可用的列：{'、'.join(L.KEYS)}", f"unknown column; the columns are {', '.join(L.KEYS)}"
                ),
            )
        elif key in seen:
            problems.add(1, key, "duplicate_column", Text("该列出现了两次", "the column appears twice"))
        seen.add(key)
    for column in L.COLUMNS:
        if column.presence == L.REQUIRED and column.key not in seen:
            problems.add(1, column.key, "missing_column", Text("缺少必需的列", "a required column is missing"))
    problems.raise_if_any()
    rows: list[RawRow] = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines are no entries, but keep the numbering a person sees
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            problems.add(
                index,
                None,
                "too_many_cells",
                Text(
                    f"该行有{len(record)}个单元格，表头只有{len(header)}列",
                    f"the row has {len(record)} cells, the header {len(header)} columns",
                ),
            )
            continue
        rows.append(RawRow(index, {k: v for k, v in zip(header, record, strict=False) if k}))
    problems.raise_if_any()
    return rows


def _json_rows(text: str) -> list[RawRow]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise file_error(
            "json_format",
            f"JSON格式错误（第{exc.lineno}行第{exc.colno}列）：{exc.msg}",
            f"the JSON is malformed (line {exc.lineno}, column {exc.colno}): {exc.msg}",
        ) from exc
    if not isinstance(data, list):
        raise file_error("json_not_list", "JSON文件应为对象列表 […]", "a JSON file must be a list of objects […]")
    problems = Problems("entry")
    rows: list[RawRow] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.add(
                index, None, "not_object", Text("每条记录应为一个对象 {…}", "each entry must be an object {…}")
            )
            continue
        for key in item:
            if key not in L.BY_KEY:
                problems.add(
                    index,
                    str(key),
                    "unknown_column",
                    Text(
                        f"未知的字段；可用的字段：{'、'.join(L.KEYS)}", f"unknown key; the keys are {', '.join(L.KEYS)}"
                    ),
                )
        rows.append(RawRow(index, item))
    if len(rows) <= MAX_ROWS:  # the caller reports a file over the limit as such
        problems.raise_if_any()
    return rows


# --- checking the rows ------------------------------------------------------------------------------


def _date(value: str) -> date | None:
    if not _DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _texts(raw: RawRow, problems: Problems) -> dict[str, str] | None:
    values: dict[str, str] = {}
    fine = True
    for key in L.KEYS:
        value = raw.values.get(key)
        if value is None:
            values[key] = ""
        elif isinstance(value, bool | dict | list):
            problems.add(raw.number, key, "not_text", Text("应为文字", "must be text"))
            fine = False
        else:
            values[key] = str(value).strip()
    return values if fine else None


def _check_row(raw: RawRow, problems: Problems) -> Checked | None:
    v = _texts(raw, problems)
    if v is None:
        return None
    n = raw.number
    before = len(problems.items)

    def bad(column: str, code: str, zh: str, en: str) -> None:
        problems.add(n, column, code, Text(zh, en))

    subject_type = code = ""
    if not v["subject_type"]:
        bad("subject_type", "required", "必填", "required")
    else:
        try:
            subject_type = subjects.validate_subject_type(v["subject_type"])
        except CodeError as exc:
            problems.add(n, "subject_type", exc.code, exc.text)
    if subject_type:
        try:
            code = subjects.validate_subject_code(subject_type, v["subject_code"])
        except CodeError as exc:
            problems.add(n, "subject_code", exc.code, exc.text)
    for column in L.COLUMNS:
        value = v[column.key]
        if column.presence == L.REQUIRED and not value and column.key not in ("subject_type", "subject_code"):
            bad(column.key, "required", "必填", "required")
        elif column.max_length and len(value) > column.max_length:
            bad(
                column.key,
                "too_long",
                f"不能超过{column.max_length}个字符",
                f"at most {column.max_length} characters",
            )
    kind = v["kind"].lower()
    if kind and kind not in EntryKind.values:
        bad(
            "kind",
            "invalid_choice",
            f"记录类型“{v['kind']}”无效，可选：{'、'.join(EntryKind.values)}",
            f"'{v['kind']}' is not a kind; choose from {', '.join(EntryKind.values)}",
        )
    occurred_on = _date(v["occurred_on"]) if v["occurred_on"] else None
    if v["occurred_on"] and occurred_on is None:
        bad("occurred_on", "invalid_date", "日期格式应为 YYYY-MM-DD", "a date is written YYYY-MM-DD")
    valid_until = _date(v["valid_until"]) if v["valid_until"] else None
    if v["valid_until"] and valid_until is None:
        bad("valid_until", "invalid_date", "日期格式应为 YYYY-MM-DD", "a date is written YYYY-MM-DD")
    elif valid_until and occurred_on and valid_until < occurred_on:
        bad("valid_until", "before_start", "有效期截止日早于起始日期", "it ends before occurred_on")
    if kind == EntryKind.REPAIR and not v["repairs_ref"]:
        bad("repairs_ref", "required", "修复记录须填写被修复记录的来源编号", "a repair row names the repaired entry")
    elif kind and kind != EntryKind.REPAIR and v["repairs_ref"]:
        bad("repairs_ref", "not_a_repair", "只有修复记录（repair）填写此列", "only repair rows fill this column")
    if len(problems.items) > before or occurred_on is None:
        return None
    return Checked(
        number=n,
        subject_type=subject_type,
        subject_code=code,
        subject_name=v["subject_name"],
        kind=kind,
        occurred_on=occurred_on,
        valid_until=valid_until,
        decision=v["decision"],
        note=v["note"],
        source_ref=v["source_ref"],
        repairs_ref=v["repairs_ref"],
    )


def _stored(source_name: str, refs: set[str]) -> dict[str, CreditEntry]:
    """The stored entries of the source with these references, each marked whether it is repaired."""
    found: dict[str, CreditEntry] = {}
    ordered = sorted(refs)
    repaired = Exists(CreditEntry.objects.filter(repairs=OuterRef("pk")))
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        qs = CreditEntry.objects.filter(source_name=source_name, source_ref__in=chunk).annotate(is_repaired=repaired)
        found.update({e.source_ref: e for e in qs})
    return found


def check(rows: list[RawRow], unit: str, source_name: str, fmt: str, sha256: str) -> Plan:
    """Every row checked alone, then together: duplicate references, what is stored, repair links."""
    problems = Problems(unit)
    checked = [c for c in (_check_row(raw, problems) for raw in rows) if c is not None]
    first_row: dict[str, int] = {}
    unique: list[Checked] = []
    for c in checked:
        if c.source_ref in first_row:
            problems.add(
                c.number,
                "source_ref",
                "duplicate",
                Text(
                    f"与第{first_row[c.source_ref]}{'条' if unit == 'entry' else '行'}的来源编号相同",
                    f"the same source_ref as {unit} {first_row[c.source_ref]}",
                ),
            )
        else:
            first_row[c.source_ref] = c.number
            unique.append(c)
    stored = _stored(source_name, {c.source_ref for c in unique} | {c.repairs_ref for c in unique if c.repairs_ref})
    plan = Plan(fmt, sha256, [], 0)
    for c in unique:
        old = stored.get(c.source_ref)
        if old is None:
            plan.new.append(c)
        elif (old.subject_type, old.subject_code, old.kind) != (c.subject_type, c.subject_code, c.kind):
            problems.add(
                c.number,
                "source_ref",
                "source_ref_taken",
                Text(
                    f"该来源编号已导入，但主体或记录类型不同（已存记录：{old.kind}，{old.subject_name}）",
                    f"this source_ref is already stored with another subject or kind (stored: {old.kind}, "
                    f"{old.subject_name})",
                ),
            )
        else:
            plan.skipped += 1
    new_by_ref = {c.source_ref: c for c in plan.new}
    repaired_by_row: dict[str, int] = {}
    for c in plan.new:
        if c.kind != EntryKind.REPAIR:
            continue
        ref = c.repairs_ref
        target: CreditEntry | Checked | None = stored.get(ref) or new_by_ref.get(ref)
        if target is None:
            problems.add(
                c.number,
                "repairs_ref",
                "unknown_entry",
                Text(
                    f"来源“{source_name}”中没有编号为“{ref}”的记录",
                    f"no entry of source '{source_name}' has the source_ref '{ref}'",
                ),
            )
            continue
        problem = _unfit_target(target, c, ref, repaired_by_row, unit)
        if problem is not None:
            problems.add(c.number, "repairs_ref", *problem)
            continue
        repaired_by_row[ref] = c.number
        if isinstance(target, CreditEntry):
            plan.stored_targets[ref] = target.pk
    problems.raise_if_any()
    return plan


def _unfit_target(
    target: CreditEntry | Checked, row: Checked, ref: str, repaired_by_row: dict[str, int], unit: str
) -> tuple[str, Text] | None:
    """Why the entry a repair row names cannot be repaired by it (None: it can)."""
    if target.kind in _UNFIT_TARGETS:
        return "not_repairable", _UNFIT_TARGETS[target.kind]
    if getattr(target, "is_repaired", False):
        return "already_repaired", Text(f"记录“{ref}”已经修复过", f"entry '{ref}' is already repaired")
    if ref in repaired_by_row:
        other = repaired_by_row[ref]
        return "already_repaired", Text(
            f"第{other}{'条' if unit == 'entry' else '行'}已修复记录“{ref}”",
            f"{unit} {other} already repairs entry '{ref}'",
        )
    if (target.subject_type, target.subject_code) != (row.subject_type, row.subject_code):
        return "other_subject", Text(
            f"记录“{ref}”属于另一主体（{target.subject_name}）", f"entry '{ref}' is of another subject"
        )
    if row.occurred_on < target.occurred_on:
        return "before_entry", Text(
            f"修复日期早于被修复记录的起始日期（{target.occurred_on.isoformat()}）",
            f"the repair is dated before the entry it repairs ({target.occurred_on.isoformat()})",
        )
    return None
