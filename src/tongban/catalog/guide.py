"""The guide (办事指南) as plain data: its fields, validation, canonical hash and differences.

Pure functions over dicts, so import, the API, the diff page and tests share one definition.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from tongban.catalog import choices as c
from tongban.core.codes import USCC_ALPHABET
from tongban.core.errors import Problem
from tongban.core.messages import Text

# Scalar guide fields: (name, Chinese label, English label). Order is the guide's reading order.
GUIDE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "事项名称", "name"),
    ("legal_basis", "设定依据", "legal basis"),
    ("conditions", "受理条件", "acceptance conditions"),
    ("service_objects", "服务对象", "service objects"),
    ("statutory_limit", "法定办结时限", "statutory time limit"),
    ("statutory_unit", "法定时限单位", "unit of the statutory limit"),
    ("statutory_note", "法定时限说明", "note on the statutory limit"),
    ("promised_limit", "承诺办结时限", "promised time limit"),
    ("promised_unit", "承诺时限单位", "unit of the promised limit"),
    ("promised_note", "承诺时限说明", "note on the promised limit"),
    ("case_type", "办件类型", "case type"),
    ("review_steps", "审查环节", "review steps"),
    ("modes", "办理方式", "handling modes"),
    ("commitment_allowed", "可告知承诺", "commitment allowed"),
    ("commitment_conditions", "可承诺的条件", "conditions a commitment may replace"),
    ("commitment_text", "承诺内容及不实承诺责任", "commitment text"),
    ("verification_days", "事后核查期限（日）", "post-verification period (days)"),
    ("tolerance_days", "容缺补齐期限（工作日）", "supply period for tolerated materials (working days)"),
    ("scope", "通办范围", "scope"),
    ("online_depth", "网办深度", "online depth"),
    ("visits", "到现场次数", "visits needed"),
    ("appointment", "支持预约", "appointment possible"),
    ("logistics", "支持物流快递", "result by post"),
    ("online_payment", "支持网上支付", "online payment"),
    ("fee_required", "是否收费", "fee charged"),
    ("fees", "收费项目", "fees"),
    ("result_type", "办理结果类型", "result type"),
    ("result_name", "办理结果名称", "result name"),
    ("result_license_type", "结果电子证照类型", "result licence type"),
    ("special_procedures", "特别程序", "special procedures"),
    ("joint_organs", "联办机构", "joint-handling organs"),
    ("process", "办理流程", "process"),
    ("place", "办理地点", "place"),
    ("hours", "办理时间", "hours"),
    ("enquiry_phone", "咨询电话", "enquiry phone"),
    ("complaint_phone", "监督投诉电话", "complaint phone"),
    ("online_url", "网上办理地址", "online address"),
    ("faq", "常见问题", "FAQ"),
    ("form_schema", "申请表字段", "form fields"),
)
FIELD_NAMES = tuple(f for f, _, _ in GUIDE_FIELDS)
LABELS = {f: Text(zh, en) for f, zh, en in GUIDE_FIELDS}

MATERIAL_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "材料名称", "name"),
    ("legal_basis", "依据", "legal basis"),
    ("source", "来源渠道", "source"),
    ("paper_copies", "纸质份数", "paper copies"),
    ("paper_size", "纸张规格", "paper size"),
    ("form", "材料形式", "form"),
    ("necessity", "必要性", "necessity"),
    ("main", "主要材料", "main review material"),
    ("commitment_allowed", "可承诺免交", "replaceable by a commitment"),
    ("filling_notes", "填报须知", "filling notes"),
    ("acceptance_standard", "受理标准", "acceptance standard"),
    ("license_types", "可用电子证照", "licence types that satisfy it"),
)
MATERIAL_NAMES = tuple(f for f, _, _ in MATERIAL_FIELDS)
MATERIAL_LABELS = {f: Text(zh, en) for f, zh, en in MATERIAL_FIELDS}

REQUIRED = ("name", "statutory_limit", "promised_limit")
_CHOICES: dict[str, set[str]] = {
    "statutory_unit": set(c.LimitUnit.values),
    "promised_unit": set(c.LimitUnit.values),
    "case_type": set(c.CaseType.values),
    "scope": set(c.Scope.values),
    "result_type": set(c.ResultType.values),
}
_LIST_CHOICES: dict[str, set[str]] = {"modes": set(c.Mode.values), "service_objects": set(c.ServiceObject.values)}
_MATERIAL_CHOICES: dict[str, set[str]] = {
    "source": set(c.MaterialSource.values),
    "form": set(c.MaterialForm.values),
    "necessity": set(c.Necessity.values),
}
_BOOLS = {"commitment_allowed", "appointment", "logistics", "online_payment", "fee_required"}
_INTS = {"statutory_limit", "promised_limit", "online_depth", "visits", "verification_days", "tolerance_days"}
_LISTS = {
    "service_objects",
    "review_steps",
    "modes",
    "fees",
    "special_procedures",
    "joint_organs",
    "faq",
    "commitment_conditions",
}
_MATERIAL_BOOLS = {"main", "commitment_allowed"}
# Upper bounds a person would recognise: two months is the usual verification window, and Shenzhen's
# 容缺 rule allows at most 20 working days to supply (STANDARDS §6); allow some room above both.
# A licence type code (GB/T 36904): the defining organ's USCC (GB 32100 characters) and a 3-digit sequence.
USCC_PATTERN = rf"[{USCC_ALPHABET}]{{2}}\d{{6}}[{USCC_ALPHABET}]{{10}}"
LICENSE_TYPE_CODE = re.compile(rf"^{USCC_PATTERN}\d{{3}}$")
_MAXIMA = {"verification_days": 365, "tolerance_days": 60}

# Fields added after guides were first published, with their defaults. The canonical content leaves
# them out while they hold the default, so a guide that does not use them keeps the hash it was
# published with.
_ADDED_LATER = {
    "commitment_conditions": [],
    "commitment_text": "",
    "verification_days": None,
    "tolerance_days": None,
    "result_license_type": "",
}
_MATERIAL_ADDED_LATER = {"main": False, "commitment_allowed": False}


def _problem(field: str, code: str, zh: str, en: str) -> Problem:
    return Problem(field, code, Text(zh, en))


def validate_guide(data: dict[str, Any], materials: list[dict[str, Any]]) -> list[Problem]:
    """Every problem with a guide's content, each naming its field; empty when the guide is sound."""
    problems: list[Problem] = []
    unknown = set(data) - set(FIELD_NAMES)
    for field in sorted(unknown):
        problems.append(_problem(field, "unknown_field", f"未知的指南字段“{field}”", f"unknown guide field '{field}'"))
    for field in REQUIRED:
        if data.get(field) in (None, ""):
            problems.append(
                _problem(field, "required", f"{LABELS[field].zh}为必填项", f"{LABELS[field].en} is required")
            )
    for field in _INTS & set(data):
        value = data[field]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            problems.append(
                _problem(
                    field,
                    "not_a_count",
                    f"{LABELS[field].zh}应为非负整数",
                    f"{LABELS[field].en} must be a whole number of 0 or more",
                )
            )
    for field in _BOOLS & set(data):
        if not isinstance(data[field], bool):
            problems.append(
                _problem(
                    field, "not_a_boolean", f"{LABELS[field].zh}应为是或否", f"{LABELS[field].en} must be true or false"
                )
            )
    for field in _LISTS & set(data):
        if not isinstance(data[field], list):
            problems.append(
                _problem(field, "not_a_list", f"{LABELS[field].zh}应为列表", f"{LABELS[field].en} must be a list")
            )
    for field, allowed in _CHOICES.items():
        if field in data and data[field] not in allowed:
            problems.append(
                _problem(
                    field,
                    "invalid_choice",
                    f"{LABELS[field].zh}的值“{data[field]}”无效，可选：{'、'.join(sorted(allowed))}",
                    f"'{data[field]}' is not a valid {LABELS[field].en}; choose from {', '.join(sorted(allowed))}",
                )
            )
    for field, allowed in _LIST_CHOICES.items():
        values = data.get(field)
        if isinstance(values, list):
            for value in values:
                if value not in allowed:
                    problems.append(
                        _problem(
                            field,
                            "invalid_choice",
                            f"{LABELS[field].zh}含有无效值“{value}”，可选：{'、'.join(sorted(allowed))}",
                            f"'{value}' is not a valid {LABELS[field].en}; choose from {', '.join(sorted(allowed))}",
                        )
                    )
    problems += _check_limits(data)
    problems += _check_maxima(data)
    problems += _check_commitment(data, materials)
    problems += _check_license_type(data)
    problems += _check_form_schema(data.get("form_schema"))
    problems += _check_url(data.get("online_url"))
    problems += validate_materials(materials)
    return problems


def _check_limits(data: dict[str, Any]) -> list[Problem]:
    s, p = data.get("statutory_limit"), data.get("promised_limit")
    same_unit = data.get("statutory_unit", "working_days") == data.get("promised_unit", "working_days")
    if isinstance(s, int) and isinstance(p, int) and same_unit and p > s:
        return [
            _problem(
                "promised_limit",
                "promised_exceeds_statutory",
                f"承诺办结时限（{p}）不得超过法定办结时限（{s}）",
                f"the promised limit ({p}) may not exceed the statutory limit ({s})",
            )
        ]
    return []


def _check_maxima(data: dict[str, Any]) -> list[Problem]:
    problems = []
    for field, top in _MAXIMA.items():
        value = data.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= top:
            problems.append(
                _problem(
                    field,
                    "out_of_range",
                    f"{LABELS[field].zh}应在1至{top}之间",
                    f"{LABELS[field].en} must be between 1 and {top}",
                )
            )
    return problems


def _check_license_type(data: dict[str, Any]) -> list[Problem]:
    """A result licence type is a GB/T 36904 type code, and only a licence result has one."""
    code = data.get("result_license_type") or ""
    if not code:
        return []
    if not isinstance(code, str) or not LICENSE_TYPE_CODE.match(code):
        return [
            _problem(
                "result_license_type",
                "malformed",
                "结果电子证照类型代码应为定义机构统一社会信用代码加3位顺序号（21位）",
                "the result licence type is the defining organ's USCC followed by 3 digits (21 characters)",
            )
        ]
    if data.get("result_type", c.ResultType.APPROVAL) != c.ResultType.LICENSE:
        return [
            _problem(
                "result_license_type",
                "not_a_license_result",
                "只有办理结果类型为证照的事项才能指定结果电子证照类型",
                "only a guide whose result is a licence names a result licence type",
            )
        ]
    return []


def _check_commitment(data: dict[str, Any], materials: list[dict[str, Any]]) -> list[Problem]:
    """告知承诺 needs a text to sign and something to replace; without it nothing may be replaced."""
    conditions = data.get("commitment_conditions") or []
    replaceable = [m.get("name", "") for m in materials if m.get("commitment_allowed")]
    problems = []
    if isinstance(conditions, list) and any(not isinstance(x, str) or not x.strip() for x in conditions):
        problems.append(
            _problem(
                "commitment_conditions",
                "not_text",
                "可承诺的条件应为非空文字",
                "each condition a commitment may replace must be a non-empty text",
            )
        )
    if data.get("commitment_allowed"):
        if not (data.get("commitment_text") or "").strip():
            problems.append(
                _problem(
                    "commitment_text",
                    "required",
                    "实行告知承诺的指南须写明承诺内容及不实承诺的责任",
                    "a guide with commitment must state what is committed to and the liability for a false one",
                )
            )
        if not conditions and not replaceable:
            problems.append(
                _problem(
                    "commitment_allowed",
                    "nothing_replaceable",
                    "实行告知承诺的指南须列出可承诺的条件或可承诺免交的材料",
                    "a guide with commitment must name the conditions or materials a commitment replaces",
                )
            )
    elif conditions or replaceable:
        problems.append(
            _problem(
                "commitment_allowed",
                "commitment_not_allowed",
                "未实行告知承诺的指南不能列出可承诺的条件或材料",
                "a guide without commitment cannot name conditions or materials a commitment replaces",
            )
        )
    return problems


@functools.lru_cache(maxsize=1024)
def _schema_error(schema_json: str) -> str | None:
    """The meta-schema check of a form schema, cached: guides share form schemas, and the check is slow."""
    try:
        Draft202012Validator.check_schema(json.loads(schema_json))
    except SchemaError as exc:
        return exc.message
    return None


def _check_url(value: Any) -> list[Problem]:
    if not value:
        return []
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return [
            _problem(
                "online_url",
                "invalid_url",
                f"网上办理地址“{value}”不是有效的网址",
                f"online address '{value}' is not a valid http(s) URL",
            )
        ]
    return []


def _check_form_schema(schema: Any) -> list[Problem]:
    if schema in (None, {}):
        return []
    if not isinstance(schema, dict):
        return [
            _problem(
                "form_schema",
                "not_an_object",
                "申请表字段应为 JSON Schema 对象",
                "form fields must be a JSON Schema object",
            )
        ]
    error = _schema_error(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    if error is not None:
        return [
            _problem(
                "form_schema",
                "invalid_schema",
                f"申请表字段不是有效的 JSON Schema：{error}",
                f"form fields are not a valid JSON Schema: {error}",
            )
        ]
    return []


def validate_materials(materials: list[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, material in enumerate(materials):
        prefix = f"materials[{i}]"
        name = (material.get("name") or "").strip()
        if not name:
            problems.append(
                _problem(f"{prefix}.name", "required", "材料名称为必填项", "the material's name is required")
            )
        elif name in seen:
            problems.append(
                _problem(f"{prefix}.name", "duplicate", f"材料“{name}”重复", f"material '{name}' is listed twice")
            )
        seen.add(name)
        for field in set(material) - set(MATERIAL_NAMES):
            problems.append(
                _problem(
                    f"{prefix}.{field}",
                    "unknown_field",
                    f"未知的材料字段“{field}”",
                    f"unknown material field '{field}'",
                )
            )
        for field, allowed in _MATERIAL_CHOICES.items():
            if field in material and material[field] not in allowed:
                problems.append(
                    _problem(
                        f"{prefix}.{field}",
                        "invalid_choice",
                        f"{MATERIAL_LABELS[field].zh}的值“{material[field]}”无效，可选：{'、'.join(sorted(allowed))}",
                        f"'{material[field]}' is not a valid {MATERIAL_LABELS[field].en}; "
                        f"choose from {', '.join(sorted(allowed))}",
                    )
                )
        copies = material.get("paper_copies", 0)
        if not isinstance(copies, int) or isinstance(copies, bool) or copies < 0:
            problems.append(
                _problem(
                    f"{prefix}.paper_copies",
                    "not_a_count",
                    "纸质份数应为非负整数",
                    "paper copies must be a whole number of 0 or more",
                )
            )
        for field in _MATERIAL_BOOLS & set(material):
            if not isinstance(material[field], bool):
                problems.append(
                    _problem(
                        f"{prefix}.{field}",
                        "not_a_boolean",
                        f"{MATERIAL_LABELS[field].zh}应为是或否",
                        f"{MATERIAL_LABELS[field].en} must be true or false",
                    )
                )
        if material.get("main") is True and material.get("necessity") == c.Necessity.TOLERATED:
            problems.append(
                _problem(
                    f"{prefix}.necessity",
                    "main_not_tolerable",
                    f"主要材料“{name}”不能容缺受理",
                    f"'{name}' is a main review material and cannot be accepted as missing (容缺)",
                )
            )
        codes = material.get("license_types", [])
        if not isinstance(codes, list):
            problems.append(
                _problem(
                    f"{prefix}.license_types", "not_a_list", "可用电子证照应为列表", "licence types must be a list"
                )
            )
        elif any(not isinstance(code, str) or not LICENSE_TYPE_CODE.match(code) for code in codes):
            problems.append(
                _problem(
                    f"{prefix}.license_types",
                    "malformed",
                    "可用电子证照应为证照类型代码（定义机构统一社会信用代码加3位顺序号）",
                    "licence types are type codes (the defining organ's USCC followed by 3 digits)",
                )
            )
    return problems


def content(data: dict[str, Any], materials: list[dict[str, Any]]) -> dict[str, Any]:
    """The canonical content of a guide: every field, materials in order."""
    return {
        "guide": _without_later_defaults({f: data.get(f) for f in FIELD_NAMES}, _ADDED_LATER),
        "materials": [
            _without_later_defaults({f: m.get(f) for f in MATERIAL_NAMES}, _MATERIAL_ADDED_LATER) for m in materials
        ],
    }


def _without_later_defaults(values: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not (k in later and v in (later[k], None))}


def content_hash(data: dict[str, Any], materials: list[dict[str, Any]]) -> str:
    text = json.dumps(content(data, materials), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    """One difference between two guide versions."""

    field: str
    label: Text
    before: Any
    after: Any
    kind: str = "changed"  # changed | added | removed (materials)


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What changed from one guide content (see :func:`content`) to another, in reading order."""
    changes = [
        Change(f, LABELS[f], old["guide"].get(f), new["guide"].get(f))
        for f in FIELD_NAMES
        if old["guide"].get(f) != new["guide"].get(f)
    ]
    before = {m["name"]: m for m in old["materials"]}
    after = {m["name"]: m for m in new["materials"]}
    for name in before.keys() - after.keys():
        changes.append(
            Change(f"materials.{name}", Text(f"材料：{name}", f"material: {name}"), before[name], None, "removed")
        )
    for name in after.keys() - before.keys():
        changes.append(
            Change(f"materials.{name}", Text(f"材料：{name}", f"material: {name}"), None, after[name], "added")
        )
    for name in sorted(before.keys() & after.keys()):
        for f in MATERIAL_NAMES:
            if before[name].get(f) != after[name].get(f):
                label = Text(f"材料：{name} · {MATERIAL_LABELS[f].zh}", f"material: {name} · {MATERIAL_LABELS[f].en}")
                changes.append(Change(f"materials.{name}.{f}", label, before[name].get(f), after[name].get(f)))
    return changes
