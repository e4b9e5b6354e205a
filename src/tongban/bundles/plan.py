"""Everything a bundle's definition implies, computed from the items' guides in force.

``guide_of`` turns a published guide version into the guide dict :mod:`tongban.bundles.merge` works on;
``BundlePlan`` gathers the levels, merged form, merged materials and savings for a bundle (saved or
about to be). Nothing here is stored: a new guide version changes the plan the day it is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tongban.bundles import graph, merge
from tongban.bundles.models import Bundle
from tongban.catalog.models import GuideVersion, ItemImplementation


def guide_of(version: GuideVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "form_schema": version.form_schema or {},
        "result_license_type": version.result_license_type,
        "materials": [
            {"name": m.name, "license_types": list(m.license_types or []), "necessity": m.necessity}
            for m in version.materials.all()
        ],
    }


@dataclass(frozen=True)
class BundlePlan:
    keys: list[str]
    edges: list[graph.Edge]
    implementations: dict[str, ItemImplementation]
    guides: dict[str, dict[str, Any]]
    levels: list[list[str]]
    upstream: dict[str, list[str]]
    form: merge.MergedForm
    materials: list[merge.MergedMaterial]
    savings: merge.Savings

    def depends_on(self, key: str) -> list[str]:
        return [d for k, d in self.edges if k == key]


def compute(
    items: Sequence[tuple[str, ItemImplementation]], edges: Sequence[graph.Edge], title: str = ""
) -> BundlePlan:
    """The plan of items (key, implementation) in order; every implementation has a guide in force."""
    keys = [k for k, _ in items]
    impls = dict(items)
    guides = {k: guide_of(impl.current_version) for k, impl in items}  # type: ignore[arg-type]
    upstream = graph.upstream(keys, edges)
    form = merge.merge_form(guides, title)
    materials = merge.merge_materials(guides, upstream)
    return BundlePlan(
        keys=keys,
        edges=list(edges),
        implementations=impls,
        guides=guides,
        levels=graph.levels(keys, edges),
        upstream=upstream,
        form=form,
        materials=materials,
        savings=merge.savings(guides, form, materials),
    )


def of(bundle: Bundle) -> BundlePlan:
    rows = list(
        bundle.items.select_related(
            "implementation__item", "implementation__department", "implementation__current_version"
        ).prefetch_related("implementation__current_version__materials")
    )
    edges = [(d.item.key, d.depends_on.key) for d in bundle.dependencies.select_related("item", "depends_on")]
    return compute([(r.key, r.implementation) for r in rows], edges, bundle.name)
