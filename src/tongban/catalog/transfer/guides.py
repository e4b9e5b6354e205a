"""Putting each implementation's guide (办事指南) together from its row and its material rows.

The guide is checked by :func:`tongban.catalog.guide.validate_guide`, the same rules the workbench and
the API apply; its problems are placed back on the cell they came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tongban.catalog import guide as guide_rules
from tongban.catalog.transfer import layout as L
from tongban.catalog.transfer.problems import Collector
from tongban.catalog.transfer.rows import Record

_MATERIAL_FIELD = re.compile(r"^materials\[(\d+)\]\.(\w+)$")


@dataclass
class Guide:
    """An implementation's guide as the file gives it, with the content hash that decides on a new version."""

    record: Record
    materials: list[Record]
    data: dict[str, Any]
    material_data: list[dict[str, Any]]
    content_hash: str


def _ordered(materials: list[Record], problems: Collector) -> list[Record]:
    # Numbered rows first by number, then unnumbered ones in row order.
    seen: dict[int, int] = {}
    for m in materials:
        order = m.data["order"]
        if order is None or not m.ok("order"):
            continue
        if order in seen:
            problems.add(
                m.sheet,
                m.row,
                "order",
                "duplicate",
                f"序号{order}与第{seen[order]}行重复",
                f"order {order} is also used in row {seen[order]}",
            )
            m.bad.add("order")
        seen.setdefault(order, m.row)
    return sorted(materials, key=lambda m: (m.data["order"] is None, m.data["order"] or 0, m.row))


def _place(problem_field: str | None, impl: Record, materials: list[Record]) -> tuple[Record, str | None]:
    found = _MATERIAL_FIELD.match(problem_field or "")
    if found and int(found.group(1)) < len(materials):
        return materials[int(found.group(1))], found.group(2)
    return impl, problem_field if problem_field in impl.data else None


def assemble(records: dict[str, list[Record]], problems: Collector) -> dict[str, Guide]:
    """Each implementation code's guide, checked; material rows that name no implementation are reported."""
    impls: dict[str, Record] = {}
    for rec in records["implementations"]:
        impls.setdefault(rec.data["implementation_code"], rec)
    grouped: dict[str, list[Record]] = {code: [] for code in impls}
    for m in records["materials"]:
        code = m.data["implementation_code"]
        if code in grouped:
            grouped[code].append(m)
        elif m.ok("implementation_code") and code:
            problems.add(
                m.sheet,
                m.row,
                "implementation_code",
                "unknown_implementation",
                f"“实施清单”表中没有实施编码“{code}”",
                f"there is no implementation '{code}' in the implementations sheet",
            )
    guides: dict[str, Guide] = {}
    # The online-address check depends on the address alone and takes about a tenth of a millisecond;
    # a region's guides mostly share one portal address, so each address is checked once per file.
    good_urls: set[str] = set()
    for code, impl in impls.items():
        materials = _ordered(grouped[code], problems)
        data = {f: impl.data[f] for f in L.GUIDE_KEYS}
        material_data = [{f: m.data[f] for f in L.MATERIAL_KEYS} for m in materials]
        url = data["online_url"]
        found = guide_rules.validate_guide({**data, "online_url": ""} if url in good_urls else data, material_data)
        if url and not any(p.field == "online_url" for p in found):
            good_urls.add(url)
        for p in found:
            rec, column = _place(p.field, impl, materials)
            if column is None or rec.ok(column):
                problems.text(rec.sheet, rec.row, column, p.code, p.text)
                if column:
                    rec.bad.add(column)
        guides[code] = Guide(impl, materials, data, material_data, guide_rules.content_hash(data, material_data))
    return guides
