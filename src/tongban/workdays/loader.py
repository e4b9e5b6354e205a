"""Loading a year's holiday schedule (节假日安排) into the working-day calendar.

Late each year the State Council publishes the next year's schedule; an administrator types it into a
small file and loads it here (``tongban load_calendar FILE --source …`` or the admin's upload button).
Two formats are read:

CSV, the shipped data's format (data/calendar.csv); the years loaded are those of the dates::

    date,kind,name
    2027-01-01,holiday,元旦

Text, one day or range of days a line; ``#`` starts a comment line, kept as the year's note::

    # 2027 国务院办公厅关于2027年部分节假日安排的通知
    year 2027
    holiday 2027-01-01..2027-01-03 元旦
    workday 2027-02-06 春节调休

``holiday`` marks days off (statutory holidays and the rest days joined to them, weekends included);
``workday`` marks a Saturday or Sunday made a working day (调休上班日). 休/放假 and 班/上班 are accepted as
the kinds, ``~`` and ``至`` as range marks. Nothing is written unless the whole file is valid.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.core.errors import Conflict, DomainError, Problem
from tongban.core.messages import Text
from tongban.workdays import clock
from tongban.workdays.models import CalendarDay, CalendarYear, DayKind, statutory_days

FIELD = "file"
MAX_PROBLEMS = 20
NAME_LENGTH = CalendarDay._meta.get_field("name").max_length
LONGEST_RANGE = 31  # days; no holiday has come near it (2020's extended 春节 was 10), so longer is a typo

KINDS = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
}
_DATE = r"\d{4}[-/]\d{1,2}[-/]\d{1,2}"
_RANGE = re.compile(rf"^(?P<first>{_DATE})(?:\s*(?:\.\.|~|至)\s*(?P<last>{_DATE}))?(?:\s+(?P<name>.*))?$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class _Day:
    line: int
    day: date
    kind: str
    name: str


class _Problems:
    """Collects every problem in the file, so the administrator fixes them in one go."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, line: int | None, code: str, zh: str, en: str) -> None:
        if line is not None:
            zh, en = f"第{line}行：{zh}", f"line {line}: {en}"
        problem = Problem(FIELD, code, Text(zh, en))
        if problem not in self.items:  # a bad range would otherwise repeat one complaint per day
            self.items.append(problem)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_PROBLEMS]
        if len(self.items) > MAX_PROBLEMS:
            more = len(self.items) - MAX_PROBLEMS
            shown.append(Problem(FIELD, "schedule_more", Text(f"另有{more}处错误未列出", f"and {more} more problems")))
        raise DomainError(shown)


def load_schedule(
    path_or_text: str | Path | bytes,
    *,
    source: str,
    replace: bool = False,
    note: str | None = None,
) -> list[CalendarYear]:
    """Check a schedule file and store its years; returns them, earliest first.

    ``path_or_text`` is a path (a ``Path``, or a one-line ``str``), the file's text (a ``str`` with line
    breaks) or its bytes (UTF-8 or GB18030). ``source`` names where it comes from, e.g. "国办发明电〔2026〕x号".
    A year already covered is refused unless ``replace`` is true; then its days are swapped in one
    transaction. ``note`` defaults to the file's comment lines. Raises DomainError naming the line and reason.
    """
    source = source.strip()
    if not source or len(source) > CalendarYear._meta.get_field("source").max_length:
        raise DomainError.single(
            "source",
            "schedule_source",
            "请注明来源（如国务院办公厅通知的文号），不超过200字",
            "give the source (e.g. the State Council notice's number), at most 200 characters",
        )
    text = _text(path_or_text)
    years, days, comments = _parse(text)
    return _store(years, days, source=source, replace=replace, note="\n".join(comments) if note is None else note)


def _text(path_or_text: str | Path | bytes) -> str:
    if isinstance(path_or_text, str) and ("\n" in path_or_text or "\r" in path_or_text):
        return path_or_text.lstrip("\ufeff")
    if isinstance(path_or_text, bytes):
        raw = path_or_text
    else:
        try:
            raw = Path(path_or_text).read_bytes()
        except OSError as exc:
            raise DomainError.single(
                FIELD,
                "schedule_unreadable",
                f"无法读取文件 {path_or_text}：{exc.strerror}",
                f"cannot read {path_or_text}: {exc.strerror}",
            ) from None
    # Spreadsheets on Chinese Windows save CSV in GB18030 (GBK); everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError.single(
        FIELD,
        "schedule_encoding",
        "文件编码无法识别，请另存为UTF-8",
        "the file's encoding is not recognised; save it as UTF-8",
    )


def _parse(text: str) -> tuple[dict[int, int | None], list[_Day], list[str]]:
    """Years (→ the line declaring them, None for CSV), days and comment lines; raises on any problem."""
    lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")), "")
    problems = _Problems()
    if first.replace(" ", "").lower().startswith("date,kind"):
        years, days, comments = _parse_csv(text, problems)
    else:
        years, days, comments = _parse_text(lines, problems)
    # A line that did not parse may be the missing 元旦, so completeness is only judged on a clean parse.
    _check(years, days, problems, completeness=not problems.items)
    problems.raise_if_any()
    return years, days, comments


def _parse_date(value: str, line: int, problems: _Problems) -> date | None:
    value = value.strip()
    try:
        if not re.fullmatch(_DATE, value):
            raise ValueError
        y, m, d = (int(part) for part in re.split(r"[-/]", value))
        return date(y, m, d)
    except ValueError:
        problems.add(
            line,
            "schedule_date",
            f"日期“{value}”无法识别，应写作2027-01-01",
            f"'{value}' is not a date like 2027-01-01",
        )
        return None


def _kind(value: str, line: int, problems: _Problems) -> str | None:
    kind = KINDS.get(value.strip().lower())
    if kind is None:
        problems.add(
            line,
            "schedule_kind",
            f"类型“{value}”无法识别，应为 holiday（放假）或 workday（调休上班）",
            f"unknown kind '{value}': expected holiday or workday",
        )
    return kind


def _parse_csv(text: str, problems: _Problems) -> tuple[dict[int, int | None], list[_Day], list[str]]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    days: list[_Day] = []
    comments: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if row[0].strip().startswith("#"):
            comments.append(",".join(row).strip().lstrip("#").strip())
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            if header[:2] != ["date", "kind"] or len(header) > 3 or (len(header) == 3 and header[2] != "name"):
                problems.add(line, "schedule_header", "表头应为 date,kind,name", "the header must be date,kind,name")
                return {}, [], comments
            continue
        if len(row) > len(header) or len(row) < 2:
            problems.add(
                line,
                "schedule_columns",
                f"应有{len(header)}列，实有{len(row)}列",
                f"expected {len(header)} columns, found {len(row)}",
            )
            continue
        day = _parse_date(row[0], line, problems)
        kind = _kind(row[1], line, problems)
        name = row[2].strip() if len(row) > 2 else ""
        if day is not None and kind is not None:
            days.append(_Day(line, day, kind, name))
    # A CSV states no years: it covers the years its dates fall in.
    return {d.day.year: None for d in days}, days, comments


def _parse_text(lines: list[str], problems: _Problems) -> tuple[dict[int, int | None], list[_Day], list[str]]:
    years: dict[int, int | None] = {}
    days: list[_Day] = []
    comments: list[str] = []
    for line, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comments.append(stripped.lstrip("#").strip())
            continue
        keyword, rest = ([*re.split(r"\s+", stripped, maxsplit=1), ""])[:2]
        keyword = keyword.lower()
        if keyword in ("year", "年份"):
            if not _YEAR.match(rest):
                problems.add(line, "schedule_year", f"年份“{rest}”应为四位数字", f"'{rest}' is not a four-digit year")
            else:
                years.setdefault(int(rest), line)
            continue
        if keyword not in KINDS:
            problems.add(
                line,
                "schedule_syntax",
                f"无法识别“{stripped}”：每行应以 year、holiday 或 workday 开头",
                f"cannot read '{stripped}': a line starts with year, holiday or workday",
            )
            continue
        kind = KINDS[keyword]
        match = _RANGE.match(rest)
        if match is None:
            problems.add(
                line,
                "schedule_date",
                f"“{rest}”应为日期或日期范围，如 2027-01-01..2027-01-03",
                f"'{rest}' is not a date or range like 2027-01-01..2027-01-03",
            )
            continue
        first = _parse_date(match["first"], line, problems)
        last = _parse_date(match["last"], line, problems) if match["last"] else first
        if first is None or last is None:
            continue
        if last < first:
            problems.add(
                line,
                "schedule_range",
                f"日期范围颠倒：{first}晚于{last}",
                f"the range is reversed: {first} is after {last}",
            )
            continue
        if (last - first).days + 1 > LONGEST_RANGE:
            problems.add(
                line,
                "schedule_range",
                f"{first}至{last}长达{(last - first).days + 1}天，超过{LONGEST_RANGE}天，请核对",
                f"{first}..{last} spans {(last - first).days + 1} days, more than {LONGEST_RANGE}; check it",
            )
            continue
        name = (match["name"] or "").strip()
        for offset in range((last - first).days + 1):
            days.append(_Day(line, first + timedelta(days=offset), kind, name))
    if not years:
        problems.add(None, "schedule_no_year", "文件中没有“year 年份”行", "the file has no 'year YYYY' line")
    return years, days, comments


def _check(years: dict[int, int | None], days: list[_Day], problems: _Problems, *, completeness: bool) -> None:
    if not days and completeness:
        problems.add(None, "schedule_empty", "文件中没有任何日期", "the file lists no days")
        return
    seen: dict[date, _Day] = {}
    for entry in days:
        day = entry.day
        if years and day.year not in years:  # with no year line at all, that one complaint says it
            problems.add(
                entry.line,
                "schedule_year",
                f"{day}不在声明的年份（{_years_text(years)}）内",
                f"{day} is outside the declared year(s) ({_years_text(years)})",
            )
        if entry.kind == DayKind.WORKDAY and day.weekday() < 5:
            problems.add(
                entry.line,
                "schedule_weekday",
                f"{day}是工作日（周一至周五），调休上班日只能是周六或周日",
                f"{day} is a weekday; a make-up working day must be a Saturday or Sunday",
            )
        if len(entry.name) > NAME_LENGTH:
            problems.add(
                entry.line,
                "schedule_name",
                f"名称超过{NAME_LENGTH}字",
                f"the name is longer than {NAME_LENGTH} characters",
            )
        earlier = seen.get(day)
        if earlier is None:
            seen[day] = entry
        elif earlier.kind != entry.kind:
            problems.add(
                entry.line,
                "schedule_conflict",
                f"{day}既是节假日又是调休上班日（见第{earlier.line}行）",
                f"{day} is both a holiday and a make-up working day (see line {earlier.line})",
            )
        else:
            problems.add(
                entry.line,
                "schedule_duplicate",
                f"{day}已在第{earlier.line}行列出",
                f"{day} is already listed on line {earlier.line}",
            )
    # A schedule without the statutory days off is a partial one, e.g. a stray December make-up day
    # that would otherwise "cover" its year.
    for year, line in years.items() if completeness else ():
        off = {d for d, e in seen.items() if e.kind == DayKind.HOLIDAY and d.year == year}
        missing = [d for d in statutory_days(year) if d not in off]
        if missing:
            problems.add(
                line,
                "schedule_incomplete",
                f"{year}年的安排不完整：缺少法定节假日{'、'.join(map(str, missing))}",
                f"the {year} schedule is incomplete: statutory holiday(s) {', '.join(map(str, missing))} missing",
            )


def _years_text(years: dict[int, int | None]) -> str:
    return ", ".join(str(y) for y in sorted(years)) or "-"


def _store(
    years: dict[int, int | None], days: list[_Day], *, source: str, replace: bool, note: str
) -> list[CalendarYear]:
    try:
        with transaction.atomic():
            existing = {y.year: y for y in CalendarYear.objects.select_for_update().filter(year__in=years)}
            if existing and not replace:
                listed = ", ".join(str(y) for y in sorted(existing))
                raise Conflict.single(
                    FIELD,
                    "calendar_year_covered",
                    f"{listed}年的工作日历已载入；如需以新安排替换，请选择“替换”（--replace）",
                    f"the calendar for {listed} is already loaded; choose replace (--replace) to swap it",
                )
            now = timezone.now()
            stored: dict[int, CalendarYear] = {}
            for year in sorted(years):
                row = existing.get(year) or CalendarYear(year=year)
                row.source, row.note, row.loaded_at = source, note, now
                row.save()
                stored[year] = row
            CalendarDay.objects.filter(year__in=list(existing.values())).delete()
            CalendarDay.objects.bulk_create(
                [CalendarDay(year=stored[d.day.year], date=d.day, kind=d.kind, name=d.name) for d in days],
                batch_size=500,
            )
            transaction.on_commit(clock.forget)
    except IntegrityError:
        # Another load of the same year won the race; its transaction committed first.
        raise Conflict.single(
            FIELD,
            "calendar_year_covered",
            "另一次载入同时写入了相同年份，请刷新后重试",
            "another load wrote the same year at the same time; reload and try again",
        ) from None
    clock.forget()
    return [stored[y] for y in sorted(stored)]


def describe(exc: DomainError) -> str:
    """The problems one per line, Chinese then English, for the command line."""
    return "\n".join(f"{p.text.zh} / {p.text.en}" for p in exc.problems)
