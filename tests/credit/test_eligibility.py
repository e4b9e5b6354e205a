"""Eligibility for 告知承诺 and 容缺受理: which entries in force bar which privilege, and the reason given."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.credit import make as cm
from tests.identity import make
from tongban.core.errors import DomainError
from tongban.credit import services
from tongban.credit.services import eligibility

pytestmark = pytest.mark.django_db

COMMITMENT, TOLERANCE = "commitment", "tolerance"


def check(code: str, privilege: str, subject_type: str = "person", on: date | None = None) -> services.Eligibility:
    return eligibility(subject_type=subject_type, subject_code=code, privilege=privilege, on=on)


def test_a_subject_without_entries_may_have_both():
    code = make.resident_id()
    for privilege in (COMMITMENT, TOLERANCE):
        result = check(code, privilege)
        assert result.allowed and bool(result) and result.reason is None and result.blocking == ()


def test_a_dishonest_entry_in_force_refuses_both_and_the_reason_names_it():
    code = make.resident_id()
    entry = cm.entry("dishonest", code, occurred_on=date(2026, 3, 1), source_name="信用中国（河南）")
    result = check(code, COMMITMENT)
    assert not result and result.blocking == (entry,)
    assert result.reason.zh == "自2026-03-01起列入失信名单（来源：信用中国（河南）），信用修复前不能适用告知承诺"
    assert result.reason.en == (
        "on the dishonest list since 2026-03-01 (source: 信用中国（河南）) until repaired: "
        "commitment (告知承诺) is not available"
    )
    tolerance = check(code, TOLERANCE)
    assert not tolerance and "不能适用容缺受理" in tolerance.reason.zh and "tolerance (容缺受理)" in tolerance.reason.en


def test_the_code_is_matched_however_it_was_typed():
    code = make.resident_id()
    cm.entry("dishonest", f"{code[:6]} {code[6:14]}-{code[14:]}")
    assert not check(f" {code[:6]} {code[6:14]} {code[14:].lower()} ", COMMITMENT)
    assert not check(code, COMMITMENT)


def test_an_entry_with_an_end_date_says_until_when():
    code = make.resident_id()
    cm.entry("false_commitment", code, occurred_on=date(2026, 1, 5), valid_until=date(2029, 1, 4), source_name="某局")
    reason = check(code, COMMITMENT).reason
    assert reason.zh == "自2026-01-05起有虚假承诺记录（来源：某局），2029-01-04前（或信用修复前）不能适用告知承诺"
    assert "until 2029-01-04 or repaired" in reason.en


def test_a_repaired_entry_no_longer_refuses():
    code = make.resident_id()
    entry = cm.entry("dishonest", code)
    assert not check(code, COMMITMENT)
    services.repair(cm.supervisor(), entry, decision="信用修复决定书〔2026〕8号", occurred_on=date(2026, 11, 20))
    assert check(code, COMMITMENT) and check(code, TOLERANCE)
    # Before the repair took effect the entry still refused.
    assert not check(code, COMMITMENT, on=date(2026, 11, 19))


def test_an_expired_entry_no_longer_refuses():
    code = make.resident_id()
    cm.entry("dishonest", code, occurred_on=date(2026, 1, 1), valid_until=cm.TODAY - timedelta(days=1))
    assert check(code, COMMITMENT) and check(code, TOLERANCE)
    # On its last day it still applied.
    assert not check(code, COMMITMENT, on=cm.TODAY - timedelta(days=1))


def test_a_broken_commitment_refuses_tolerance_but_not_commitment():
    code = make.resident_id()
    cm.entry("broken_commitment", code)
    assert check(code, COMMITMENT)
    result = check(code, TOLERANCE)
    assert not result and "有未履行承诺记录" in result.reason.zh


def test_a_false_commitment_refuses_commitment_and_tolerance():
    code = make.resident_id()
    cm.entry("false_commitment", code)
    assert not check(code, COMMITMENT)
    assert not check(code, TOLERANCE)


def test_good_conduct_refuses_nothing():
    code = make.resident_id()
    cm.entry("good_conduct", code)
    assert check(code, COMMITMENT) and check(code, TOLERANCE)


def test_an_entry_occurring_later_does_not_count_yet():
    code = make.resident_id()
    cm.entry("dishonest", code, occurred_on=date(2026, 11, 2))
    assert check(code, COMMITMENT, on=date(2026, 11, 1))
    assert not check(code, COMMITMENT, on=date(2026, 11, 2))


def test_an_imported_entry_dated_in_the_future_does_not_count_yet():
    code = make.resident_id()
    cm.import_file(cm.csv_bytes(f"person,{code},王五,dishonest,2026-12-01,,,,HN-1,"))
    assert check(code, COMMITMENT)
    assert not check(code, COMMITMENT, on=date(2026, 12, 1))


def test_entries_of_others_and_of_the_other_subject_type_do_not_count():
    from tests import factories as f

    code = make.resident_id()
    cm.entry("dishonest", code)
    assert check(make.resident_id(), COMMITMENT)
    uscc = f.uscc(category="91")
    cm.entry("dishonest", uscc, subject_type="organisation", name="某公司")
    assert not check(uscc, COMMITMENT, subject_type="organisation")
    assert check(uscc, COMMITMENT, subject_type="person")


def test_the_most_serious_entry_is_named_and_the_others_counted():
    code = make.resident_id()
    broken = cm.entry("broken_commitment", code, occurred_on=date(2026, 1, 1))
    dishonest = cm.entry("dishonest", code, occurred_on=date(2026, 6, 1))
    result = check(code, TOLERANCE)
    assert result.blocking == (dishonest, broken)
    assert result.reason.zh.startswith("自2026-06-01起列入失信名单") and result.reason.zh.endswith("另有1条记录")


def test_an_unknown_privilege_is_an_error_naming_the_field():
    with pytest.raises(DomainError) as caught:
        check(make.resident_id(), "fast_track")
    assert caught.value.problems[0].field == "privilege"


def test_the_barring_table_is_the_documented_one():
    assert {
        "commitment": {"dishonest", "false_commitment"},
        "tolerance": {"dishonest", "false_commitment", "broken_commitment"},
    } == services.BARS
