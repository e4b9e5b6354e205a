"""``tongban bundle_savings``: form fields and materials through each published bundle against item by item."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.bundles import savings


class Command(BaseCommand):
    help = (
        "Print, as a Markdown table, how many form fields and materials the applicant gives through each "
        "published bundle against applying item by item, and which materials come from earlier results. "
        "--write FILE replaces the table between the bundle-savings markers in FILE (docs/bundles.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--write", metavar="FILE", help="replace the table between the markers in FILE")

    def handle(self, *args: Any, write: str | None = None, **options: Any) -> None:
        if not write:
            self.stdout.write(savings.markdown(), ending="")
            return
        try:
            savings.write(write)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"wrote the savings table to {write}")
