"""How catalog values read to a citizen: choice codes become their labels, lists become lists.

The guide and diff pages show values that are stored as codes ("window", "working_days") or as
JSON (fees, FAQ, form fields). One place turns each into text, so the guide page, the diff page
and the comparison page never disagree about what a value means.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from tongban.catalog import choices as c
from tongban.catalog import guide as guide_rules

CHOICES: dict[str, type[models.TextChoices]] = {
    "statutory_unit": c.LimitUnit,
    "promised_unit": c.LimitUnit,
    "case_type": c.CaseType,
    "scope": c.Scope,
    "result_type": c.ResultType,
    "source": c.MaterialSource,
    "form": c.MaterialForm,
    "necessity": c.Necessity,
    "modes": c.Mode,
    "service_objects": c.ServiceObject,
    "item_type": c.ItemType,
}

# Keys inside the JSON lists of a guide (fees, special procedures, FAQ), in reading order.
PART_LABELS: dict[str, Any] = {
    "name": gettext_lazy("item"),
    "standard": gettext_lazy("standard"),
    "basis": gettext_lazy("basis"),
    "reducible": gettext_lazy("may be reduced or waived"),
    "reduction_basis": gettext_lazy("basis for reduction"),
    "kind": gettext_lazy("kind"),
    "limit": gettext_lazy("time limit"),
    "note": gettext_lazy("note"),
    "question": gettext_lazy("question"),
    "answer": gettext_lazy("answer"),
}

# 网上办理深度: the model stores 0-4; a number alone means nothing to an applicant.
ONLINE_DEPTH: dict[int, Any] = {
    0: gettext_lazy("not available online"),
    1: gettext_lazy("guide and forms online"),
    2: gettext_lazy("application checked online in advance"),
    3: gettext_lazy("applied for online, result collected in person"),
    4: gettext_lazy("whole process online"),
}


def unit(code: Any, count: Any) -> str:
    """The unit of a time limit, agreeing with its number: "1 working day", "3 working days", "3 个工作日"."""
    n = count if isinstance(count, int) else 2
    if code == c.LimitUnit.WORKING_DAYS:
        return ngettext("working day", "working days", n)
    if code == c.LimitUnit.CALENDAR_DAYS:
        return ngettext("calendar day", "calendar days", n)
    if code == c.LimitUnit.HOURS:
        return ngettext("hour", "hours", n)
    return label("statutory_unit", code)


def label(field: str, value: Any) -> str:
    """The label of one choice value; an unknown value is shown as stored rather than hidden."""
    choices = CHOICES.get(field)
    if choices is None:
        return str(value)
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def labels(field: str, values: Any) -> list[str]:
    return [label(field, v) for v in values or []]


def yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def online_depth(value: Any) -> str:
    return str(ONLINE_DEPTH.get(value, value))


def form_fields(schema: Any) -> list[dict[str, Any]]:
    """The fields of a guide's JSON Schema form, as {name, title, type, description, required, options}."""
    if not isinstance(schema, dict):
        return []
    required = set(schema.get("required") or [])
    fields = []
    for name, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        fields.append(
            {
                "name": name,
                "title": spec.get("title") or name,
                "type": spec.get("format") or spec.get("type") or "",
                "description": spec.get("description") or "",
                "required": name in required,
                "options": [str(o) for o in spec.get("enum") or []],
            }
        )
    return fields


def _none() -> SafeString:
    return format_html('<span class="none">{}</span>', _("none"))


def _part(value: Any) -> str:
    return yes_no(value) if isinstance(value, bool) else str(value)


def _record(record: Any) -> SafeString:
    """One entry of fees / special procedures / FAQ as 'label: value' pairs."""
    if not isinstance(record, dict):
        return format_html("{}", record)
    # Translators: one part of a fee, special procedure or FAQ entry, e.g. "standard: 10 yuan".
    pair = _("{label}: {value}")
    parts = [
        format_html(pair, label=PART_LABELS.get(k, k), value=_part(v)) for k, v in record.items() if v not in (None, "")
    ]
    # Translators: separator between the parts of one entry (Chinese uses a full-width semicolon).
    return format_html_join(_("; "), "{}", ((p,) for p in parts))


def material(data: dict[str, Any]) -> SafeString:
    """A whole material (added or removed in a diff) as a definition list."""
    rows = [
        (str(guide_rules.MATERIAL_LABELS[f]), render(f, data.get(f)))
        for f in guide_rules.MATERIAL_NAMES
        if data.get(f) not in (None, "", [])
    ]
    return format_html('<dl class="pairs">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


def render(field: str, value: Any) -> SafeString:
    """HTML for one guide or material value (field names as in tongban.catalog.guide)."""
    if value is None or value == "" or value == [] or value == {}:
        return _none()
    if isinstance(value, bool):
        return format_html("{}", yes_no(value))
    if field == "online_depth":
        return format_html("{} ({})", value, online_depth(value))
    if field == "form_schema":
        items = [
            (f["title"], pgettext("form field", "required") if f["required"] else pgettext("form field", "optional"))
            for f in form_fields(value)
        ]
        return format_html('<ul class="plain">{}</ul>', format_html_join("", "<li>{} ({})</li>", items))
    if field in CHOICES:
        if isinstance(value, list):
            return format_html(
                '<ul class="plain">{}</ul>', format_html_join("", "<li>{}</li>", ((v,) for v in labels(field, value)))
            )
        return format_html("{}", label(field, value))
    if isinstance(value, list):
        return format_html(
            '<ul class="plain">{}</ul>', format_html_join("", "<li>{}</li>", ((_record(v),) for v in value))
        )
    if field == "material" and isinstance(value, dict):
        return material(value)
    if isinstance(value, dict):
        return _record(value)
    if isinstance(value, str) and "\n" in value:
        # linebreaks escapes its input (autoescape=True) before adding <p> and <br>.
        return mark_safe(linebreaks(value, autoescape=True))
    return format_html("{}", value)
