"""The import layout of credit lists (信用名单导入格式): the one definition of its columns.

CSV files name the columns in their header row; JSON files are a list of objects with these keys.
docs/credit.md embeds :func:`markdown`, and a test checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUIRED, OPTIONAL, REPAIR_ROWS = "required", "optional", "repair rows"


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # the Chinese name, for people reading the table
    presence: str
    meaning: str
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("subject_type", "主体类型", REQUIRED, "`person` (自然人) or `organisation` (法人和非法人组织)"),
    Column(
        "subject_code",
        "主体代码",
        REQUIRED,
        "person: document number (18 characters: a resident ID number, or starting with 9 a 2023 foreign "
        "permanent resident ID, fully checked; other documents 5–30 letters and digits); organisation: unified "
        "social credit code (checked); spaces and hyphens are dropped, letters made capitals",
    ),
    Column("subject_name", "主体名称", REQUIRED, "name of the person or organisation", 200),
    Column(
        "kind", "记录类型", REQUIRED, "`dishonest`, `false_commitment`, `broken_commitment`, `good_conduct` or `repair`"
    ),
    Column("occurred_on", "起始日期", REQUIRED, "`YYYY-MM-DD`: the day the entry takes effect"),
    Column("valid_until", "有效期至", OPTIONAL, "`YYYY-MM-DD`: the last day it applies; empty: until repaired"),
    Column("decision", "决定文书", OPTIONAL, "the decision or document behind the entry", 200),
    Column("note", "备注", OPTIONAL, "further explanation", 2000),
    Column(
        "source_ref",
        "来源编号",
        REQUIRED,
        "the entry's identifier in the source list; unique within the source (a re-imported one is skipped)",
        100,
    ),
    Column(
        "repairs_ref",
        "被修复记录编号",
        REPAIR_ROWS,
        "for `repair` rows: the `source_ref` of the repaired entry in the same source (in this file or imported "
        "before); empty in other rows",
        100,
    ),
)

BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS)


def markdown() -> str:
    """The layout as a Markdown table (embedded in docs/credit.md)."""
    lines = ["| column | 中文 | presence | meaning |", "|---|---|---|---|"]
    for c in COLUMNS:
        meaning = c.meaning + (f"; at most {c.max_length} characters" if c.max_length else "")
        lines.append(f"| `{c.key}` | {c.title} | {c.presence} | {meaning} |")
    return "\n".join(lines)
