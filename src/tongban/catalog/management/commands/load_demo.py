"""``manage.py load_demo``: the demo catalog, loaded once; running it again changes nothing."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from tongban.catalog.demo import load_demo


class Command(BaseCommand):
    help = ("Load the demo catalog: the pilot regions' departments and halls, 跨省通办 items, guides and "
            "agreements. Idempotent: rows already present are left alone.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        counts = load_demo()
        elapsed = time.monotonic() - started
        if not any(counts.values()):
            self.stdout.write(f"demo catalog already loaded; nothing created ({elapsed:.1f} s)")
            return
        created = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"demo catalog loaded in {elapsed:.1f} s: {created} created"))
