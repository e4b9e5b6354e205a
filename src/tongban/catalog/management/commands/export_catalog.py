"""`tongban export_catalog FILE.json|FILE.xlsx [--region CODE]`: write the catalog in the exchange layout."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.catalog.models import Region
from tongban.catalog.transfer import CatalogExportError, export_catalog
from tongban.catalog.transfer import layout as L


class Command(BaseCommand):
    help = (
        "Export the catalog (事项库导出) to a .json or .xlsx file in the layout of docs/catalog-import.md: "
        "departments, items, implementations with the guide in force, materials and agreements."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="target file, ending in .json or .xlsx")
        parser.add_argument("--region", help="only this GB/T 2260 region and the divisions inside it")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        region = options.get("region")
        if region and not Region.objects.filter(code=region).exists():
            raise CommandError(f"行政区划代码“{region}”不存在 (there is no region with code '{region}')")
        try:
            counts = export_catalog(options["file"], region_code=region)
        except OSError as exc:
            raise CommandError(f"无法写入文件 (cannot write the file): {exc}") from exc
        except CatalogExportError as exc:
            for problem in exc.located:
                self.stderr.write(str(problem))
            raise CommandError(
                f"导出失败，共{len(exc.located)}个问题 (export failed: {len(exc.located)} problems)"
            ) from exc
        for sheet in L.SHEETS:
            self.stdout.write(f"{sheet.title} ({sheet.key}): {counts[sheet.key]}")
        if counts["skipped_without_guide"]:
            self.stdout.write(
                f"未导出没有生效指南的实施清单 {counts['skipped_without_guide']} 个 "
                f"(implementations without a published guide, left out: {counts['skipped_without_guide']})"
            )
        self.stdout.write(f"已写入 written: {options['file']}")
