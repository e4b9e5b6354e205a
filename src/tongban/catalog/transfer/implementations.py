"""Matching implementations (事项实施清单) and deciding which guides become a new version.

Part of :mod:`.matching`: functions of the planner, which has resolved departments and items first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Max, Q

from tongban.catalog import choices as c
from tongban.catalog.models import Department, GuideVersion, ItemImplementation, ServiceItem
from tongban.catalog.transfer.guides import Guide
from tongban.catalog.transfer.plan import NewVersion, chunks, duplicate
from tongban.catalog.transfer.rows import Record

if TYPE_CHECKING:
    from tongban.catalog.transfer.matching import Planner


def match_implementations(planner: Planner) -> None:
    """Check each implementation row against the file and the database and add its writes to the plan."""
    counts = planner.plan.counts["implementations"]
    existing = _existing_implementations(planner)
    triples = _triples_in_database(planner)
    seen: dict[str, Record] = {}
    seen_triples: dict[tuple[str, str, str], Record] = {}
    changed: list[tuple[ItemImplementation, Guide]] = []
    for rec in planner.records["implementations"]:
        d = rec.data
        code = d["implementation_code"]
        if not rec.ok("implementation_code") or not code:
            continue
        if code in seen:
            duplicate(planner.problems, rec, "implementation_code", seen[code], "实施编码")
            continue
        seen[code] = rec
        resolved = _resolve(planner, rec)
        if resolved is None:
            continue
        item, department, region = resolved
        triple = (item.code, region, department.uscc)
        if triple in seen_triples:
            duplicate(planner.problems, rec, "item_code", seen_triples[triple], "同一部门、地区的同一事项")
            continue
        seen_triples[triple] = rec
        guide = planner.guides[code]
        impl = existing.get(code)
        if impl is None:
            other = triples.get((item.pk, region, department.pk))
            if other is not None:
                planner.problems.add(
                    rec.sheet,
                    rec.row,
                    "item_code",
                    "duplicate",
                    f"该部门已有此事项的实施清单（实施编码{other}）",
                    f"this department already implements this item (implementation {other})",
                )
                continue
            impl = ItemImplementation(
                item=item,
                region=planner.regions[region],
                department=department,
                implementation_code=code,
                local_code=d["local_code"],
            )
            planner.plan.implementations_new.append(impl)
            planner.plan.versions.append(NewVersion(impl, 1, guide))
            counts.created += 1
            continue
        _same_owner(planner, rec, impl, item, department, region)
        # The objects already in hand, so that re-indexing reads no row back (see writer._reindex).
        impl.item, impl.department, impl.region = item, department, planner.regions[region]
        relabel = impl.local_code != d["local_code"]
        if relabel:
            impl.local_code = d["local_code"]
            planner.plan.implementations_relabelled.append(impl)
        new_guide = impl.current_hash != guide.content_hash  # type: ignore[attr-defined]
        if new_guide:
            changed.append((impl, guide))
        if relabel or new_guide:
            counts.updated += 1
        else:
            counts.unchanged += 1
    _revise(planner, changed)


def _existing_implementations(planner: Planner) -> dict[str, ItemImplementation]:
    codes = [r.data["implementation_code"] for r in planner.records["implementations"] if r.data["implementation_code"]]
    out: dict[str, ItemImplementation] = {}
    for batch in chunks(sorted(set(codes))):
        found = (
            ItemImplementation.objects.filter(implementation_code__in=batch)
            .only(
                "id",
                "implementation_code",
                "item_id",
                "region_id",
                "department_id",
                "local_code",
                "current_version_id",
            )
            .annotate(current_hash=F("current_version__content_hash"))
        )
        out.update({impl.implementation_code: impl for impl in found})
    return out


def _triples_in_database(planner: Planner) -> dict[tuple[int, str, int], str]:
    ids = sorted({d.pk for d in planner.departments.values() if d.pk is not None})
    out: dict[tuple[int, str, int], str] = {}
    for batch in chunks(ids):
        rows = ItemImplementation.objects.filter(department_id__in=batch).values_list(
            "item_id", "region_id", "department_id", "implementation_code"
        )
        out.update({(i, r, d): code for i, r, d, code in rows})
    return out


def _resolve(planner: Planner, rec: Record) -> tuple[ServiceItem, Department, str] | None:
    """The implementation's item, department and region code, or None after reporting why not."""
    d = rec.data
    department = planner.departments.get(d["department_uscc"]) if rec.ok("department_uscc") else None
    if department is None and rec.ok("department_uscc"):
        planner.unknown(rec, "department_uscc", d["department_uscc"], "实施机关统一社会信用代码", "department")
    item = planner.item(d["item_code"]) if rec.ok("item_code") else None
    if item is None and rec.ok("item_code"):
        planner.unknown(rec, "item_code", d["item_code"], "事项编码", "item")
    elif item is not None and planner.has_children(item):
        planner.problems.add(
            rec.sheet,
            rec.row,
            "item_code",
            "not_a_leaf",
            "只能为最小办理单元（无下级的事项）编制实施清单",
            "an implementation belongs to the smallest unit, an item without sub-items",
        )
        item = None
    if rec.ok("region_code") and d["region_code"] and d["region_code"] not in planner.regions:
        planner.unknown(rec, "region_code", d["region_code"], "行政区划代码", "region")
    if department is None or item is None or not rec.ok("region_code", "implementation_code"):
        return None
    region = d["region_code"] or department.region_id
    if region not in planner.regions:
        return None  # the department's region is unknown: its own row says so
    if region != department.region_id and not planner.regions[region].contains(department.region_id):
        planner.problems.add(
            rec.sheet,
            rec.row,
            "region_code",
            "department_outside_region",
            "实施机关不属于该行政区划",
            "the implementing department does not belong to this region",
        )
        return None
    return item, department, region


def _same_owner(
    planner, rec: Record, impl: ItemImplementation, item: ServiceItem, department: Department, region: str
) -> None:
    """An implementation keeps its item, department and region; a different one needs a new code."""
    for column, before, after in (
        ("item_code", impl.item_id, item.pk),
        ("department_uscc", impl.department_id, department.pk),
        ("region_code", impl.region_id, region),
    ):
        if before != after:
            planner.problems.add(
                rec.sheet,
                rec.row,
                column,
                "owner_changed",
                "已有实施清单的事项、实施机关和行政区划不能通过导入改变，请使用新的实施编码",
                "an existing implementation keeps its item, department and region; use a new implementation code",
            )


def _revise(planner: Planner, changed: list[tuple[ItemImplementation, Guide]]) -> None:
    """A changed guide becomes a new published version, as start_revision + publish_guide would make."""
    versions: dict[int, dict[str, Any]] = {}
    for batch in chunks(sorted(impl.pk for impl, _ in changed)):
        rows = (
            GuideVersion.objects.filter(implementation_id__in=batch)
            .values("implementation_id")
            .annotate(top=Max("number"), drafts=Count("id", filter=Q(status=c.GuideStatus.DRAFT)))
        )
        versions.update({row["implementation_id"]: row for row in rows})
    for impl, guide in changed:
        info = versions.get(impl.pk, {"top": 0, "drafts": 0})
        if info["drafts"]:
            # The same rule as start_revision: a draft being edited would silently lose this change.
            planner.problems.add(
                guide.record.sheet,
                guide.record.row,
                "implementation_code",
                "draft_exists",
                "该实施清单有未发布的草稿，请先发布或删除草稿再导入",
                "this implementation has an unpublished draft; publish or delete it before importing",
            )
            continue
        planner.plan.versions.append(NewVersion(impl, info["top"] + 1, guide))
        if impl.current_version_id is not None:
            planner.plan.retire.append(impl.pk)
