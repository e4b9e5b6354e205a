"""One timeline for a bundle application (一件事办件): its own events and every item case's, in time order.

The applicant follows the bundle, not four cases: each entry says which item it concerns (blank for the
application as a whole), who acted and what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tongban.bundles.models import BundleCase
from tongban.cases.models import CaseEvent


@dataclass(frozen=True)
class Entry:
    at: datetime
    item: str  # the item's key within the bundle; blank for the application itself
    item_name: str
    action: str
    actor: str
    status: str  # the item case's status after the event; blank for the application's own events
    case: str  # the item case's number, if any
    payload: dict[str, Any]


def timeline(bundle_case: BundleCase) -> list[Entry]:
    names = {
        row.key: row.implementation.item.name for row in bundle_case.bundle.items.select_related("implementation__item")
    }
    own = [
        Entry(e.at, e.item, names.get(e.item, ""), e.action, e.actor, "", e.payload.get("case", ""), e.payload)
        for e in bundle_case.events.all()
    ]
    items = [
        Entry(
            e.at,
            e.case.bundle_key,
            names.get(e.case.bundle_key, e.case.item_name),
            e.action,
            e.actor,
            e.status_after,
            e.case.number,
            e.payload,
        )
        for e in CaseEvent.objects.filter(case__bundle_case=bundle_case).select_related("case")
    ]
    # The application's own entry first when both happen in one instant.
    return sorted(own + items, key=lambda e: (e.at, bool(e.status)))
