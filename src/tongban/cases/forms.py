"""The application form of a draft, built from the guide version's JSON Schema (``form_schema``).

Simple properties become inputs: strings (text, a date for ``format: date``, a text area when long),
numbers and integers, booleans (a checkbox) and enums (a list to choose from). Nothing is required
here: a draft may be saved half filled in; the submit command checks the whole form against the schema
and its refusal is shown beside the field it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

PREFIX = "f"
LONG_TEXT = 200


class DraftForm(forms.Form):
    def __init__(self, schema: Any, *args: Any, form_data: dict[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", PREFIX)
        kwargs.setdefault("label_suffix", "")
        schema = schema if isinstance(schema, dict) else {}
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        self.required_names = set(schema.get("required") or [])
        self.specs: dict[str, dict[str, Any]] = {}
        initial = {}
        for name, spec in (properties or {}).items():
            self.specs[str(name)] = spec if isinstance(spec, dict) else {}
        for name, spec in self.specs.items():
            if form_data and name in form_data:
                initial[name] = _initial(spec, form_data[name])
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for name, spec in self.specs.items():
            self.fields[name] = _field(spec, name, name in self.required_names)

    def form_data(self, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """The cleaned values as JSON for the case; keys the schema does not know are kept as they were."""
        data = {k: v for k, v in (previous or {}).items() if k not in self.specs}
        for name, spec in self.specs.items():
            value = self.cleaned_data.get(name)
            if "enum" in spec and value not in (None, ""):
                value = next((o for o in spec["enum"] if str(o) == value), value)
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer() and spec.get("type") == "integer":
                value = int(value)
            if value is None or value == "":
                continue
            data[name] = value
        return data


def _initial(spec: dict[str, Any], value: Any) -> Any:
    if "enum" in spec:
        return str(value)
    if spec.get("format") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _field(spec: dict[str, Any], name: str, required: bool) -> forms.Field:
    label = str(spec.get("title") or name)
    common: dict[str, Any] = {"label": label, "required": False, "help_text": str(spec.get("description") or "")}
    kind = spec.get("type")
    if "enum" in spec and isinstance(spec["enum"], list):
        choices = [("", _("(choose)")), *((str(o), str(o)) for o in spec["enum"])]
        field: forms.Field = forms.ChoiceField(choices=choices, **common)
    elif kind == "boolean":
        field = forms.BooleanField(**common)
    elif kind == "integer":
        field = forms.IntegerField(min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common)
    elif kind == "number":
        field = forms.FloatField(min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common)
    elif spec.get("format") == "date":
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    else:
        max_length = spec.get("maxLength") if isinstance(spec.get("maxLength"), int) else None
        long = spec.get("format") == "textarea" or (max_length or 0) > LONG_TEXT
        widget = forms.Textarea(attrs={"rows": 4}) if long else forms.TextInput()
        field = forms.CharField(max_length=max_length, widget=widget, **common)
    field.schema_required = required  # type: ignore[attr-defined]
    if required:
        field.widget.attrs["aria-required"] = "true"
    return field
