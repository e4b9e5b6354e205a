"""The demo catalog: loads the tables of :mod:`tongban.catalog.demo_data` through the catalog commands.

Everything goes through :mod:`tongban.catalog.services`, so the demo data passes the same checks as
data a user enters (codes, guide rules, search index). The loader acts as the system actor
(``tongban.identity.actor.SYSTEM``), as every loader and management command does. Halls and windows
are the exception: no command exists for them yet, so they are created directly.

Loading is idempotent. Rows that exist already are recognised by their national identity (USCC,
basic or handling code, implementation code, agreement name; halls by region and name, windows by
number) and left alone, so a second run creates nothing and returns zero counts. An implementation
that exists is not revised again either: its second guide version is written only when it is new.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongban.catalog import choices as c
from tongban.catalog import services
from tongban.catalog.demo_data import guides_business, guides_people, guides_social, items, license_types, places
from tongban.catalog.demo_data.agreements import AGREEMENTS
from tongban.catalog.demo_data.common import GUIDE_DEFAULTS, Guide, GuideSpec, Material
from tongban.catalog.demo_data.faqs import faq_for
from tongban.catalog.demo_data.items import ItemSpec
from tongban.catalog.demo_data.places import DepartmentSpec, RegionSpec, make_uscc
from tongban.catalog.demo_data.revisions import REVISIONS, V1_EFFECTIVE, RevisionSpec
from tongban.catalog.models import (
    Agreement,
    Department,
    Hall,
    ItemImplementation,
    LicenseType,
    ServiceItem,
    Window,
)
from tongban.identity.actor import SYSTEM

COUNT_KEYS = (
    "departments",
    "halls",
    "windows",
    "items",
    "implementations",
    "guide_versions",
    "agreements",
    "license_types",
)
GUIDES: tuple[GuideSpec, ...] = (*guides_business.GUIDES, *guides_people.GUIDES, *guides_social.GUIDES)


def department_uscc(region: RegionSpec, department: DepartmentSpec) -> str:
    return make_uscc(department.category, region.code, department.org_body)


@dataclass(frozen=True)
class PlannedImplementation:
    """One region's implementation of one item, with its first guide (and second, if revised)."""

    item: ItemSpec
    region: RegionSpec
    department: DepartmentSpec
    code: str
    guide: Guide
    materials: list[Material]
    revision: RevisionSpec | None

    def revised(self) -> tuple[Guide, list[Material]]:
        """Version 2's changed elements and its full material list."""
        assert self.revision is not None
        changes = _plain(self.revision.changes)
        materials = changes.pop("materials", self.materials)
        return changes, materials


def _plain(value: Any) -> Any:
    """The value as the database gives it back: choice enums become plain strings, tuples lists."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _online_depth(guide: Guide) -> int:
    # 0 none … 4 whole process online: without a visit the whole process is online; with one, the
    # application is online and the result collected; window-only items still publish guide and forms.
    if "online" in guide["modes"]:
        return 4 if guide["visits"] == 0 else 3
    return 1


def _process(guide: Guide) -> str:
    delivery = "结果送达（窗口领取、邮寄或电子证照）" if guide["logistics"] else "窗口领取结果"
    return " → ".join(["提交申请", *guide["review_steps"], "办结", delivery])


def build_guide(spec: GuideSpec, region: RegionSpec) -> tuple[Guide, list[Material]]:
    """The full guide and material list of ``spec`` as ``region`` publishes it."""
    item = items.BY_NAME[spec.item]
    overrides = dict(spec.regions[region.short])
    materials = overrides.pop("materials", spec.materials)
    guide: Guide = {
        **GUIDE_DEFAULTS,
        "name": item.name,
        "legal_basis": item.legal_basis,
        "faq": faq_for(item.name),
        **spec.base,
        **overrides,
    }
    guide.setdefault("online_depth", _online_depth(guide))
    guide.setdefault("process", _process(guide))
    guide.setdefault("online_url", region.portal if "online" in guide["modes"] else "")
    guide.setdefault("place", f"{region.hall_address} {region.hall}（综合受理窗口）")
    guide.setdefault("hours", region.hours)
    guide.setdefault("enquiry_phone", region.phone)
    guide.setdefault("complaint_phone", "12345")
    return _plain(guide), _plain(materials)


def plan() -> Iterator[PlannedImplementation]:
    """Every implementation of the demo, in table order. Pure: no database."""
    revisions = {(r.item, r.region): r for r in REVISIONS}
    for spec in GUIDES:
        item = items.BY_NAME[spec.item]
        for short in spec.regions:
            region = places.BY_SHORT[short]
            department = region.department_for(item.role)
            guide, materials = build_guide(spec, region)
            yield PlannedImplementation(
                item=item,
                region=region,
                department=department,
                code=department_uscc(region, department) + item.implementation_suffix,
                guide=guide,
                materials=materials,
                revision=revisions.get((spec.item, short)),
            )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
def _load_departments(counts: dict[str, int]) -> dict[str, Department]:
    by_uscc: dict[str, Department] = {}
    for region in places.REGIONS:
        for spec in region.departments:
            uscc = department_uscc(region, spec)
            department = Department.objects.filter(uscc=uscc).first()
            if department is None:
                department = services.create_department(
                    SYSTEM,
                    region_code=region.code,
                    name=spec.name,
                    uscc=uscc,
                    kind=spec.kind,
                    phone=region.phone,
                    address=region.hall_address,
                )
                counts["departments"] += 1
            by_uscc[uscc] = department
    return by_uscc


def _load_halls(counts: dict[str, int], departments: dict[str, Department]) -> None:
    for region in places.REGIONS:
        hall, created = Hall.objects.get_or_create(
            region_id=region.code,
            name=region.hall,
            defaults={"address": region.hall_address, "hours": region.hours, "phone": region.phone},
        )
        counts["halls"] += int(created)
        for spec in region.windows:
            window, created = Window.objects.get_or_create(
                hall=hall, number=spec.number, defaults={"name": spec.name, "kind": spec.kind}
            )
            if created:
                counts["windows"] += 1
                window.departments.set(
                    [departments[department_uscc(region, region.department_for(role))] for role in spec.roles]
                )


def _load_items(counts: dict[str, int]) -> dict[str, ServiceItem]:
    by_code: dict[str, ServiceItem] = {}
    for spec in items.ITEMS:  # parents first
        is_handling = spec.kind == c.ItemKind.HANDLING
        code_field = "handling_code" if is_handling else "basic_code"
        found = ServiceItem.objects.filter(**{code_field: spec.code}).first()
        if found is None:
            found = services.create_item(
                SYSTEM,
                name=spec.name,
                item_type=spec.item_type,
                kind=spec.kind,
                basic_code=None if is_handling else spec.code,
                handling_code=spec.code if is_handling else None,
                parent=by_code[spec.parent] if spec.parent else None,
                legal_basis=spec.legal_basis,
                exercise_levels=list(spec.levels),
                handling_kind=spec.handling_kind,
                aliases=list(spec.aliases),
                keywords=list(spec.keywords),
            )
            counts["items"] += 1
        by_code[spec.code] = found
    return by_code


def _load_implementation(
    planned: PlannedImplementation, item: ServiceItem, department: Department, counts: dict[str, int]
) -> None:
    if ItemImplementation.objects.filter(implementation_code=planned.code).exists():
        return
    impl = services.create_implementation(
        SYSTEM,
        item=item,
        department=department,
        implementation_code=planned.code,
        guide=planned.guide,
        materials=planned.materials,
    )
    services.publish_guide(SYSTEM, impl.versions.get(), effective_from=V1_EFFECTIVE)
    counts["implementations"] += 1
    counts["guide_versions"] += 1
    if planned.revision is not None:
        changes, materials = planned.revised()
        draft = services.start_revision(SYSTEM, impl)
        services.update_draft(SYSTEM, draft, guide=changes, materials=materials)
        services.publish_guide(SYSTEM, draft, effective_from=planned.revision.effective)
        counts["guide_versions"] += 1


def _load_agreements(counts: dict[str, int]) -> None:
    for spec in AGREEMENTS:
        if Agreement.objects.filter(name=spec.name).exists():
            continue
        services.create_agreement(
            SYSTEM,
            name=spec.name,
            kind=spec.kind,
            region_codes=list(spec.regions),
            item_codes=spec.item_codes,
            modes=list(spec.modes),
            effective_from=spec.effective_from,
            note=spec.note,
        )
        counts["agreements"] += 1


def _load_license_types(counts: dict[str, int]) -> None:
    for row in license_types.rows():
        _, created = LicenseType.objects.update_or_create(code=row["code"], defaults=row)
        counts["license_types"] += int(created)


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Load the demo catalog in one transaction; return how many rows of each kind were created."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    _load_license_types(counts)
    departments = _load_departments(counts)
    _load_halls(counts, departments)
    item_rows = _load_items(counts)
    for planned in plan():
        _load_implementation(
            planned,
            item_rows[planned.item.code],
            departments[department_uscc(planned.region, planned.department)],
            counts,
        )
    _load_agreements(counts)
    return counts
