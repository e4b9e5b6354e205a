"""`tongban import_catalog FILE [--dry-run]`: check a whole exchange file, then write all of it or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.catalog.transfer import CatalogImportError, import_catalog
from tongban.identity.actor import SYSTEM


class Command(BaseCommand):
    help = (
        "Import the catalog (事项库导入) from a .json or .xlsx file in the layout of docs/catalog-import.md. "
        "Every row is checked first; on any problem every problem is printed and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .json or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            report = import_catalog(SYSTEM, options["file"], dry_run=options["dry_run"])
        except CatalogImportError as exc:
            for problem in exc.located:
                self.stderr.write(str(problem))
            raise CommandError(
                f"导入失败：共{len(exc.located)}个问题，未写入任何数据 "
                f"(import refused: {len(exc.located)} problems, nothing was written)"
            ) from exc
        for line in report.lines():
            self.stdout.write(line)
