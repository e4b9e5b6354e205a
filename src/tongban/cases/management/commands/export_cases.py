"""`tongban export_cases --from DATE --to DATE [--full] [--output FILE]`: national exchange records."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.cases.national_export import lines


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name}: 日期格式应为 YYYY-MM-DD / write the date as YYYY-MM-DD ({value!r})") from exc


class Command(BaseCommand):
    help = "Export the cases that arrived in a date range in the national platform's exchange shape (JSON lines)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first arrival day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last arrival day, YYYY-MM-DD")
        parser.add_argument("--full", action="store_true", help="whole document numbers (for the national platform)")
        parser.add_argument("--output", default="-", help="file to write; - for standard output")

    def handle(self, *args: Any, start: str, end: str, full: bool, output: str, **options: Any) -> None:
        first, last = _day(start, "--from"), _day(end, "--to")
        if last < first:
            raise CommandError("--to 早于 --from / --to is before --from")
        out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            count = 0
            for line in lines(first, last, full=full):
                out.write(line)
                count += 1
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"exported {count} cases")
