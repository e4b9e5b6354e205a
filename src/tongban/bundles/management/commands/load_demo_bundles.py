"""``tongban load_demo_bundles``: the demo 一件事 bundles over the demo catalog; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.bundles.demo import MissingDemoData, load_demo_bundles


class Command(BaseCommand):
    help = (
        "Define and publish the demo life-event bundles (新生儿出生一件事, 企业开办一件事, 退休一件事) over the "
        "demo catalog (load it first with load_demo). Idempotent: bundles already present are left alone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_demo_bundles()
        except MissingDemoData as exc:
            raise CommandError(str(exc)) from exc
        if not counts["bundles"]:
            self.stdout.write("demo bundles already loaded; nothing created")
            return
        self.stdout.write(self.style.SUCCESS(f"demo bundles loaded: {counts['bundles']} bundles created"))
