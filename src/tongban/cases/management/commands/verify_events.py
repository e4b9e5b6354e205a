"""`tongban verify_events [CASE_NUMBER ...]`: check the hash chain of case events (all cases by default)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.cases.events import verify_chain
from tongban.cases.models import Case


class Command(BaseCommand):
    help = "Check that every case's event record is intact; reports the first broken link of each case."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("numbers", nargs="*", help="case numbers (default: every case)")

    def handle(self, *args: Any, numbers: list[str], **options: Any) -> None:
        cases = Case.objects.filter(number__in=numbers) if numbers else Case.objects.all()
        found = set(cases.values_list("number", flat=True))
        missing = [n for n in numbers if n not in found]
        if missing:
            raise CommandError(f"办件不存在 / no such case: {', '.join(missing)}")
        broken = 0
        checked = 0
        for case in cases.order_by("id").iterator():
            report = verify_chain(case)
            checked += 1
            if not report.intact:
                broken += 1
                self.stdout.write(
                    f"{case.number}: 第{report.broken_at}条事件链接断裂 / broken at event {report.broken_at}: "
                    f"{report.reason}"
                )
        self.stdout.write(f"checked {checked} cases, {broken} broken")
        if broken:
            raise CommandError(f"{broken} case(s) have a broken event chain")
