"""Importing credit lists of other bodies: CSV and JSON, all or nothing, every problem at once, re-imports
skipped, repair rows linked, and the import_credit command."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.credit import make as cm
from tests.identity import make
from tongban.core.errors import Conflict, DomainError
from tongban.credit import importing, services
from tongban.credit.models import CreditEntry, CreditImport
from tongban.identity.actor import actor_for_user
from tongban.identity.denied import PolicyDenied

pytestmark = pytest.mark.django_db

SOURCE = "信用中国（河南）"


def refused(data: bytes, name: str = "list.csv") -> list[tuple[str, str]]:
    with pytest.raises(DomainError) as caught:
        cm.import_file(data, name)
    assert not CreditEntry.objects.exists() and not CreditImport.objects.exists()
    return [(p.field, p.code) for p in caught.value.problems]


def test_a_good_csv_with_a_bom_is_imported_with_its_source():
    person, uscc = make.resident_id(), f.uscc(category="91")
    data = cm.csv_bytes(
        f"person,{person},王五,dishonest,2026-03-01,,豫失信〔2026〕12号,拒不履行,HN-2026-0001,",
        f"organisation,{uscc.lower()},信阳某公司,false_commitment,2026-04-02,2029-04-01,,,HN-2026-0002,",
        bom=True,
    )
    batch = cm.import_file(data, "豫信用名单.csv")
    assert (batch.rows, batch.skipped, batch.format, batch.file_name) == (2, 0, "csv", "豫信用名单.csv")
    assert batch.source_name == SOURCE and len(batch.sha256) == 64 and batch.region_id == "411500"
    first, second = CreditEntry.objects.order_by("source_ref")
    assert (first.subject_code, first.kind, first.decision, first.note) == (
        person,
        "dishonest",
        "豫失信〔2026〕12号",
        "拒不履行",
    )
    assert (second.subject_code, second.valid_until) == (uscc, date(2029, 4, 1))
    for entry in (first, second):
        assert (entry.source, entry.source_name, entry.batch) == ("import", SOURCE, batch)
    assert not services.eligibility(subject_type="person", subject_code=person, privilege="commitment")


def test_a_good_json_file_is_imported():
    code = make.resident_id()
    rows = [
        {
            "subject_type": "person",
            "subject_code": code,
            "subject_name": "王五",
            "kind": "broken_commitment",
            "occurred_on": "2026-05-06",
            "source_ref": "J-1",
        },
        {
            "subject_type": "person",
            "subject_code": code,
            "subject_name": "王五",
            "kind": "repair",
            "occurred_on": "2026-06-01",
            "valid_until": None,
            "source_ref": "J-2",
            "repairs_ref": "J-1",
        },
    ]
    batch = cm.import_file(cm.json_bytes(rows), "list.json")
    assert (batch.format, batch.rows) == ("json", 2)
    broken = CreditEntry.objects.get(source_ref="J-1")
    assert CreditEntry.objects.get(source_ref="J-2").repairs == broken
    assert services.eligibility(subject_type="person", subject_code=code, privilege="tolerance")


def test_every_bad_row_is_listed_with_its_row_number_and_nothing_is_written():
    good = make.resident_id()
    data = cm.csv_bytes(
        f"person,{good},王五,dishonest,2026-03-01,,,,R-1,",  # row 2: fine
        "robot,123,某某,dishonest,2026-03-01,,,,R-2,",  # row 3: subject_type (the code is not checked then)
        "person,411502200001011230,赵六,dishonest,2026-03-01,,,,R-3,",  # row 4: check character
        f"person,{good},,awful,01/03/2026,2026-01-01,,,,",  # row 5: name, kind, date, source_ref
        "",  # row 6: blank, not an entry
        f"person,{good},王五,dishonest,2026-03-01,2026-02-01,,,R-1,",  # row 7: end before start, duplicate ref
        f"person,{good},王五,repair,2026-03-01,,,,R-7,",  # row 8: repair without repairs_ref
        f"person,{good},王五,dishonest,2026-03-01,,,,R-8,R-1",  # row 9: repairs_ref on a non-repair
        f",{good},王五,dishonest,2026-03-01,,,,R-9,",  # row 10: subject_type missing
    )
    assert refused(data) == [
        ("rows[3].subject_type", "invalid_choice"),
        ("rows[4].subject_code", "id_checksum"),
        ("rows[5].subject_name", "required"),
        ("rows[5].kind", "invalid_choice"),
        ("rows[5].occurred_on", "invalid_date"),
        ("rows[5].source_ref", "required"),
        ("rows[7].valid_until", "before_start"),
        ("rows[8].repairs_ref", "required"),
        ("rows[9].repairs_ref", "not_a_repair"),
        ("rows[10].subject_type", "required"),
    ]


def test_duplicate_references_in_one_file_name_both_rows():
    code = make.resident_id()
    with pytest.raises(DomainError) as caught:
        cm.import_file(
            cm.csv_bytes(
                f"person,{code},王五,dishonest,2026-03-01,,,,R-1,", f"person,{code},王五,dishonest,2026-03-02,,,,R-1,"
            )
        )
    problem = caught.value.problems[0]
    assert (problem.field, problem.code) == ("rows[3].source_ref", "duplicate")
    assert "第2行" in problem.text.zh and "row 2" in problem.text.en


def test_messages_say_where_in_both_languages():
    with pytest.raises(DomainError) as caught:
        cm.import_file(cm.csv_bytes("person,x,王五,dishonest,2026-03-01,,,,R-1,"))
    text = caught.value.problems[0].text
    assert text.zh.startswith("第2行“subject_code”：") and text.en.startswith("row 2, subject_code: ")


def test_json_rows_are_counted_from_one_and_must_be_objects():
    rows = [{"subject_type": "person"}, "not an object", {"kind": "dishonest", "colour": "red"}]
    problems = refused(cm.json_bytes(rows), "list.json")
    assert ("rows[2]", "not_object") in problems and ("rows[3].colour", "unknown_column") in problems


def test_json_row_problems_are_all_listed():
    rows = [{"subject_type": "person", "subject_code": make.resident_id(), "subject_name": "王五", "kind": "dishonest",
             "occurred_on": "2026-03-01", "source_ref": "J-1"},
            {"subject_type": "person", "subject_code": ["x"], "subject_name": "王五", "kind": "dishonest",
             "occurred_on": "2026-02-30", "source_ref": "J-2"}]  # fmt: skip
    assert refused(cm.json_bytes(rows), "list.json") == [
        ("rows[2].subject_code", "not_text"),
    ]
    rows[1]["subject_code"] = make.resident_id()
    assert refused(cm.json_bytes(rows), "list.json") == [("rows[2].occurred_on", "invalid_date")]


def test_re_importing_skips_stored_rows_and_adds_the_new_ones():
    one, two = make.resident_id(), make.resident_id()
    first = cm.csv_bytes(f"person,{one},王五,dishonest,2026-03-01,,,,R-1,")
    assert (cm.import_file(first).rows, CreditEntry.objects.count()) == (1, 1)
    again = cm.import_file(first)
    assert (again.rows, again.skipped, CreditEntry.objects.count()) == (0, 1, 1)
    grown = cm.csv_bytes(
        f"person,{one},王五,dishonest,2026-03-01,,,,R-1,", f"person,{two},赵六,dishonest,2026-05-01,,,,R-2,"
    )
    batch = cm.import_file(grown)
    assert (batch.rows, batch.skipped) == (1, 1)
    assert CreditEntry.objects.get(source_ref="R-2").batch == batch
    # The same reference from another source is another entry.
    assert cm.import_file(first, source="信用中国（江苏）").rows == 1


def test_a_stored_reference_reused_for_another_subject_is_refused():
    cm.import_file(cm.csv_bytes(f"person,{make.resident_id()},王五,dishonest,2026-03-01,,,,R-1,"))
    problems = refused_after_first(cm.csv_bytes(f"person,{make.resident_id()},赵六,dishonest,2026-03-01,,,,R-1,"))
    assert problems == [("rows[2].source_ref", "source_ref_taken")]


def refused_after_first(data: bytes) -> list[tuple[str, str]]:
    before = (CreditEntry.objects.count(), CreditImport.objects.count())
    with pytest.raises(DomainError) as caught:
        cm.import_file(data)
    assert (CreditEntry.objects.count(), CreditImport.objects.count()) == before
    return [(p.field, p.code) for p in caught.value.problems]


def test_repair_rows_link_to_entries_of_the_same_source_in_the_file_or_stored():
    code = make.resident_id()
    cm.import_file(cm.csv_bytes(f"person,{code},王五,dishonest,2026-03-01,,,,R-1,"))
    stored = CreditEntry.objects.get(source_ref="R-1")
    batch = cm.import_file(
        cm.csv_bytes(
            f"person,{code},王五,repair,2026-10-01,,修复〔2026〕1号,,R-2,R-1",
            f"person,{code},王五,false_commitment,2026-04-01,,,,R-3,",
            f"person,{code},王五,repair,2026-10-02,,修复〔2026〕2号,,R-4,R-3",
        )
    )
    assert batch.rows == 3
    assert CreditEntry.objects.get(source_ref="R-2").repairs == stored
    assert CreditEntry.objects.get(source_ref="R-4").repairs == CreditEntry.objects.get(source_ref="R-3")
    assert services.eligibility(subject_type="person", subject_code=code, privilege="tolerance")


def test_repair_rows_that_cannot_link_are_refused():
    code, other = make.resident_id(), make.resident_id()
    cm.import_file(
        cm.csv_bytes(
            f"person,{code},王五,dishonest,2026-03-01,,,,R-1,",
            f"person,{code},王五,repair,2026-04-01,,D,,R-2,R-1",
            f"person,{code},王五,good_conduct,2026-03-01,,,,R-3,",
        )
    )
    problems = refused_after_first(
        cm.csv_bytes(
            f"person,{code},王五,repair,2026-05-01,,D,,R-10,R-1",  # row 2: already repaired (stored)
            f"person,{code},王五,repair,2026-05-01,,D,,R-11,R-2",  # row 3: a repair is not repaired
            f"person,{code},王五,repair,2026-05-01,,D,,R-12,R-3",  # row 4: good conduct
            f"person,{code},王五,repair,2026-05-01,,D,,R-13,R-99",  # row 5: unknown
            f"person,{code},王五,dishonest,2026-06-01,,,,R-14,",  # row 6: fine
            f"person,{other},赵六,repair,2026-07-01,,D,,R-15,R-14",  # row 7: another subject
            f"person,{code},王五,repair,2026-05-01,,D,,R-16,R-14",  # row 8: before the entry
            f"person,{code},王五,repair,2026-07-01,,D,,R-17,R-14",  # row 9: fine
            f"person,{code},王五,repair,2026-07-02,,D,,R-18,R-14",  # row 10: R-14 repaired by row 9
        )
    )
    assert problems == [
        ("rows[2].repairs_ref", "already_repaired"),
        ("rows[3].repairs_ref", "not_repairable"),
        ("rows[4].repairs_ref", "not_repairable"),
        ("rows[5].repairs_ref", "unknown_entry"),
        ("rows[7].repairs_ref", "other_subject"),
        ("rows[8].repairs_ref", "before_entry"),
        ("rows[10].repairs_ref", "already_repaired"),
    ]


def test_repair_references_are_exact():
    code = make.resident_id()
    problems = refused(
        cm.csv_bytes(
            f"person,{code},王五,dishonest,2026-03-01,,,,R-3,", f"person,{code},王五,repair,2026-10-02,,D,,R-4,r-3"
        )
    )
    assert problems == [("rows[3].repairs_ref", "unknown_entry")]


def test_a_file_over_the_size_limit_is_refused():
    row = f"person,{make.resident_id()},王五,dishonest,2026-03-01,,,,R-1,"
    data = cm.csv_bytes(row) + b"#" * importing.MAX_BYTES
    assert refused(data) == [("file", "too_large")]


def test_a_file_over_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    code = make.resident_id()
    rows = [f"person,{code},王五,dishonest,2026-03-01,,,,R-{i},," for i in range(3)]
    assert refused(cm.csv_bytes(*rows)) == [("file", "too_many_rows")]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"subject_type\nperson\n", "list.xlsx", "file_type"),
        (b"PK\x03\x04\x00\x00binary", "list.csv", "not_text"),
        ("subject_type,subject_code\n人,1\n".encode("gbk"), "list.csv", "encoding"),
        (b'[{"subject_type": "person"}]', "list.csv", "format_mismatch"),
        (b"subject_type,subject_code\n", "list.json", "format_mismatch"),
        (b"[{]", "list.json", "json_format"),
        (b'{"rows": []}', "list.json", "json_not_list"),
        (b"   \n", "list.csv", "empty"),
        (b"subject_type,subject_code,subject_name,kind,occurred_on,source_ref\n", "list.csv", "no_rows"),
    ],
)
def test_files_of_the_wrong_format_are_refused(data, name, code):
    assert refused(data, name) == [("file", code)]


def test_a_header_may_use_the_chinese_column_names():
    code = make.resident_id()
    header = "主体类型,主体代码,主体名称,记录类型,起始日期,来源编号"
    batch = cm.import_file(cm.csv_bytes(f"person,{code},王五,dishonest,2026-03-01,R-1", header=header, bom=True))
    assert batch.rows == 1 and CreditEntry.objects.get().subject_code == code


def test_a_header_with_unknown_or_missing_columns_is_refused_before_any_row():
    data = cm.csv_bytes(
        "person,x,y", header="subject_type,subject_cod,subject_name,kind,occurred_on,source_ref,source_ref"
    )
    assert refused(data) == [
        ("rows[1].subject_code", "missing_column"),
        ("rows[1].source_ref", "duplicate_column"),
        ("rows[1].subject_cod", "unknown_column"),
    ]


def test_importing_is_for_supervisors_and_node_operators():
    data = cm.csv_bytes(f"person,{make.resident_id()},王五,dishonest,2026-03-01,,,,R-1,")
    with pytest.raises(PolicyDenied):
        cm.import_file(data, actor=actor_for_user(make.staff("window_clerk")))
    operator = make.staff("node_operator", "411502")
    batch = cm.import_file(data, actor=actor_for_user(operator))
    assert (batch.imported_by, batch.region_id) == (operator, "411502")
    assert CreditEntry.objects.get().region_id == "411502"


def test_a_source_is_required():
    with pytest.raises(DomainError) as caught:
        services.import_entries(cm.supervisor(), upload=io.BytesIO(b"x"), name="a.csv", source_name=" ")
    assert caught.value.problems[0].field == "source_name"


def test_a_concurrent_duplicate_is_a_conflict(monkeypatch):
    code = make.resident_id()
    data = cm.csv_bytes(f"person,{code},王五,dishonest,2026-03-01,,,,R-1,")
    monkeypatch.setattr(importing, "_stored", lambda source, refs: {})  # as if the other import had not committed
    cm.import_file(data)
    with pytest.raises(Conflict):
        cm.import_file(data)
    assert CreditEntry.objects.count() == 1 and CreditImport.objects.count() == 1


# --- the command ------------------------------------------------------------------------------------


def test_the_command_imports_and_reports_counts(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_bytes(cm.csv_bytes(f"person,{make.resident_id()},王五,dishonest,2026-03-01,,,,R-1,", bom=True))
    call_command("import_credit", str(path), "--source", SOURCE)
    call_command("import_credit", str(path), "--source", SOURCE)
    out = capsys.readouterr().out
    assert "imported 1, skipped 0" in out and "imported 0, skipped 1" in out
    batch = CreditImport.objects.order_by("id").first()
    assert batch.imported_by is None and batch.region_id == "411500"


def test_the_command_prints_every_problem_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_bytes(cm.csv_bytes("robot,1,王五,dishonest,2026-03-01,,,,R-1,", "person,x,,dishonest,,,,,R-2,"))
    with pytest.raises(CommandError, match="4 problems"):
        call_command("import_credit", str(path), "--source", SOURCE)
    err = capsys.readouterr().err
    assert "rows[2].subject_type" in err and "rows[3].occurred_on" in err
    assert not CreditEntry.objects.exists()
