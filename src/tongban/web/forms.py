"""The search form of the home page: a query and the filters of tongban.catalog.search.Filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tongban.catalog import choices as c
from tongban.catalog.models import Agreement, ItemImplementation, Region
from tongban.catalog.search import Filters


def region_choices(extra: set[str] | None = None) -> list[tuple[str, str]]:
    """Regions worth offering: those with implementations or agreements, their ancestors, this node's.

    The national list has 3,400 divisions; a citizen picks from the few that publish guides here.
    ``extra`` adds codes given in the address (a link may name any division by its code).
    """
    codes = set(ItemImplementation.objects.values_list("region_id", flat=True).distinct())
    codes |= set(Agreement.regions.through.objects.values_list("region_id", flat=True).distinct())
    codes |= {settings.TONGBAN_REGION, *(extra or set())}
    found: dict[str, Region] = {}
    for region in Region.objects.filter(code__in=codes).select_related("parent__parent"):
        for r in [*region.ancestors(), region]:
            found[r.code] = r
    return [(code, f"{found[code].full_name} {code}") for code in sorted(found)]


def _choices(blank: str, options: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", blank), *options]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("What do you need to do?"),
        required=False,
        max_length=100,
        help_text=_("Words from the service's name, e.g. 公积金提取, 社保卡 or 营业执照."),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        error_messages={"invalid_choice": _("There is no region with the code %(value)s.")},
    )
    item_type = forms.ChoiceField(label=_("Type of service"), required=False)
    mode = forms.ChoiceField(label=_("How to apply"), required=False)
    service_object = forms.ChoiceField(label=_("For"), required=False)
    receivable_in = forms.ChoiceField(
        label=_("Can be received at a window in"),
        required=False,
        help_text=_(
            "Services of other regions that a window in this region accepts under a cross-region agreement (跨省通办)."
        ),
        error_messages={"invalid_choice": _("There is no region with the code %(value)s.")},
    )

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(data)
        given = {str(self.data.get(f, "")).strip() for f in ("region", "receivable_in")} if self.is_bound else set()
        regions = region_choices({code for code in given if code})
        self.fields["region"].choices = _choices(_("All regions"), regions)
        self.fields["receivable_in"].choices = _choices(_("Any window"), regions)
        self.fields["item_type"].choices = _choices(_("Any type"), c.ItemType.choices)
        self.fields["mode"].choices = _choices(_("Any way"), c.Mode.choices)
        self.fields["service_object"].choices = _choices(_("Anyone"), c.ServiceObject.choices)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_bound else ""

    def filters(self) -> Filters:
        """The valid filters; a field with an error is left out (its error is shown beside it)."""
        data = self.cleaned_data if self.is_bound else {}
        return Filters(
            region=data.get("region") or None,
            item_type=data.get("item_type") or None,
            mode=data.get("mode") or None,
            service_object=data.get("service_object") or None,
            receivable_in=data.get("receivable_in") or None,
        )

    @property
    def filtered(self) -> bool:
        """Whether any filter beyond the query is set: the page opens the filter panel then."""
        f = self.filters()
        return any([f.region, f.item_type, f.mode, f.service_object, f.receivable_in])
