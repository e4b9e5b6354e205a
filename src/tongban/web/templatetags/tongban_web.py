"""Template helpers for the public pages: choice labels, language tags, rendered values."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from tongban.web import context, display

register = template.Library()


@register.filter
def bcp47(language: str) -> str:
    """{{ "zh-hans"|bcp47 }} → zh-Hans, for lang attributes."""
    return context.html_lang(language)


@register.filter
def choice_labels(values: Any, field: str) -> list[str]:
    """{{ guide.modes|choice_labels:"modes" }}: the labels of a list of choice codes."""
    return display.labels(field, values)


@register.filter
def listing(values: Any) -> str:
    """{{ modes|listing }}: a list as a reader writes it, 窗口办理、全程网办 or "at the window, online"."""
    # Translators: separator between the items of a list; Chinese uses the enumeration comma 、.
    return gettext(", ").join(str(v) for v in values or [])


@register.filter
def license_type_names(codes: Any) -> list[str]:
    """{{ m.license_types|license_type_names|listing }}: the names of licence types, their codes where this
    node does not know the type."""
    from tongban.catalog.models import LicenseType

    codes = list(codes or [])
    names = dict(LicenseType.objects.filter(code__in=codes).values_list("code", "name"))
    return [names.get(code, code) for code in codes]


@register.filter
def unit_for(code: str, count: Any) -> str:
    """{{ guide.promised_unit|unit_for:guide.promised_limit }} → "working days" (or "working day" for 1)."""
    return display.unit(code, count)


@register.filter
def yes_no(value: Any) -> str:
    return display.yes_no(value)


@register.simple_tag
def show(field: str, value: Any) -> SafeString:
    """{% show "fees" guide.fees %}: a guide or material value as a citizen reads it."""
    return display.render(field, value)
