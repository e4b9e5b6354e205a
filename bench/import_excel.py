"""Catalog import from Excel (事项库导入) at 10,000 implementations (target: ≤ 10 s).

    python bench/import_excel.py [--implementations 10000] [--materials 3]
    python scripts/with_postgres.py python bench/import_excel.py      # on PostgreSQL

Generates a workbook in the exchange layout (departments, a tree of items, implementations with full
guides, ~3 materials each, agreements), imports it into a fresh throwaway database, then imports it
again (nothing changes) and once more with every guide changed (a new version each). Prints the
figures, including the time to read the workbook alone; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import _setup
from django.db import connection, models

from tongban.catalog.models import (
    Department,
    GuideVersion,
    ItemImplementation,
    MaterialRequirement,
    Region,
    SearchEntry,
    ServiceItem,
)
from tongban.catalog.transfer import export_catalog, import_catalog
from tongban.catalog.transfer.export import write_xlsx
from tongban.catalog.transfer.reader import read_book
from tongban.core.codes import uscc_check_char
from tongban.identity.actor import SYSTEM

NAMES = [
    "提取住房公积金",
    "社会保障卡申领",
    "开具户籍类证明",
    "无犯罪记录证明",
    "普通护照签发",
    "失业登记",
    "内资企业设立登记",
    "食品经营许可",
    "排污许可",
    "不动产抵押登记",
    "婚姻登记",
    "居民身份证申领",
]
MATERIALS = ["居民身份证", "申请表", "户口簿", "营业执照", "授权委托书", "退休证明", "结婚证", "购房合同"]


def _uscc(region: str, serial: int) -> str:
    body = f"11{region}MB{serial:07d}"
    return body + uscc_check_char(body)


def build(implementations: int, materials: int, seed: int = 2260) -> dict[str, list[dict[str, Any]]]:
    """A synthetic catalog as the exchange layout's lists: 20 implementations per department."""
    rng = random.Random(seed)
    counties = list(Region.objects.filter(level="county", code__startswith="41").values_list("code", flat=True))
    per_department = 20
    departments = [
        {
            "region_code": counties[i % len(counties)],
            "name": f"第{i}号实施机关",
            "uscc": _uscc(counties[i % len(counties)], i),
            "kind": "organ",
            "phone": "0376-12345",
            "address": "",
        }
        for i in range((implementations + per_department - 1) // per_department)
    ]
    items: list[dict[str, Any]] = []
    leaves: list[str] = []

    def item(kind: str, code: str, parent: str, name: str) -> None:
        items.append(
            {
                "kind": kind,
                "basic_code": "" if kind == "handling" else code,
                "handling_code": code if kind == "handling" else "",
                "parent_code": parent,
                "name": name,
                "item_type": rng.choice(["1", "5", "7", "20"]),
                "legal_basis": "《某某条例》第十条",
                "exercise_levels": ["city", "county"],
                "handling_kind": "new" if kind == "handling" else "",
                "aliases": [],
                "keywords": ["住房", "证明"],
            }
        )

    for m in range(per_department):
        name = NAMES[m % len(NAMES)] + f"（{m}）"
        item("main", f"M{m:011d}", "", name)
        if m % 2:
            leaves.append(f"M{m:011d}")
            continue
        item("sub", f"S{m:011d}", f"M{m:011d}", name + "子项")
        item("handling", f"H-{m}-NEW", f"S{m:011d}", name + "（新设）")
        leaves.append(f"H-{m}-NEW")
    impls: list[dict[str, Any]] = []
    mats: list[dict[str, Any]] = []
    for n in range(implementations):
        dept = departments[n // per_department]
        code = f"{dept['uscc']}{n:013d}"
        impls.append(
            {
                "implementation_code": code,
                "item_code": leaves[n % per_department],
                "region_code": dept["region_code"],
                "department_uscc": dept["uscc"],
                "local_code": f"L{n}",
                "name": NAMES[n % len(NAMES)],
                "legal_basis": "《某某条例》第十条",
                "conditions": "申请人为本市户籍居民，材料齐全、符合法定形式",
                "service_objects": ["natural"],
                "statutory_limit": 20,
                "statutory_unit": "working_days",
                "statutory_note": "",
                "promised_limit": rng.randint(1, 20),
                "promised_unit": "working_days",
                "promised_note": "",
                "case_type": "promised",
                "review_steps": ["受理", "审核", "决定"],
                "modes": ["window", "online"],
                "commitment_allowed": False,
                "scope": "province",
                "online_depth": 3,
                "visits": 1,
                "appointment": True,
                "logistics": True,
                "online_payment": False,
                "fee_required": False,
                "fees": [],
                "result_type": "license",
                "result_name": "证明文书",
                "special_procedures": [],
                "joint_organs": [],
                "process": "受理—审核—决定—送达",
                "place": "市民之家一楼",
                "hours": "工作日 9:00-17:00",
                "enquiry_phone": "0376-12345",
                "complaint_phone": "12345",
                "online_url": "https://zwfw.example.gov.cn/",
                "faq": [],
                "form_schema": {},
            }
        )
        for k in range(materials):
            mats.append(
                {
                    "implementation_code": code,
                    "order": k + 1,
                    "name": MATERIALS[(n + k) % len(MATERIALS)],
                    "legal_basis": "",
                    "source": "applicant",
                    "paper_copies": 1,
                    "paper_size": "A4",
                    "form": "original",
                    "necessity": "required",
                    "filling_notes": "",
                    "acceptance_standard": "真实有效",
                    "license_types": [],
                }
            )
    agreements = [
        {
            "name": f"跨省通办协议{i}",
            "kind": "p2p",
            "region_codes": ["410000", "420000"],
            "item_codes": [f"M{i:011d}"],
            "modes": ["online", "proxy"],
            "effective_from": date(2025, 1, 1),
            "effective_to": None,
            "note": "",
        }
        for i in range(10)
    ]
    return {
        "departments": departments,
        "items": items,
        "implementations": impls,
        "materials": mats,
        "agreements": agreements,
    }


def raw_inserts(book: dict[str, list[dict[str, Any]]]) -> float:
    """Seconds the database takes for the same INSERTs, parameters prepared beforehand; rolled back."""
    from django.db import transaction

    tables: list[tuple[type[models.Model], list[dict[str, Any]]]] = []
    depts = {d["uscc"]: i for i, d in enumerate(book["departments"], start=1)}
    items = {(r["basic_code"] or r["handling_code"]): i for i, r in enumerate(book["items"], start=1)}
    impls = {r["implementation_code"]: i for i, r in enumerate(book["implementations"], start=1)}
    guide_keys = [f.attname for f in GuideVersion._meta.concrete_fields]
    material_keys = [f.attname for f in MaterialRequirement._meta.concrete_fields]
    tables.append(
        (Department, [{**d, "id": depts[d["uscc"]], "region_id": d["region_code"]} for d in book["departments"]])
    )
    tables.append(
        (
            ServiceItem,
            [
                {
                    **r,
                    "id": items[r["basic_code"] or r["handling_code"]],
                    "basic_code": r["basic_code"] or None,
                    "handling_code": r["handling_code"] or None,
                    "parent_id": items.get(r["parent_code"]),
                }
                for r in book["items"]
            ],
        )
    )
    tables.append(
        (
            ItemImplementation,
            [
                {
                    **r,
                    "id": impls[r["implementation_code"]],
                    "item_id": items[r["item_code"]],
                    "region_id": r["region_code"],
                    "department_id": depts[r["department_uscc"]],
                    "current_version_id": None,
                }
                for r in book["implementations"]
            ],
        )
    )
    tables.append(
        (
            GuideVersion,
            [
                {
                    k: v
                    for k, v in {
                        **r,
                        "id": impls[r["implementation_code"]],
                        "implementation_id": impls[r["implementation_code"]],
                        "number": 1,
                        "status": "published",
                        "effective_from": date(2026, 1, 5),
                        "published_at": None,
                        "effective_to": None,
                        "content_hash": "0" * 64,
                    }.items()
                    if k in guide_keys
                }
                for r in book["implementations"]
            ],
        )
    )
    tables.append(
        (
            MaterialRequirement,
            [
                {
                    k: v
                    for k, v in {
                        **m,
                        "guide_id": impls[m["implementation_code"]],
                        "blank_form": "",
                        "sample": "",
                    }.items()
                    if k in material_keys
                }
                for m in book["materials"]
            ],
        )
    )
    # Search entries: a typical token string in every text column, 0 in every number column.
    search_row = {
        f.attname: ("住 房 住房 公 积 公积" if isinstance(f, models.TextField | models.CharField) else 0)
        for f in SearchEntry._meta.concrete_fields
    }
    tables.append((SearchEntry, [{**search_row, "implementation_id": i} for i in impls.values()]))
    prepared = []
    for model, rows in tables:
        fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        prepared.append((sql, [[f.get_db_prep_save(row.get(f.attname), connection) for f in fields] for row in rows]))
    with transaction.atomic():
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for sql, params in prepared:
                cursor.executemany(sql, params)
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return seconds


def timed(label: str, rows: int, action) -> Any:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label:<46} {wall:6.2f} s  (cpu {cpu:5.2f} s)  {rows / wall:8,.0f} rows/s")
    timed.last = wall  # type: ignore[attr-defined]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--implementations", type=int, default=10_000)
    parser.add_argument("--materials", type=int, default=3, help="materials per implementation")
    args = parser.parse_args()
    _setup.prepare_database()
    print(f"machine: {_setup.machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"database: {_setup.database()}")
    folder = Path(tempfile.mkdtemp(prefix="tongban-import-"))
    book = build(args.implementations, args.materials)
    rows = sum(len(v) for v in book.values())
    path = folder / "catalog.xlsx"
    start = time.perf_counter()
    write_xlsx(book, path)
    print(
        f"workbook: {args.implementations:,} implementations, {len(book['materials']):,} materials, "
        f"{len(book['items']):,} items, {len(book['departments']):,} departments, {rows:,} rows in all; "
        f"{path.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - start:.1f} s"
    )
    raw = raw_inserts(book)
    print("figures:")
    timed("read the workbook only (no checks)", rows, lambda: read_book(path))
    report = timed("import into an empty catalog", rows, lambda: import_catalog(SYSTEM, path))
    first = timed.last  # type: ignore[attr-defined]
    print("   ", "; ".join(report.lines()[:3]))
    assert ItemImplementation.objects.filter(current_version__isnull=False).count() == args.implementations
    print(
        f"    the database alone doing the same inserts (no checks, no search index): {raw:.2f} s; "
        f"import / raw = {first / raw:.1f}"
    )
    timed("export the catalog to Excel", rows, lambda: export_catalog(folder / "export.xlsx"))
    timed("export the catalog to JSON", rows, lambda: export_catalog(folder / "export.json"))
    report = timed("import again (nothing changes)", rows, lambda: import_catalog(SYSTEM, path))
    print(f"    implementations unchanged: {report.counts['implementations'].unchanged:,}")
    for impl in book["implementations"]:
        impl["promised_limit"] = 1 if impl["promised_limit"] != 1 else 2
    write_xlsx(book, path)
    report = timed("import with every guide changed (version 2)", rows, lambda: import_catalog(SYSTEM, path))
    print(
        f"    versions published: {report.versions_created:,}, retired: {report.versions_retired:,}; "
        f"guide versions in the database: {GuideVersion.objects.count():,}, "
        f"materials: {MaterialRequirement.objects.count():,}"
    )


if __name__ == "__main__":
    main()
