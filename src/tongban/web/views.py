"""Public pages of the catalog: search, a guide, the changes between two versions, regions compared.

These views only read. Every write to the catalog goes through tongban.catalog.services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tongban.catalog import choices as c
from tongban.catalog import comparison as comparison_rules
from tongban.catalog import guide as guide_rules
from tongban.catalog import search as catalog_search
from tongban.catalog import sharing as catalog_sharing
from tongban.catalog.models import GuideVersion, ItemImplementation, ServiceItem
from tongban.catalog.services import guide_content
from tongban.web import display
from tongban.web.context import LARGE_TEXT_COOKIE
from tongban.web.forms import SearchForm

PAGE_SIZE = 10


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    """The friendly 404 page, saying what was not found (Django's handler uses the same template)."""
    return render(request, "404.html", {"message": message}, status=404)


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _implementations(ids: list[int]) -> list[ItemImplementation]:
    """The implementations of a result page, in the search's order, with what the list shows."""
    # region__parent__parent: Region.full_name walks up to the province.
    rows = ItemImplementation.objects.filter(pk__in=ids).select_related(
        "item", "department", "current_version", "region__parent__parent"
    )
    by_id = {impl.pk: impl for impl in rows}
    return [by_id[i] for i in ids if i in by_id]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    form.is_valid()  # fills cleaned_data with the valid fields; errors are shown beside the others
    number = _page_number(request.GET.get("page"))
    found = catalog_search.search(form.query(), form.filters(), limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    context = {
        "form": form,
        "results": _implementations(found.ids),
        "total": found.total,
        "page": number,
        "pages": pages,
        "first_index": (number - 1) * PAGE_SIZE + 1,
        "searched": bool(form.query()) or form.filtered,
    }
    # htmx asks for the results only; a history restore (back button after a miss) wants the whole page.
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")
    response = render(request, "web/_results_htmx.html" if partial else "web/home.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _implementation(code: str) -> ItemImplementation | None:
    return (
        ItemImplementation.objects.select_related("item", "department", "region__parent__parent", "current_version")
        .filter(implementation_code=code.strip().upper())
        .first()
    )


def _public_versions(impl: ItemImplementation) -> list[GuideVersion]:
    """Published and retired versions, newest first; a draft is not public."""
    return list(impl.versions.exclude(status=c.GuideStatus.DRAFT).order_by("-number"))


@require_safe
def guide(request: HttpRequest, implementation_code: str) -> HttpResponse:
    impl = _implementation(implementation_code)
    versions = _public_versions(impl) if impl else []
    if impl is None or not versions:
        return not_found(
            request, _("There is no published guide with the code %(code)s.") % {"code": implementation_code}
        )
    current = impl.current_version
    return render(
        request,
        "web/guide.html",
        {
            "impl": impl,
            "guide": current,
            "materials": list(current.materials.all()) if current else [],
            "form_fields": display.form_fields(current.form_schema) if current else [],
            "modes": display.labels("modes", current.modes) if current else [],
            "service_objects": display.labels("service_objects", current.service_objects) if current else [],
            "online_depth": display.online_depth(current.online_depth) if current else "",
            # Each version beside the one before it, for the "changes from" link.
            "versions": list(zip(versions, [*versions[1:], None], strict=True)),
            "basic_code": impl.item.national_code,
        },
    )


@dataclass
class ChangeRow:
    """One change of a diff, ready to read: its label and both values as HTML."""

    label: str
    kind: str  # changed | added | removed
    before: SafeString
    after: SafeString


# A time limit means nothing without its unit, which the guide keeps in a field of its own.
LIMIT_UNITS = {"statutory_limit": "statutory_unit", "promised_limit": "promised_unit"}


def _with_unit(field: str, value: Any, guide: dict[str, Any]) -> SafeString:
    if field in LIMIT_UNITS and value is not None:
        return format_html("{} {}", value, display.unit(guide.get(LIMIT_UNITS[field]), value))
    return display.render(field, value)


def _change_rows(
    changes: list[guide_rules.Change], old: dict[str, Any], new: dict[str, Any]
) -> dict[str, list[ChangeRow]]:
    groups: dict[str, list[ChangeRow]] = {"guide": [], "added": [], "removed": [], "materials": []}
    for change in changes:
        # Change.field is "conditions", "materials.<name>" (added/removed) or "materials.<name>.<field>";
        # a material's name may itself contain dots, so only the last part of a field change is a field.
        if not change.field.startswith("materials."):
            group, field = "guide", change.field
        elif change.kind in ("added", "removed"):
            group, field = change.kind, "material"
        else:
            group, field = "materials", change.field.rsplit(".", 1)[-1]
        groups[group].append(
            ChangeRow(
                str(change.label),
                change.kind,
                _with_unit(field, change.before, old["guide"]),
                _with_unit(field, change.after, new["guide"]),
            )
        )
    return groups


def _version_number(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    return int(value)  # ValueError is handled by the caller, which shows which parameter was wrong


@require_safe
def guide_diff(request: HttpRequest, implementation_code: str) -> HttpResponse:
    impl = _implementation(implementation_code)
    versions = _public_versions(impl) if impl else []
    if impl is None or not versions:
        return not_found(
            request, _("There is no published guide with the code %(code)s.") % {"code": implementation_code}
        )
    by_number = {v.number: v for v in versions}
    context: dict[str, Any] = {"impl": impl, "versions": versions, "errors": []}
    numbers: dict[str, int] = {}
    for param in ("from", "to"):
        try:
            value = _version_number(request.GET.get(param))
        except ValueError:
            context["errors"].append(_("“%(param)s” must be a version number, such as 1 or 2.") % {"param": param})
            continue
        if value is not None:
            numbers[param] = value
    if context["errors"]:
        return render(request, "web/diff.html", context, status=400)
    # Without parameters: the version in force against the one before it.
    newest = impl.current_version.number if impl.current_version else versions[0].number
    to_number = numbers.get("to", newest)
    earlier = [n for n in by_number if n < to_number]
    from_number = numbers.get("from", max(earlier) if earlier else to_number)
    for number in (from_number, to_number):
        if number not in by_number:
            return not_found(
                request, _("Version %(number)s of this guide does not exist or is not published.") % {"number": number}
            )
    old, new = by_number[from_number], by_number[to_number]
    old_content, new_content = guide_content(old), guide_content(new)
    changes = guide_rules.diff(old_content, new_content)
    context.update(
        {"old": old, "new": new, "count": len(changes), "groups": _change_rows(changes, old_content, new_content)}
    )
    return render(request, "web/diff.html", context)


@dataclass
class CompareRow:
    label: str
    cells: list[SafeString]
    differs: bool = False


def _comparison_rows(result: comparison_rules.Comparison) -> dict[str, Any]:
    columns = result.columns
    differing = {d.element for d in result.differences}
    # A mark and a word: the mark is quick to scan, the word does not rely on colour or shape alone.
    asked = format_html('<span class="asked"><span aria-hidden="true">✓</span> {}</span>', _("asked"))
    not_asked = format_html('<span class="not-asked"><span aria-hidden="true">✗</span> {}</span>', _("not asked"))
    materials = [
        CompareRow(
            name, [asked if name in col.materials else not_asked for col in columns], f"material:{name}" in differing
        )
        for name in result.all_materials
    ]
    # Units are shown with their limits; a unit that differs still has its own row among the differences.
    fields = [
        CompareRow(
            str(guide_rules.LABELS[f]), [_with_unit(f, col.values[f], col.values) for col in columns], f in differing
        )
        for f in comparison_rules.COMPARED_FIELDS
        if f not in LIMIT_UNITS.values()
    ]
    differences = []
    for d in result.differences:
        if d.element.startswith("material:"):
            cells = [asked if d.values[col.key] else not_asked for col in columns]
        else:
            cells = [_with_unit(d.element, d.values[col.key], col.values) for col in columns]
        differences.append(CompareRow(str(d.label), cells, True))
    return {"materials": materials, "fields": fields, "differences": differences}


@require_safe
def compare(request: HttpRequest, basic_code: str) -> HttpResponse:
    item = ServiceItem.objects.filter(basic_code=basic_code.strip().upper()).first()
    if item is None:
        return not_found(request, _("There is no service item with the basic code %(code)s.") % {"code": basic_code})
    across = request.GET.get("across") == "1"
    elsewhere, unanswered = catalog_sharing.elsewhere(item) if across else ([], [])
    result = comparison_rules.compare(item, elsewhere)
    result.unanswered = unanswered
    context = {"item": item, "comparison": result, "across": across, **_comparison_rows(result)}
    return render(request, "web/compare.html", context)


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Large-text mode for older people: a cookie the pages read, so it works without JavaScript."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("web:home")
    response = HttpResponseRedirect(target)
    if request.POST.get("large") == "1":
        response.set_cookie(
            LARGE_TEXT_COOKIE,
            "1",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    return response
