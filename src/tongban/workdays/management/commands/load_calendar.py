from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.errors import DomainError
from tongban.workdays import clock
from tongban.workdays.loader import describe, load_schedule
from tongban.workdays.models import CalendarYear


class Command(BaseCommand):
    help = (
        "Load a year's holiday schedule (国务院节假日安排) into the working-day calendar from a CSV "
        "(date,kind,name) or text file (year / holiday / workday lines); --list shows the years covered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="schedule file (CSV or text)")
        parser.add_argument("--source", help="where the schedule comes from, e.g. 国办发明电〔2026〕x号")
        parser.add_argument("--replace", action="store_true", help="replace years already loaded")
        parser.add_argument("--list", action="store_true", help="list the years covered and their working days")

    def handle(self, *args, **options) -> None:
        if options["list"]:
            self._list()
            return
        if not options["file"]:
            raise CommandError("请给出节假日安排文件，或用 --list 查看已载入的年份 / give a schedule file, or --list")
        if not options["source"]:
            raise CommandError("请用 --source 注明来源（如通知文号） / give the schedule's source with --source")
        try:
            years = load_schedule(options["file"], source=options["source"], replace=options["replace"])
        except DomainError as exc:
            raise CommandError(describe(exc)) from None
        for year in years:
            self.stdout.write(f"{year.year}: {clock.working_days_in_year(year.year)} working days ({year.source})")

    def _list(self) -> None:
        years = list(CalendarYear.objects.order_by("year"))
        if not years:
            self.stdout.write("no years loaded / 尚未载入任何年份")
            return
        for year in years:
            self.stdout.write(f"{year.year}\t{clock.working_days_in_year(year.year)}\t{year.source}")
