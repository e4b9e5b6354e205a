"""Cross-region agreements (通办协议): may a window in region A receive item X of region B, and how?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from tongban.catalog.models import Agreement, ItemImplementation, Region, ServiceItem


def item_ids_with_descendants(item_ids: list[int]) -> list[int]:
    """The items and every sub-item and handling item below them."""
    found = set(item_ids)
    frontier = set(item_ids)
    while frontier:
        frontier = set(ServiceItem.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return sorted(found)


def agreements_for_receiving(region_code: str, on: date) -> list[Agreement]:
    """Agreements in force on ``on`` with a member region that contains ``region_code``."""
    agreements = Agreement.objects.in_force(on).prefetch_related("regions", "items")
    return [a for a in agreements if any(r.contains(region_code) for r in a.regions.all())]


@dataclass(frozen=True)
class Receivability:
    """The answer to 'may a window in A receive X of B': the modes, and the agreements that allow them."""

    modes: tuple[str, ...]
    agreements: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return bool(self.modes)


def receivable(
    receiving_region: Region, item: ServiceItem, handling_region: Region, on: date | None = None
) -> Receivability:
    """Modes in which a window in ``receiving_region`` may receive ``item`` handled by ``handling_region``.

    A window always receives its own region's items; across regions an agreement in force must name
    both regions (a member covers the divisions inside it) and the item or one of its ancestors.
    """
    on = on or timezone.localdate()
    lineage_ids = {item.pk, *(p.pk for p in item.lineage())}
    modes: set[str] = set()
    names: list[str] = []
    for agreement in agreements_for_receiving(receiving_region.code, on):
        members = agreement.regions.all()
        covers_handling = any(
            r.contains(handling_region.code) and not r.contains(receiving_region.code) for r in members
        )
        if not covers_handling:
            continue
        if not any(i.pk in lineage_ids for i in agreement.items.all()):
            continue
        modes.update(agreement.modes)
        names.append(agreement.name)
    return Receivability(tuple(sorted(modes)), tuple(names))


def receivable_implementations(receiving_region: Region, on: date | None = None):  # type: ignore[no-untyped-def]
    """Implementations of other regions that a window here may receive, as a queryset."""
    from django.db.models import Q

    on = on or timezone.localdate()
    condition = Q(pk__in=[])
    for agreement in agreements_for_receiving(receiving_region.code, on):
        others = [r for r in agreement.regions.all() if not r.contains(receiving_region.code)]
        item_ids = item_ids_with_descendants([i.pk for i in agreement.items.all()])
        if not others or not item_ids:
            continue
        in_regions = Q(pk__in=[])
        for r in others:
            in_regions |= Q(region__code__startswith=r.code_prefix)
        condition |= in_regions & Q(item_id__in=item_ids)
    return ItemImplementation.objects.filter(condition)
