"""Build src/tongban/workdays/data/calendar.csv from the chinese-calendar package's tables.

Source: PyPI package `chinese-calendar` 1.11.0, module `chinese_calendar.constants`, which transcribes the
State Council's yearly holiday notices (国务院办公厅关于部分节假日安排的通知) for 2004–2026.
Usage: pip install chinese-calendar==1.11.0 && python scripts/build_calendar.py

Only the exceptions to the week are written: every day the package names as a holiday (法定节假日 and the
rest days joined to it, on weekdays and weekends alike) and every make-up working day (调休上班日). Names
are the ones the State Council's notices use; a make-up day is named after the holiday it pays for.
"""

from __future__ import annotations

import csv
import importlib.metadata
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src/tongban/workdays/data/calendar.csv"
EXPECTED_VERSION = "1.11.0"
FIRST_YEAR, LAST_YEAR = 2004, 2026

# The package's English keys → the names in the State Council's notices.
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def main() -> int:
    version = importlib.metadata.version("chinese-calendar")
    if version != EXPECTED_VERSION:
        # The data migration records the source version; a different table must not be shipped under that label.
        print(f"chinese-calendar {version} installed; this script expects {EXPECTED_VERSION}", file=sys.stderr)
        return 1
    from chinese_calendar import constants

    rows: list[tuple[str, str, str]] = []
    for day, key in constants.holidays.items():
        rows.append((day.isoformat(), "holiday", NAMES[key]))
    for day, key in constants.workdays.items():
        if day.weekday() < 5:
            print(f"{day}: a make-up working day on a weekday; not the table this script expects", file=sys.stderr)
            return 1
        rows.append((day.isoformat(), "workday", f"{NAMES[key]}调休"))
    rows.sort()
    years = {int(r[0][:4]) for r in rows}
    if years != set(range(FIRST_YEAR, LAST_YEAR + 1)):
        print(f"years in the table: {sorted(years)}; expected {FIRST_YEAR}–{LAST_YEAR}", file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["date", "kind", "name"])
        w.writerows(rows)
    print(f"wrote {len(rows)} days for {FIRST_YEAR}–{LAST_YEAR} to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
