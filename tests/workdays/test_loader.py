"""Loading a year's holiday schedule: both formats, every mistake named by line, all or nothing."""

from __future__ import annotations

from datetime import date
from importlib import resources
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.core.errors import Conflict, DomainError
from tongban.workdays import clock
from tongban.workdays.clock import CalendarGap
from tongban.workdays.loader import load_schedule
from tongban.workdays.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

# A made-up 2027 schedule; 2027 has 261 weekdays, 11 of them off here, and 3 make-up weekend days.
SCHEDULE_2027 = """\
# 2027 测试用安排（虚构）
year 2027
holiday 2027-01-01..2027-01-03 元旦
holiday 2027-02-06..2027-02-14 春节
workday 2027-01-31 春节调休
workday 2027-02-20 春节调休
holiday 2027-10-01..2027-10-07 国庆节
workday 2027-10-09 国庆节调休
"""
WORKING_DAYS_2027 = 261 - 11 + 3

CSV_2027 = """\
date,kind,name
2027-01-01,holiday,元旦
2027-02-08,holiday,春节
2027-02-20,workday,春节调休
2027-10-01,holiday,国庆节
"""


@pytest.fixture(autouse=True)
def fresh_clock():
    clock.forget()
    yield
    clock.forget()


def problems_of(exc: DomainError) -> list[tuple[str, str, str]]:
    return [(p.code, p.text.zh, p.text.en) for p in exc.problems]


# --- loading -------------------------------------------------------------------------------------------


def test_a_text_schedule_covers_its_year():
    years = load_schedule(SCHEDULE_2027, source="国办发明电〔2026〕99号")
    assert [y.year for y in years] == [2027]
    stored = CalendarYear.objects.get(year=2027)
    assert stored.source == "国办发明电〔2026〕99号"
    assert stored.note == "2027 测试用安排（虚构）"
    assert CalendarDay.objects.get(date=date(2027, 2, 20)).name == "春节调休"
    assert clock.working_days_in_year(2027) == WORKING_DAYS_2027
    assert not clock.is_working_day(date(2027, 2, 8)) and clock.is_working_day(date(2027, 1, 31))


def test_a_csv_schedule_in_a_file_saved_by_a_chinese_spreadsheet(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_bytes(CSV_2027.encode("gb18030"))
    load_schedule(str(path), source="测试")
    assert CalendarDay.objects.get(date=date(2027, 2, 8)).name == "春节"
    assert clock.working_days_in_year(2027) == 261 - 3 + 1


def test_the_shipped_table_passes_the_loaders_own_checks():
    shipped = resources.files("tongban.workdays").joinpath("data/calendar.csv").read_bytes()
    before = CalendarDay.objects.count()
    years = load_schedule(shipped, source="chinese-calendar 1.11.0", replace=True)
    assert [y.year for y in years] == list(range(2004, 2027))
    assert CalendarDay.objects.count() == before
    assert clock.working_days_in_year(2026) == 248


# --- mistakes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text", "code"),
    [
        ("holiday 2027-02-30 春节", "2027-02-30", "schedule_date"),
        ("holiday 2028-01-01 元旦", "2028-01-01", "schedule_year"),
        ("vacation 2027-05-01 劳动节", "vacation", "schedule_syntax"),
        ("workday 2027-05-06 劳动节调休", "2027-05-06", "schedule_weekday"),
        ("holiday 2027-05-05..2027-05-01 劳动节", "2027-05-05", "schedule_range"),
        ("workday 2027-10-02 国庆节调休", "2027-10-02", "schedule_conflict"),
        ("holiday 2027-10-03", "2027-10-03", "schedule_duplicate"),
        ("holiday 2027-05-01..2027-07-01", "2027-05-01", "schedule_range"),
    ],
)
def test_a_mistake_is_named_by_line_and_nothing_is_stored(line, text, code):
    schedule = SCHEDULE_2027 + line + "\n"
    number = schedule.count("\n")
    with pytest.raises(DomainError) as caught:
        load_schedule(schedule, source="测试")
    found = problems_of(caught.value)
    assert len(found) == 1, found
    got_code, zh, en = found[0]
    assert got_code == code
    assert zh.startswith(f"第{number}行：") and en.startswith(f"line {number}: ")
    assert text in zh and text in en
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_every_mistake_is_listed_at_once():
    schedule = "year 2027\nholiday 2027-13-01\nholiday 2027-01-01 元旦\nworkday 2027-01-04\nholiday 2027-10-01\n"
    with pytest.raises(DomainError) as caught:
        load_schedule(schedule, source="测试")
    assert [(p.code, p.text.en.split(":")[0]) for p in caught.value.problems] == [
        ("schedule_date", "line 2"),
        ("schedule_weekday", "line 4"),
    ]


def test_a_file_without_a_year_or_without_the_statutory_holidays_is_refused():
    with pytest.raises(DomainError) as caught:
        load_schedule("holiday 2027-01-01 元旦\nholiday 2027-10-01 国庆节\n", source="测试")
    assert [p.code for p in caught.value.problems] == ["schedule_no_year"]
    # A stray December make-up day alone must not make its year "covered".
    with pytest.raises(DomainError) as caught:
        load_schedule("date,kind,name\n2028-12-30,workday,元旦调休\n", source="测试")
    assert [p.code for p in caught.value.problems] == ["schedule_incomplete"]
    assert "2028-01-01" in caught.value.problems[0].text.zh
    assert not CalendarYear.objects.filter(year=2028).exists()


def test_a_csv_mistake_names_its_line():
    with pytest.raises(DomainError) as caught:
        load_schedule(CSV_2027 + "2027-03-03,workday,调休\n", source="测试")
    assert [(p.code, p.text.en.split(":")[0]) for p in caught.value.problems] == [("schedule_weekday", "line 6")]


def test_two_years_load_together_or_not_at_all():
    bad_2028 = SCHEDULE_2027 + "year 2028\nholiday 2028-01-01 元旦\nholiday 2028-10-01 国庆节\nworkday 2028-10-02\n"
    with pytest.raises(DomainError):
        load_schedule(bad_2028, source="测试")
    assert not CalendarYear.objects.filter(year__in=[2027, 2028]).exists()
    load_schedule(bad_2028.replace("workday 2028-10-02\n", ""), source="测试")
    assert set(CalendarYear.objects.filter(year__gte=2027).values_list("year", flat=True)) == {2027, 2028}


def test_a_missing_file_or_source_is_explained(tmp_path):
    with pytest.raises(DomainError) as caught:
        load_schedule(str(tmp_path / "nowhere.txt"), source="测试")
    assert caught.value.problems[0].code == "schedule_unreadable"
    with pytest.raises(DomainError) as caught:
        load_schedule(SCHEDULE_2027, source="  ")
    assert caught.value.problems[0].field == "source"


# --- replacing -----------------------------------------------------------------------------------------


def test_a_covered_year_is_not_overwritten_without_replace():
    before = list(CalendarDay.objects.filter(year__year=2026).values_list("date", "kind"))
    with pytest.raises(Conflict) as caught:
        load_schedule("year 2026\nholiday 2026-01-01 元旦\nholiday 2026-10-01 国庆节\n", source="测试")
    assert caught.value.status == 409
    problem = caught.value.problems[0]
    assert problem.code == "calendar_year_covered" and "2026" in problem.text.zh and "replace" in problem.text.en
    assert list(CalendarDay.objects.filter(year__year=2026).values_list("date", "kind")) == before
    assert clock.working_days_in_year(2026) == 248


def test_replace_swaps_the_days_and_keeps_the_year():
    first = load_schedule(SCHEDULE_2027, source="初版")[0]
    revised = SCHEDULE_2027.replace("workday 2027-10-09 国庆节调休\n", "workday 2027-09-26 国庆节调休\n")
    assert clock.is_working_day(date(2027, 10, 9))  # read before the swap, so the cache holds the old days
    second = load_schedule(revised, source="修订版", replace=True)[0]
    assert second.pk == first.pk
    assert CalendarYear.objects.get(year=2027).source == "修订版"
    assert not clock.is_working_day(date(2027, 10, 9)) and clock.is_working_day(date(2027, 9, 26))
    assert clock.working_days_in_year(2027) == WORKING_DAYS_2027


def test_a_failed_replace_leaves_the_old_schedule():
    load_schedule(SCHEDULE_2027, source="初版")
    with pytest.raises(DomainError):
        load_schedule(SCHEDULE_2027 + "workday 2027-03-03\n", source="修订版", replace=True)
    assert CalendarYear.objects.get(year=2027).source == "初版"
    assert clock.working_days_in_year(2027) == WORKING_DAYS_2027


# --- the command and the admin -------------------------------------------------------------------------


def test_the_command_loads_and_lists(tmp_path):
    path = tmp_path / "2027.txt"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    out = StringIO()
    call_command("load_calendar", str(path), source="国办发明电〔2026〕99号", stdout=out)
    assert f"2027: {WORKING_DAYS_2027} working days" in out.getvalue()
    listed = StringIO()
    call_command("load_calendar", "--list", stdout=listed)
    lines = listed.getvalue().splitlines()
    assert "2026\t248\tchinese-calendar 1.11.0" in lines
    assert f"2027\t{WORKING_DAYS_2027}\t国办发明电〔2026〕99号" in lines


def test_the_command_fails_with_the_reason_in_both_languages(tmp_path):
    path = tmp_path / "2027.txt"
    path.write_text(SCHEDULE_2027 + "workday 2027-03-03\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("load_calendar", str(path), source="测试")
    message = str(caught.value)
    assert "第9行" in message and "line 9" in message
    assert caught.value.returncode != 0
    with pytest.raises(CommandError):
        call_command("load_calendar", str(path))  # no --source
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    call_command("load_calendar", str(path), source="测试", stdout=StringIO())
    with pytest.raises(CommandError, match="--replace"):
        call_command("load_calendar", str(path), source="测试")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password="a-long-password-1"))
    return client


def test_the_admin_lists_years_with_their_working_days_and_offers_the_upload(admin_client):
    page = admin_client.get("/admin/workdays/calendaryear/").content.decode()
    assert "/admin/workdays/calendaryear/upload/" in page
    assert '<td class="field-working_days">248</td>' in page
    year = CalendarYear.objects.get(year=2026)
    detail = admin_client.get(f"/admin/workdays/calendaryear/{year.pk}/change/").content.decode()
    assert "2026-02-14" in detail and "春节" in detail


def test_the_admin_upload_loads_a_schedule_or_shows_the_line(admin_client):
    url = "/admin/workdays/calendaryear/upload/"
    assert admin_client.get(url).status_code == 200
    bad = SimpleUploadedFile("2027.txt", (SCHEDULE_2027 + "workday 2027-03-03\n").encode())
    page = admin_client.post(url, {"file": bad, "source": "测试"}).content.decode()
    assert "第9行" in page
    assert not CalendarYear.objects.filter(year=2027).exists()
    good = SimpleUploadedFile("2027.txt", SCHEDULE_2027.encode())
    response = admin_client.post(url, {"file": good, "source": "国办发明电〔2026〕99号"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕99号"
    with pytest.raises(CalendarGap):
        clock.is_working_day(date(2028, 1, 3))
    assert clock.working_days_in_year(2027) == WORKING_DAYS_2027


def test_the_upload_is_for_staff_with_the_add_permission(client):
    client.force_login(User.objects.create_user("clerk", password="a-long-password-1", is_staff=True))
    good = SimpleUploadedFile("2027.txt", SCHEDULE_2027.encode())
    response = client.post("/admin/workdays/calendaryear/upload/", {"file": good, "source": "测试"})
    assert response.status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_a_year_added_by_hand_needs_its_statutory_holidays_and_weekend_make_up_days(admin_client):
    def post(*days: tuple[str, str]):
        data = {
            "year": "2028",
            "source": "手工录入",
            "note": "",
            "days-TOTAL_FORMS": str(len(days)),
            "days-INITIAL_FORMS": "0",
            "days-MIN_NUM_FORMS": "0",
            "days-MAX_NUM_FORMS": "1000",
        }
        for i, (day, kind) in enumerate(days):
            data |= {f"days-{i}-date": day, f"days-{i}-kind": kind, f"days-{i}-name": ""}
        return admin_client.post("/admin/workdays/calendaryear/add/", data)

    empty = post()  # an empty year would make every weekday a working day
    assert empty.status_code == 200 and "2028-01-01, 2028-10-01" in empty.content.decode()
    assert post(("2028-01-01", "holiday"), ("2028-10-01", "holiday"), ("2028-10-09", "workday")).status_code == 200
    assert not CalendarYear.objects.filter(year=2028).exists()
    assert post(("2028-01-01", "holiday"), ("2028-10-01", "holiday"), ("2028-10-08", "workday")).status_code == 302
    assert clock.is_working_day(date(2028, 10, 2))  # an ordinary Monday
    assert clock.is_working_day(date(2028, 10, 8))  # the Sunday made a working day
    assert not clock.is_working_day(date(2028, 1, 1))
