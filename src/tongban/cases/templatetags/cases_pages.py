"""Template helpers of the case pages: a labelled input with its errors beside it, the case menu, badges."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongban.cases.choices import WarningLevel
from tongban.cases.pages.common import action_label, is_staff
from tongban.identity.actor import actor_for
from tongban.identity.choices import Role
from tongban.identity.policy import may

register = template.Library()


def _get(source: Any, name: str, default: Any = "") -> Any:
    if source is None:
        return default
    getter = getattr(source, "get", None)
    if getter is None:
        return default
    value = getter(name, default)
    return default if value is None else value


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """{{ errors.fields|get:name }}: a dict entry by a key held in a variable."""
    return _get(mapping, str(key), None)


@register.filter
def label_of(action: str) -> str:
    return action_label(action)


@register.simple_tag
def field(
    errors: Any,
    values: Any,
    name: str,
    label: Any,
    *,
    kind: str = "text",
    required: bool = False,
    hint: Any = "",
    choices: Any = None,
    initial: Any = "",
    id_prefix: str = "",
    autocomplete: str = "",
    maxlength: int | None = None,
) -> SafeString:
    """A labelled input whose errors stand between label and input, tied to it for screen readers.

    ``errors`` is an Errors (or None), ``values`` what the form sent last time (or None); ``kind`` is
    text, textarea, number, select or radios.
    """
    ident = f"{id_prefix}-{name}" if id_prefix else name
    messages = list(_get(getattr(errors, "fields", None), name, []) or [])
    value = _get(values, name, "") or initial
    described = []
    hint_html = SafeString("")
    if hint:
        hint_html = format_html('<p class="hint" id="{}-hint">{}</p>', ident, hint)
        described.append(f"{ident}-hint")
    error_html = SafeString("")
    if messages:
        error_html = format_html(
            '<ul class="errors" id="{}-error">{}</ul>',
            ident,
            format_html_join("", "<li>{}</li>", ((m,) for m in messages)),
        )
        described.append(f"{ident}-error")
    attrs = format_html(
        ' id="{}" name="{}"{}{}{}{}',
        ident,
        name,
        format_html(' aria-describedby="{}"', " ".join(described)) if described else "",
        mark_safe(' aria-invalid="true"') if messages else "",
        mark_safe(' aria-required="true"') if required else "",
        format_html(' autocomplete="{}"', autocomplete) if autocomplete else "",
    )
    if maxlength:
        attrs = format_html('{} maxlength="{}"', attrs, maxlength)
    marker = format_html(' <span class="required">{}</span>', pgettext("form field", "required")) if required else ""
    if kind == "radios":
        options = format_html_join(
            "",
            '<div class="choice"><input type="radio" id="{0}-{1}" name="{2}" value="{1}"{3}>'
            '<label for="{0}-{1}">{4}</label></div>',
            (
                (ident, v, name, mark_safe(" checked") if str(v) == str(value) else "", text)
                for v, text in choices or []
            ),
        )
        return format_html(
            '<fieldset class="field" id="{}"{}><legend>{}{}</legend>{}{}{}</fieldset>',
            ident,
            format_html(' aria-describedby="{}"', " ".join(described)) if described else "",
            label,
            marker,
            hint_html,
            error_html,
            options,
        )
    if kind == "textarea":
        control = format_html('<textarea{} rows="3">{}</textarea>', attrs, value)
    elif kind == "select":
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((v, mark_safe(" selected") if str(v) == str(value) else "", text) for v, text in choices or []),
        )
        control = format_html("<select{}>{}</select>", attrs, options)
    else:
        input_type = "number" if kind == "number" else "text"
        control = format_html('<input type="{}"{} value="{}">', input_type, attrs, value)
    return format_html(
        '<div class="field"><label for="{}">{}{}</label>{}{}{}</div>',
        ident,
        label,
        marker,
        hint_html,
        error_html,
        control,
    )


@register.inclusion_tag("cases/_warning.html")
def warning(level: str, left: Any = None) -> dict[str, Any]:
    """The deadline colour, in words and a mark too: never colour alone."""
    marks = {WarningLevel.RED: "!!", WarningLevel.YELLOW: "!"}
    try:
        text = str(WarningLevel(level).label)
    except ValueError:
        text = ""
    return {"level": level or WarningLevel.NONE, "mark": marks.get(level, ""), "text": text, "left": left}


@register.inclusion_tag("cases/_menu.html", takes_context=True)
def case_menu(context: Any) -> dict[str, Any]:
    """The small 办件 menu: the pages this person may use, in the role they act in now."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"links": []}
    actor = actor_for(request)
    current = getattr(getattr(request, "resolver_match", None), "url_name", "")
    links = [("mine", reverse("cases:mine"), _("My cases"))]
    if may(actor, "case.intake"):
        links.append(("intake", reverse("cases:intake"), _("Window intake")))
    if is_staff(actor):
        links.append(("queue", reverse("cases:queue"), _("My queue")))
    if may(actor, "case.verify"):
        links.append(("verifications", reverse("cases:verifications"), _("Post-verification")))
    if may(actor, "case.supervise"):
        links.append(("supervision", reverse("cases:supervision"), _("Supervision")))
    if may(actor, "federation.operate"):  # the node operator: the exchange with other nodes, dead letters
        links.append(("log", reverse("federation:log"), _("Message log")))
    role = ""
    if actor.assignment is not None:
        role = str(Role(actor.assignment.role).label)
    return {
        "links": [(url, text, name == current) for name, url, text in links],
        "role": role,
        "roles_url": reverse("identity:roles") if actor.assignments else "",
    }
