"""The exchange layout (导入导出格式) of the catalog: the one definition of sheets and columns.

Excel shows the Chinese sheet titles and column headers; JSON uses the stable English keys. Both carry
the same five lists, and the import accepts either the Chinese header or the English key as a column
name. docs/catalog-import.md embeds :func:`markdown` so the documentation and the code cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.db import models
from django.utils import translation

from tongban.catalog import choices as c
from tongban.catalog import guide as guide_rules
from tongban.catalog.models import GuideVersion, MaterialRequirement

# Cell kinds. "list" cells hold values joined by LIST_SEPARATOR, or a JSON array when a value would
# not survive that (it contains the separator, is not a plain string, …); "json" cells hold JSON text.
TEXT, CODE, CHOICE, INT, BOOL, DATE, LIST, JSON = "text", "code", "choice", "int", "bool", "date", "list", "json"
LIST_SEPARATOR = "、"

# Presence: a REQUIRED column must be in the header and every row must fill it; a CONDITIONAL column
# must be in the header but is filled only by some rows (see its meaning); OPTIONAL may be left out.
REQUIRED, CONDITIONAL, OPTIONAL = "required", "conditional", "optional"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str
    meaning: str
    presence: str = OPTIONAL
    choices: type[models.TextChoices] | None = None
    default: Any = None
    field: str | None = None  # the model field it fills, for length checks
    maximum: int | None = None  # largest whole number the database column holds

    def __post_init__(self) -> None:
        # Text and list columns without a default stand for "" and [] when empty, so every later check
        # can treat the value as text or a list; a required column reports the empty value itself.
        if self.default is None and self.kind in (TEXT, CODE, CHOICE):
            object.__setattr__(self, "default", "")
        elif self.default is None and self.kind == LIST:
            object.__setattr__(self, "default", list)

    @property
    def header_required(self) -> bool:
        return self.presence in (REQUIRED, CONDITIONAL)

    def empty(self) -> Any:
        """The value an empty cell stands for (a fresh copy for lists and dicts)."""
        if callable(self.default):
            return self.default()
        return self.default


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    meaning: str
    columns: tuple[Column, ...]
    by_key: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {col.key: col for col in self.columns})

    def header_index(self) -> dict[str, Column]:
        """Column by Chinese header and by English key: a file may use either."""
        index = {col.header: col for col in self.columns}
        index.update(self.by_key)
        return index


# JSON fields of the guide that hold objects (fees, FAQ, …); the other JSON fields are lists of strings.
_OBJECT_FIELDS = {"fees", "special_procedures", "faq", "form_schema"}
_LIST_CHOICES: dict[str, type[models.TextChoices]] = {"modes": c.Mode, "service_objects": c.ServiceObject}


def _default(model_field: models.Field) -> Any:
    if model_field.has_default():
        value = model_field.default
        # Choice defaults are enum members; the hash and JSON want the plain string.
        return value.value if isinstance(value, Enum) else value
    return "" if model_field.empty_strings_allowed and not model_field.null else None


def _from_model(model: type[models.Model], name: str, header: str, meaning: str, presence: str) -> Column:
    """A column whose kind, choices and default follow the model field, so the layout tracks the model."""
    f = model._meta.get_field(name)
    choices = None
    maximum = None
    if isinstance(f, models.JSONField):
        kind = JSON if name in _OBJECT_FIELDS else LIST
        choices = _LIST_CHOICES.get(name)
    elif isinstance(f, models.BooleanField):
        kind = BOOL
    elif isinstance(f, models.PositiveIntegerField | models.PositiveSmallIntegerField):
        kind = INT
        maximum = 32767 if isinstance(f, models.PositiveSmallIntegerField) else 2147483647
    elif f.choices:
        kind = CHOICE
        choices = _CHOICE_CLASSES[name]
    else:
        kind = TEXT
    default = None if presence == REQUIRED else _default(f)
    return Column(name, header, kind, meaning, presence, choices, default, name, maximum)


_CHOICE_CLASSES: dict[str, type[models.TextChoices]] = {
    "statutory_unit": c.LimitUnit,
    "promised_unit": c.LimitUnit,
    "case_type": c.CaseType,
    "scope": c.Scope,
    "result_type": c.ResultType,
    "source": c.MaterialSource,
    "form": c.MaterialForm,
    "necessity": c.Necessity,
}


DEPARTMENTS = Sheet(
    "departments",
    "部门",
    "implementing departments (实施机关), matched by USCC",
    (
        Column(
            "region_code",
            "行政区划代码",
            CODE,
            "GB/T 2260 code of the department's region; must exist",
            REQUIRED,
            field="region",
        ),
        Column("name", "部门名称", TEXT, "name; unique within the region", REQUIRED, field="name"),
        Column("uscc", "统一社会信用代码", CODE, "the department's USCC (GB 32100); the key", REQUIRED, field="uscc"),
        Column(
            "kind",
            "部门类型",
            CHOICE,
            "kind of organ",
            OPTIONAL,
            c.DepartmentKind,
            c.DepartmentKind.ORGAN.value,
            "kind",
        ),
        Column("phone", "联系电话", TEXT, "phone", default="", field="phone"),
        Column("address", "地址", TEXT, "address", default="", field="address"),
    ),
)

ITEMS = Sheet(
    "items",
    "事项",
    "service items (政务服务事项), matched by basic code or handling code",
    (
        Column("kind", "事项层级", CHOICE, "main item, sub-item or handling item", REQUIRED, c.ItemKind, field="kind"),
        Column(
            "basic_code",
            "基本编码",
            CODE,
            "12-character national basic code; the key of main items and sub-items, empty for handling items",
            CONDITIONAL,
            default="",
            field="basic_code",
        ),
        Column(
            "handling_code",
            "业务办理项编码",
            CODE,
            "handling item code (≤ 50); the key of handling items, empty for the others",
            CONDITIONAL,
            default="",
            field="handling_code",
        ),
        Column(
            "parent_code",
            "上级事项编码",
            CODE,
            "basic code of the parent: a main item for a sub-item, a main "
            "item or sub-item for a handling item; empty for main items",
            CONDITIONAL,
            default="",
        ),
        Column("name", "事项名称", TEXT, "name", REQUIRED, field="name"),
        Column("item_type", "事项类型", CHOICE, "item type (national codes)", REQUIRED, c.ItemType, field="item_type"),
        Column("legal_basis", "设定依据", TEXT, "legal basis", default="", field="legal_basis"),
        Column("exercise_levels", "行使层级", LIST, "levels that exercise the item", OPTIONAL, c.ExerciseLevel, list),
        Column(
            "handling_kind",
            "办理项类型",
            CHOICE,
            "for handling items: new, change, renewal or cancellation",
            OPTIONAL,
            c.HandlingKind,
            "",
            "handling_kind",
        ),
        Column("aliases", "别名", LIST, "other names people search by, e.g. 社保卡", default=list),
        Column("keywords", "关键词", LIST, "search keywords", default=list),
    ),
)

_GUIDE_MEANINGS = {f: en for f, _, en in guide_rules.GUIDE_FIELDS}
IMPLEMENTATIONS = Sheet(
    "implementations",
    "实施清单",
    "implementations (事项实施清单) with the guide (办事指南) in force, matched by implementation code",
    (
        Column(
            "implementation_code",
            "实施编码",
            CODE,
            "implementation code (≤ 36; a 31-character code starts with the department's USCC); the key",
            REQUIRED,
            field="implementation_code",
        ),
        Column(
            "item_code", "事项编码", CODE, "basic or handling code of the item; it must have no sub-items", REQUIRED
        ),
        Column(
            "region_code",
            "行政区划代码",
            CODE,
            "region of the implementation: the department's region or "
            "one containing it; empty means the department's region",
            OPTIONAL,
            default="",
        ),
        Column(
            "department_uscc",
            "实施机关统一社会信用代码",
            CODE,
            "USCC of the implementing department, from the departments sheet or the database",
            REQUIRED,
        ),
        Column(
            "local_code", "地方编码", TEXT, "local code kept beside the national one", default="", field="local_code"
        ),
        *(
            _from_model(GuideVersion, f, zh, f"guide: {en}", REQUIRED if f in guide_rules.REQUIRED else OPTIONAL)
            for f, zh, en in guide_rules.GUIDE_FIELDS
        ),
    ),
)

MATERIALS = Sheet(
    "materials",
    "申请材料",
    "materials (申请材料) of each implementation's guide, in order",
    (
        Column(
            "implementation_code",
            "实施编码",
            CODE,
            "implementation the material belongs to (from the implementations sheet)",
            REQUIRED,
        ),
        Column(
            "order",
            "序号",
            INT,
            "position in the list (1, 2, …); rows without one follow the numbered rows, in row order",
            OPTIONAL,
            maximum=32767,
        ),
        *(
            _from_model(MaterialRequirement, f, zh, f"material: {en}", REQUIRED if f == "name" else OPTIONAL)
            for f, zh, en in guide_rules.MATERIAL_FIELDS
        ),
    ),
)

AGREEMENTS = Sheet(
    "agreements",
    "通办协议",
    "cross-region agreements (通办协议), matched by name",
    (
        Column("name", "协议名称", TEXT, "name; the key", REQUIRED, field="name"),
        Column("kind", "协议类型", CHOICE, "kind of agreement", REQUIRED, c.AgreementKind, field="kind"),
        Column("region_codes", "成员地区", LIST, "GB/T 2260 codes of at least two member regions", REQUIRED),
        Column("item_codes", "覆盖事项", LIST, "basic or handling codes of the covered items", REQUIRED),
        Column("modes", "办理方式", LIST, "modes of handling the agreement allows", OPTIONAL, c.Mode, list),
        Column("effective_from", "生效日期", DATE, "first day in force (YYYY-MM-DD)", REQUIRED),
        Column("effective_to", "失效日期", DATE, "last day in force; empty means open-ended", OPTIONAL),
        Column("note", "备注", TEXT, "note", default="", field="note"),
    ),
)

SHEETS: tuple[Sheet, ...] = (DEPARTMENTS, ITEMS, IMPLEMENTATIONS, MATERIALS, AGREEMENTS)
BY_KEY = {s.key: s for s in SHEETS}
GUIDE_KEYS = guide_rules.FIELD_NAMES
MATERIAL_KEYS = guide_rules.MATERIAL_NAMES


def find_sheet(name: str) -> Sheet | None:
    """The sheet a tab or JSON key names: its Chinese title or its English key."""
    name = name.strip()
    return next((s for s in SHEETS if name in (s.title, s.key)), None)


def _allowed(col: Column) -> str:
    if col.choices is None:
        return {INT: "whole number ≥ 0", BOOL: "是 / 否", DATE: "YYYY-MM-DD", JSON: "JSON"}.get(col.kind, "")
    with translation.override("en"):
        return ", ".join(f"`{value}` {label}" for value, label in col.choices.choices)


def _cell_form(col: Column) -> str:
    return {
        LIST: f"values separated by `{LIST_SEPARATOR}`, or a JSON array",
        JSON: "JSON text",
        BOOL: "是 or 否",
        INT: "number",
        DATE: "date cell or text",
    }.get(col.kind, "text")


def _presence(col: Column) -> str:
    default = col.default
    if callable(default) or default in (None, "") or col.presence == REQUIRED:
        return col.presence
    shown = ("是" if default else "否") if col.kind == BOOL else default
    return f"{col.presence}; empty = `{shown}`"


def markdown() -> str:
    """The layout as Markdown tables, one per sheet, for docs/catalog-import.md."""
    out: list[str] = []
    for sheet in SHEETS:
        out += [
            f"### {sheet.title} (`{sheet.key}`)",
            "",
            sheet.meaning[0].upper() + sheet.meaning[1:] + ".",
            "",
            "| column (header) | key | presence | cell | meaning | allowed values |",
            "|---|---|---|---|---|---|",
        ]
        for col in sheet.columns:
            cells = [col.header, f"`{col.key}`", _presence(col), _cell_form(col), col.meaning, _allowed(col)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)
