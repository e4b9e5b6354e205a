"""Carrying out an import plan with bulk writes (批量写入), keeping the invariants of services.py.

Departments, items and agreements go through bulk_create and bulk_update; implementations, guide
versions and materials, the bulk of a catalog, through :func:`.bulk.insert`. Neither calls save(), so
GuideVersion.save() and MaterialRequirement.save() (which guard published guides) are bypassed: that is
safe because only new rows are inserted, every new version already published and never a draft, and
the only change to an existing version is to retire it, the status move publish_guide makes with
save(allow_status_change=True). Each implementation keeps one published version, its current_version.
The caller holds the transaction.
"""

from __future__ import annotations

from django.db import router
from django.db.models import OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.utils import timezone

from tongban.catalog import choices as c
from tongban.catalog import search
from tongban.catalog.agreements import item_ids_with_descendants
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    ItemImplementation,
    MaterialRequirement,
    ServiceItem,
)
from tongban.catalog.transfer import bulk
from tongban.catalog.transfer.plan import (
    AGREEMENT_FIELDS,
    DEPARTMENT_FIELDS,
    ITEM_FIELDS,
    Plan,
    chunks,
)

BATCH = 1000  # rows per INSERT; Django lowers it further where SQLite's parameter limit needs
INDEX_BATCH = 900  # implementations per search re-index: ids in one IN (…) list
_SEARCHED = ["id", "implementation_id", "name", "conditions", "result_name"]  # guide fields in the search text


def apply(plan: Plan) -> int:
    """Write the plan; returns the number of implementations re-indexed for search."""
    Department.objects.bulk_create(plan.departments_new, batch_size=BATCH)
    Department.objects.bulk_update(plan.departments_changed, DEPARTMENT_FIELDS, batch_size=BATCH)
    # Parents come first in items_new; each kind is one insert so children see their parents' ids.
    for kind in (c.ItemKind.MAIN, c.ItemKind.SUB, c.ItemKind.HANDLING):
        ServiceItem.objects.bulk_create([i for i in plan.items_new if i.kind == kind], batch_size=BATCH)
    ServiceItem.objects.bulk_update(plan.items_changed, ITEM_FIELDS, batch_size=BATCH)
    _insert_implementations(plan.implementations_new)
    ItemImplementation.objects.bulk_update(plan.implementations_relabelled, ["local_code"], batch_size=BATCH)
    _publish(plan)
    _agreements(plan)
    return _reindex(plan)


def _insert_implementations(impls: list[ItemImplementation]) -> None:
    """Insert new implementations and give each instance its id, looked up by implementation code."""
    for impl in impls:
        # Items and departments new in this file were saved above; this copies their fresh ids.
        impl.item, impl.department = impl.item, impl.department
    bulk.insert(
        ItemImplementation,
        (
            {
                "item_id": i.item_id,
                "region_id": i.region_id,
                "department_id": i.department_id,
                "implementation_code": i.implementation_code,
                "local_code": i.local_code,
            }
            for i in impls
        ),
    )
    by_code = {i.implementation_code: i for i in impls}
    for batch in chunks(list(by_code)):
        for code, pk in ItemImplementation.objects.filter(implementation_code__in=batch).values_list(
            "implementation_code", "id"
        ):
            by_code[code].pk = pk


def _publish(plan: Plan) -> None:
    """New published versions; the ones they replace retire on the same day, as publish_guide does.

    Each implementation's ``current_version`` becomes the new version, in the database and on the
    instance the plan holds (for the search index).
    """
    for batch in chunks(plan.retire):
        GuideVersion.objects.filter(implementation_id__in=batch, status=c.GuideStatus.PUBLISHED).update(
            status=c.GuideStatus.RETIRED, effective_to=plan.today
        )
    now = timezone.now()
    fixed = {"status": c.GuideStatus.PUBLISHED.value, "effective_from": plan.today, "published_at": now}
    bulk.insert(
        GuideVersion,
        (
            {
                **v.guide.data,
                **fixed,
                "implementation_id": v.implementation.pk,
                "number": v.number,
                "content_hash": v.guide.content_hash,
            }
            for v in plan.versions
        ),
    )
    # After the retirement above, each of these implementations has exactly one published version: the new one.
    impl_ids = [v.implementation.pk for v in plan.versions]
    ids: dict[int, int] = {}
    for batch in chunks(impl_ids):
        ids.update(
            GuideVersion.objects.filter(implementation_id__in=batch, status=c.GuideStatus.PUBLISHED).values_list(
                "implementation_id", "id"
            )
        )
    bulk.insert(
        MaterialRequirement,
        (
            {**material, "guide_id": ids[v.implementation.pk], "order": order}
            for v in plan.versions
            for order, material in enumerate(v.guide.material_data, start=1)
        ),
    )
    published = GuideVersion.objects.filter(implementation_id=OuterRef("pk"), status=c.GuideStatus.PUBLISHED)
    for batch in chunks(impl_ids):
        ItemImplementation.objects.filter(pk__in=batch).update(current_version=Subquery(published.values("pk")[:1]))
    alias = router.db_for_write(GuideVersion)
    for v in plan.versions:
        # Only what the search text reads of the guide: from_db marks the other fields deferred, which
        # spares building 45 field values per version.
        data = v.guide.data
        v.implementation.current_version = GuideVersion.from_db(
            alias,
            _SEARCHED,
            [ids[v.implementation.pk], v.implementation.pk, data["name"], data["conditions"], data["result_name"]],
        )


def _agreements(plan: Plan) -> None:
    Agreement.objects.bulk_create([w.agreement for w in plan.agreements_new], batch_size=BATCH)
    Agreement.objects.bulk_update([w.agreement for w in plan.agreements_changed], AGREEMENT_FIELDS, batch_size=BATCH)
    writes = plan.agreements_new + plan.agreements_changed
    changed_ids = [w.agreement.pk for w in plan.agreements_changed]
    Regions, Items = Agreement.regions.through, Agreement.items.through
    for batch in chunks(changed_ids):
        Regions.objects.filter(agreement_id__in=batch).delete()
        Items.objects.filter(agreement_id__in=batch).delete()
    Regions.objects.bulk_create(
        [Regions(agreement_id=w.agreement.pk, region_id=code) for w in writes for code in w.region_codes],
        batch_size=BATCH,
    )
    Items.objects.bulk_create(
        [
            Items(agreement_id=w.agreement.pk, serviceitem_id=item.pk)
            for w in writes
            for item in {i.pk: i for i in w.items}.values()
        ],
        batch_size=BATCH,
    )


def _reindex(plan: Plan) -> int:
    """Search entries of every implementation whose search text the import changed.

    Implementations with a new version are indexed from the objects the import already holds (item
    with its parents, department, region, new version), with their materials fetched in one query per
    batch. When items or departments were renamed, every implementation touching them is read back
    from the database instead, so that no stale name from memory reaches the index.
    """
    changed_items = item_ids_with_descendants([i.pk for i in plan.items_changed]) if plan.items_changed else []
    changed_departments = [d.pk for d in plan.departments_changed]
    if not changed_items and not changed_departments:
        materials = Prefetch("materials", queryset=MaterialRequirement.objects.only("id", "guide_id", "name", "order"))
        for batch in chunks(plan.versions, INDEX_BATCH):
            prefetch_related_objects([v.implementation.current_version for v in batch], materials)
            search.index_many([v.implementation for v in batch])
        return len(plan.versions)
    ids = {v.implementation.pk for v in plan.versions}
    for batch in chunks(changed_items):
        ids |= set(ItemImplementation.objects.filter(item_id__in=batch).values_list("id", flat=True))
    for batch in chunks(changed_departments):
        ids |= set(ItemImplementation.objects.filter(department_id__in=batch).values_list("id", flat=True))
    for batch in chunks(sorted(ids), INDEX_BATCH):
        search.index_many(
            list(
                ItemImplementation.objects.filter(pk__in=batch)
                .select_related("item__parent__parent", "region", "department", "current_version")
                .prefetch_related("current_version__materials")
            )
        )
    return len(ids)
