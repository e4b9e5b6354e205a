"""Speed of the clock: deadline() and progress() calls per second, as a case list computes them per row.

    python bench/clock_speed.py [--calls 100000]
    python scripts/with_postgres.py python bench/clock_speed.py      # on PostgreSQL

Migrates a throwaway database (the calendar comes with the data migration), reads the covered years once,
then times ``--calls`` pairs of deadline() + progress() over varied start dates in 2025–2026, units, limits
and suspensions. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import _setup

from tongban.workdays import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def cases(count: int, seed: int = 20260101) -> list[tuple[datetime, int, str, tuple[clock.Interval, ...], datetime]]:
    """Start, limit, unit, suspensions and "now" for ``count`` made-up cases, mostly working-day limits."""
    rng = random.Random(seed)
    first = datetime(2025, 1, 1, 8, 30, tzinfo=SHANGHAI)
    rows = []
    for _ in range(count):
        start = first + timedelta(days=rng.randrange(0, 600), minutes=rng.randrange(0, 600))
        unit = rng.choices(["working_days", "calendar_days", "hours"], weights=[8, 1, 1])[0]
        limit = rng.choice([1, 3, 5, 10, 15, 20, 30]) if unit != "hours" else rng.choice([1, 2, 4])
        suspended: tuple[clock.Interval, ...] = ()
        if rng.random() < 0.2:
            pause = start + timedelta(days=rng.randrange(1, 5))
            suspended = (clock.Interval(pause, pause + timedelta(days=rng.randrange(1, 10))),)
        now = start + timedelta(days=rng.randrange(0, 40), hours=rng.randrange(0, 10))
        rows.append((start, limit, unit, suspended, now))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="deadline() + progress() pairs to time")
    args = parser.parse_args()

    _setup.prepare_database()
    rows = cases(args.calls)
    clock.forget()
    for year in range(2025, 2027):  # the first look at a year reads it; time the steady state
        clock.working_days_in_year(year)

    began = time.perf_counter()
    for start, limit, unit, suspended, now in rows:
        due = clock.deadline(start, limit, unit, suspended=suspended, now=now)
        clock.progress(start, due, suspended=suspended, now=now, warn_days=2)
    elapsed = time.perf_counter() - began

    print(f"machine: {_setup.machine()}")
    print(f"database: {_setup.database()}")
    print(f"{args.calls:,} deadline() + progress() pairs in {elapsed:.2f} s")
    print(f"{args.calls / elapsed:,.0f} pairs/s, {2 * args.calls / elapsed:,.0f} calls/s")
    print(f"a million pairs would take about {1_000_000 / (args.calls / elapsed):.1f} s")


if __name__ == "__main__":
    main()
