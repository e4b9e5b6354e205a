"""`tongban lifecycle_diagram`: write the case lifecycle (diagram and table) to docs/case-lifecycle.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from tongban.cases.lifecycle_doc import DOC_PATH, render


class Command(BaseCommand):
    help = "Render the case lifecycle table as Markdown with a Mermaid diagram (default: docs/case-lifecycle.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default=DOC_PATH, help="file to write; - for standard output")

    def handle(self, *args: Any, output: str = DOC_PATH, **options: Any) -> None:
        text = render()
        if output == "-":
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {output}")
