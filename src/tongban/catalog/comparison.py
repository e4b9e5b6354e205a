"""四级四同 / 同标准: one basic item's implementations side by side, and where they differ."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tongban.catalog import guide as guide_rules
from tongban.catalog.agreements import item_ids_with_descendants
from tongban.catalog.models import ItemImplementation, ServiceItem
from tongban.core.messages import Text

# The elements compared, beyond materials: what an applicant feels when the regions differ.
COMPARED_FIELDS = (
    "conditions",
    "statutory_limit",
    "statutory_unit",
    "promised_limit",
    "promised_unit",
    "case_type",
    "modes",
    "visits",
    "fee_required",
    "fees",
    "result_name",
    "commitment_allowed",
)


@dataclass
class Column:
    implementation: ItemImplementation  # another node's is an unsaved copy of what it published
    values: dict[str, Any]
    materials: list[str]
    node: str = ""  # the node that published it, when not this one (云联盟)

    @property
    def key(self) -> str:
        return self.implementation.implementation_code


@dataclass
class Difference:
    element: str
    label: Text
    values: dict[str, Any]  # implementation code → value (materials: present or not)


@dataclass
class Comparison:
    item: ServiceItem
    columns: list[Column] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    all_materials: list[str] = field(default_factory=list)

    unanswered: list[str] = field(default_factory=list)  # nodes asked that did not answer

    @property
    def material_counts(self) -> dict[str, int]:
        return {col.key: len(col.materials) for col in self.columns}


def compare(item: ServiceItem, elsewhere: list[Column] | None = None) -> Comparison:
    """Every published implementation of ``item`` (and the items below it), with the differences; with
    ``elsewhere``, also the implementations other nodes published (those this node does not hold)."""
    ids = item_ids_with_descendants([item.pk])
    impls = (
        ItemImplementation.objects.filter(item_id__in=ids, current_version__isnull=False)
        .select_related("region", "department", "item", "current_version")
        .prefetch_related("current_version__materials")
        .order_by("region_id", "item_id")
    )
    result = Comparison(item=item)
    for impl in impls:
        guide = impl.current_version
        result.columns.append(
            Column(impl, {f: getattr(guide, f) for f in COMPARED_FIELDS}, [m.name for m in guide.materials.all()])
        )
    held = {col.key for col in result.columns}
    result.columns += [col for col in elsewhere or [] if col.key not in held]
    if len(result.columns) < 2:
        result.all_materials = [m for col in result.columns for m in col.materials]
        return result
    names: dict[str, None] = {}
    for col in result.columns:
        names.update(dict.fromkeys(col.materials))
    result.all_materials = list(names)
    for name in names:
        present = {col.key: name in col.materials for col in result.columns}
        if len(set(present.values())) > 1:
            result.differences.append(
                Difference(f"material:{name}", Text(f"材料：{name}", f"material: {name}"), present)
            )
    for f in COMPARED_FIELDS:
        values = {col.key: col.values[f] for col in result.columns}
        if len({repr(v) for v in values.values()}) > 1:
            result.differences.append(Difference(f, guide_rules.LABELS[f], values))
    return result
