"""Shared set-up for the benchmarks: a throwaway working folder and Django on the chosen database.

SQLite in a temporary folder by default; PostgreSQL when TONGBAN_DATABASE_URL is set (for example
through scripts/with_postgres.py). Import this module before anything that touches Django.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TONGBAN_VAR_DIR", tempfile.mkdtemp(prefix="tongban-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def prepare_database() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def database() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} (WAL)"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
