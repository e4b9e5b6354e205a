"""Matching the file against the catalog (核对): duplicates, references, and what each row changes.

Rows are matched by their natural keys: USCC, basic or handling code, implementation code, agreement
name. A reference may point into the file or into the database. The result is a :class:`~.plan.Plan`
of writes that :mod:`.writer` carries out, or located problems; nothing is written here.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from tongban.catalog import choices as c
from tongban.catalog.models import Agreement, Department, Region, ServiceItem
from tongban.catalog.transfer.guides import Guide
from tongban.catalog.transfer.implementations import match_implementations
from tongban.catalog.transfer.plan import (
    AGREEMENT_FIELDS,
    DEPARTMENT_FIELDS,
    ITEM_FIELDS,
    MATCHED,
    AgreementWrite,
    Counts,
    Plan,
    chunks,
    duplicate,
)
from tongban.catalog.transfer.problems import Collector
from tongban.catalog.transfer.rows import Record


class Planner:
    """Builds the plan sheet by sheet; each step can use what the earlier ones resolved."""

    def __init__(
        self, records: dict[str, list[Record]], guides: dict[str, Guide], problems: Collector, today: date
    ) -> None:
        self.records = records
        self.guides = guides
        self.problems = problems
        self.plan = Plan(today, counts={key: Counts() for key in MATCHED})
        self.regions = {r.code: r for r in Region.objects.all()}
        self.departments: dict[str, Department] = {}  # USCC → department, from the database or the file
        self.by_basic: dict[str, ServiceItem] = {}
        self.by_handling: dict[str, ServiceItem] = {}
        self.file_items: dict[str, Record] = {}  # code → row, for the items the file describes
        self.parents_in_file: set[str] = set()
        self.db_parents: set[int] = set()  # database items that have children

    def build(self) -> Plan:
        self._load_departments()
        self._load_items()
        self.departments_step()
        self.items_step()
        match_implementations(self)
        self.agreements_step()
        return self.plan

    # Look-ups -----------------------------------------------------------------------------------

    def _load_departments(self) -> None:
        usccs = {r.data["uscc"] for r in self.records["departments"]}
        usccs |= {r.data["department_uscc"] for r in self.records["implementations"]}
        for batch in chunks(sorted(u for u in usccs if u)):
            self.departments.update({d.uscc: d for d in Department.objects.filter(uscc__in=batch)})

    def _load_items(self) -> None:
        codes = {r.data["code"] for r in self.records["items"] if r.data.get("code")}
        codes |= {r.data["parent_code"] for r in self.records["items"] if r.data["parent_code"]}
        codes |= {r.data["item_code"] for r in self.records["implementations"] if r.data["item_code"]}
        codes |= {code for r in self.records["agreements"] if r.ok("item_codes") for code in r.data["item_codes"]}
        for batch in chunks(sorted(codes)):
            found = ServiceItem.objects.filter(
                Q(basic_code__in=[code.upper() for code in batch]) | Q(handling_code__in=batch)
            ).select_related("parent__parent")  # the lineage the search text names
            for item in found:
                if item.basic_code:
                    self.by_basic[item.basic_code] = item
                if item.handling_code:
                    self.by_handling[item.handling_code] = item
        ids = {i.pk for i in [*self.by_basic.values(), *self.by_handling.values()]}
        for batch in chunks(sorted(ids)):
            self.db_parents |= set(
                ServiceItem.objects.filter(parent_id__in=batch).values_list("parent_id", flat=True).distinct()
            )

    def item(self, code: str) -> ServiceItem | None:
        """The item with this basic code, else this handling code (the order create_agreement uses)."""
        return self.by_basic.get(code.upper()) or self.by_handling.get(code)

    def unknown(self, rec: Record, column: str, code: str, what_zh: str, what_en: str) -> None:
        self.problems.add(
            rec.sheet,
            rec.row,
            column,
            f"unknown_{what_en.replace(' ', '_')}",
            f"{what_zh}“{code}”在文件和数据库中都不存在",
            f"there is no {what_en} '{code}' in the file or the database",
        )
        rec.bad.add(column)

    # Departments --------------------------------------------------------------------------------

    def departments_step(self) -> None:
        records = self.records["departments"]
        counts = self.plan.counts["departments"]
        seen: dict[str, Record] = {}
        names: dict[tuple[str, str], Record] = {}
        for rec in records:
            d = rec.data
            if rec.ok("region_code") and d["region_code"] not in self.regions:
                self.unknown(rec, "region_code", d["region_code"], "行政区划代码", "region")
            if not rec.ok("uscc"):
                continue
            if d["uscc"] in seen:
                duplicate(self.problems, rec, "uscc", seen[d["uscc"]], "统一社会信用代码")
                continue
            seen[d["uscc"]] = rec
            if (d["region_code"], d["name"]) in names:
                duplicate(self.problems, rec, "name", names[(d["region_code"], d["name"])], "同一地区的部门名称")
            names.setdefault((d["region_code"], d["name"]), rec)
            existing = self.departments.get(d["uscc"])
            if existing is None:
                department = Department(
                    region_id=d["region_code"], uscc=d["uscc"], **{f: d[f] for f in DEPARTMENT_FIELDS}
                )
                self.departments[d["uscc"]] = department
                self.plan.departments_new.append(department)
                counts.created += 1
                continue
            if rec.ok("region_code") and existing.region_id != d["region_code"]:
                self.problems.add(
                    rec.sheet,
                    rec.row,
                    "region_code",
                    "region_changed",
                    f"该部门已登记在“{existing.region_id}”，导入不能改变部门的行政区划",
                    f"this department is registered in {existing.region_id}; an import cannot move it",
                )
                rec.bad.add("region_code")
            if any(getattr(existing, f) != d[f] for f in DEPARTMENT_FIELDS):
                for f in DEPARTMENT_FIELDS:
                    setattr(existing, f, d[f])
                self.plan.departments_changed.append(existing)
                counts.updated += 1
            else:
                counts.unchanged += 1
        self._check_names_in_database(names)

    def _check_names_in_database(self, names: dict[tuple[str, str], Record]) -> None:
        """A department name is unique within its region: another USCC may already hold it."""
        wanted = sorted({name for _, name in names})
        for batch in chunks(wanted):
            taken = Department.objects.filter(name__in=batch, region_id__in={r for r, _ in names}).values_list(
                "region_id", "name", "uscc"
            )
            for region, name, uscc in taken:
                rec = names.get((region, name))
                if rec is not None and rec.data["uscc"] != uscc and rec.ok("name"):
                    self.problems.add(
                        rec.sheet,
                        rec.row,
                        "name",
                        "duplicate",
                        f"该地区已有同名部门（统一社会信用代码{uscc}）",
                        f"another department of this region (USCC {uscc}) already has this name",
                    )
                    rec.bad.add("name")

    # Items --------------------------------------------------------------------------------------

    def items_step(self) -> None:
        records = [r for r in self.records["items"] if r.ok("kind") and r.data.get("code")]
        counts = self.plan.counts["items"]
        for rec in records:
            code = rec.data["code"]
            if code in self.file_items:
                column = "handling_code" if rec.data["kind"] == c.ItemKind.HANDLING else "basic_code"
                duplicate(self.problems, rec, column, self.file_items[code], "事项编码")
                continue
            self.file_items[code] = rec
            if rec.data["parent_code"]:
                self.parents_in_file.add(rec.data["parent_code"])
        new: list[tuple[Record, ServiceItem]] = []
        for code, rec in self.file_items.items():
            d = rec.data
            handling = d["kind"] == c.ItemKind.HANDLING
            existing = self.by_handling.get(code) if handling else self.by_basic.get(code)
            if existing is None:
                obj = ServiceItem(
                    kind=d["kind"],
                    basic_code=None if handling else code,
                    handling_code=code if handling else None,
                    **{f: d[f] for f in ITEM_FIELDS},
                )
                (self.by_handling if handling else self.by_basic)[code] = obj
                new.append((rec, obj))
                counts.created += 1
                continue
            self._same_place(rec, existing)
            if any(getattr(existing, f) != d[f] for f in ITEM_FIELDS):
                for f in ITEM_FIELDS:
                    setattr(existing, f, d[f])
                self.plan.items_changed.append(existing)
                counts.updated += 1
            else:
                counts.unchanged += 1
        for rec, obj in new:
            obj.parent = self._parent(rec)
        depth = {c.ItemKind.MAIN: 0, c.ItemKind.SUB: 1, c.ItemKind.HANDLING: 2}
        self.plan.items_new = [obj for _, obj in sorted(new, key=lambda pair: depth[pair[1].kind])]

    def _same_place(self, rec: Record, existing: ServiceItem) -> None:
        """Kind and parent are the item's place in the national list; an import does not move items."""
        if existing.kind != rec.data["kind"]:
            self.problems.add(
                rec.sheet,
                rec.row,
                "kind",
                "kind_changed",
                f"该事项已登记为“{existing.kind}”，导入不能改变事项层级",
                f"this item is registered as '{existing.kind}'; an import cannot change its kind",
            )
            rec.bad.add("kind")
        current = existing.parent.code if existing.parent else ""
        if rec.ok("parent_code") and current != rec.data["parent_code"]:
            self.problems.add(
                rec.sheet,
                rec.row,
                "parent_code",
                "parent_changed",
                f"该事项的上级事项为“{current or '无'}”，导入不能改变",
                f"this item's parent is '{current or 'none'}'; an import cannot change it",
            )
            rec.bad.add("parent_code")

    def _parent(self, rec: Record) -> ServiceItem | None:
        code = rec.data["parent_code"]
        if not code or not rec.ok("parent_code"):
            return None
        parent = self.item(code)
        if parent is None:
            self.unknown(rec, "parent_code", code, "上级事项编码", "parent")
            return None
        allowed = (c.ItemKind.MAIN,) if rec.data["kind"] == c.ItemKind.SUB else (c.ItemKind.MAIN, c.ItemKind.SUB)
        if parent.kind not in allowed:
            self.problems.add(
                rec.sheet,
                rec.row,
                "parent_code",
                "wrong_parent",
                "子项的上级应为主项，办理项的上级应为主项或子项",
                "a sub-item belongs to a main item, a handling item to a main item or sub-item",
            )
            rec.bad.add("parent_code")
        return parent

    def has_children(self, item: ServiceItem) -> bool:
        return item.code in self.parents_in_file or (item.pk is not None and item.pk in self.db_parents)

    # Agreements ---------------------------------------------------------------------------------

    def agreements_step(self) -> None:
        records = self.records["agreements"]
        counts = self.plan.counts["agreements"]
        names = sorted({r.data["name"] for r in records if r.data["name"]})
        existing: dict[str, Agreement] = {}
        for batch in chunks(names):
            existing.update(
                {a.name: a for a in Agreement.objects.filter(name__in=batch).prefetch_related("regions", "items")}
            )
        seen: dict[str, Record] = {}
        for rec in records:
            d = rec.data
            if not rec.ok("name") or not d["name"]:
                continue
            if d["name"] in seen:
                duplicate(self.problems, rec, "name", seen[d["name"]], "协议名称")
                continue
            seen[d["name"]] = rec
            for code in d["region_codes"] if rec.ok("region_codes") else []:
                if code not in self.regions:
                    self.unknown(rec, "region_codes", code, "行政区划代码", "region")
            items: list[ServiceItem] = []
            for code in d["item_codes"] if rec.ok("item_codes") else []:
                item = self.item(code)
                if item is None:
                    self.unknown(rec, "item_codes", code, "事项编码", "item")
                else:
                    items.append(item)
            agreement = existing.get(d["name"])
            if agreement is None:
                agreement = Agreement(name=d["name"], **{f: d[f] for f in AGREEMENT_FIELDS})
                self.plan.agreements_new.append(AgreementWrite(agreement, d["region_codes"], items))
                counts.created += 1
                continue
            same = (
                all(getattr(agreement, f) == d[f] for f in AGREEMENT_FIELDS)
                and sorted(r.code for r in agreement.regions.all()) == d["region_codes"]
                and all(i.pk is not None for i in items)
                and {i.pk for i in agreement.items.all()} == {i.pk for i in items}
            )
            if same:
                counts.unchanged += 1
                continue
            for f in AGREEMENT_FIELDS:
                setattr(agreement, f, d[f])
            self.plan.agreements_changed.append(AgreementWrite(agreement, d["region_codes"], items))
            counts.updated += 1
