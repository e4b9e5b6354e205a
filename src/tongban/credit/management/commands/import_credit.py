"""`tongban import_credit FILE --source NAME`: import a credit list of another body, all rows or none."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.errors import DomainError
from tongban.credit.services import import_entries
from tongban.identity.actor import SYSTEM


class Command(BaseCommand):
    help = (
        "Import a credit list (信用名单) published by another body from a .csv (UTF-8, header row) or .json file "
        "in the layout of docs/credit.md. Every row is checked first; on any problem every problem is printed "
        "and nothing is written. Rows already imported from the same source are skipped. The entries are "
        "placed in this node's region (TONGBAN_REGION)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .json file")
        parser.add_argument("--source", required=True, help="the body that published the list, e.g. 信用中国（河南）")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path} (no such file: {path})")
        try:
            with path.open("rb") as upload:
                batch = import_entries(SYSTEM, upload=upload, name=path.name, source_name=options["source"])
        except DomainError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{problem.field or ''}: {problem.text.zh} ({problem.text.en})")
            raise CommandError(
                f"导入失败：共{len(exc.problems)}个问题，未写入任何数据 "
                f"(import refused: {len(exc.problems)} problems, nothing was written)"
            ) from exc
        self.stdout.write(f"imported {batch.rows}, skipped {batch.skipped}")
