"""Load the working-day calendar for 2004–2026 shipped in data/calendar.csv (built by scripts/build_calendar.py)."""

import csv
import datetime
from importlib import resources

from django.db import migrations

SOURCE = "chinese-calendar 1.11.0"
YEARS = range(2004, 2027)
NOTE = "各年《国务院办公厅关于部分节假日安排的通知》，由 chinese-calendar 1.11.0 转录"


def load_calendar(apps, schema_editor):
    CalendarYear = apps.get_model("workdays", "CalendarYear")
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    with resources.files("tongban.workdays").joinpath("data/calendar.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    years = {
        y.year: y
        for y in CalendarYear.objects.bulk_create(
            [CalendarYear(year=y, source=SOURCE, note=NOTE) for y in YEARS]
        )
    }
    if any(y.pk is None for y in years.values()):  # backends that do not return keys from bulk inserts
        years = {y.year: y for y in CalendarYear.objects.filter(year__in=YEARS)}
    days = []
    for row in rows:
        day = datetime.date.fromisoformat(row["date"])
        days.append(CalendarDay(year=years[day.year], date=day, kind=row["kind"], name=row["name"]))
    CalendarDay.objects.bulk_create(days, batch_size=500)


def unload_calendar(apps, schema_editor):
    # Days go with their year (on_delete=CASCADE).
    apps.get_model("workdays", "CalendarYear").objects.filter(year__in=YEARS, source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]
    operations = [migrations.RunPython(load_calendar, unload_calendar)]
