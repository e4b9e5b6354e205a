"""Template helpers for the public pages: choice labels, language tags, rendered values."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

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
def yes_no(value: Any) -> str:
    return display.yes_no(value)


@register.simple_tag
def show(field: str, value: Any) -> SafeString:
    """{% show "fees" guide.fees %}: a guide or material value as a citizen reads it."""
    return display.render(field, value)
