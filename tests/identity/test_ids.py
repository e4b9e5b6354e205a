"""Document numbers: each kind of mistake is told apart, so a clerk knows what to check."""

import pytest

from tests.identity.make import resident_id
from tongban.core.codes import CodeError
from tongban.identity import ids


@pytest.mark.parametrize(
    ("number", "normal"),
    [
        (resident_id(seq=123), resident_id(seq=123)),
        ("110101 19900101 1237", "110101199001011237"),
        ("41150020000101123x", "41150020000101123X"),
    ],
)
def test_valid_resident_ids_are_normalised(number, normal):
    assert ids.validate_resident_id(number) == normal


@pytest.mark.parametrize(
    ("number", "code", "hint"),
    [
        ("41150220000101123", "id_length", "17"),
        ("4115022000010112345", "id_length", "19"),
        ("4115022000010112A2", "id_format", "X"),
        ("411502200013011232", "id_birth_date", "20001301"),
        ("411502209901011232", "id_birth_date", "2099"),
        ("411502199001011237", "id_region", "411502"),  # 浉河区 did not exist in 1990
        ("999999200001011232", "id_region", "999999"),
        ("411502200001011233", "id_checksum", "'2'"),
    ],
)
def test_each_failed_resident_id_check_is_named(number, code, hint):
    with pytest.raises(CodeError) as caught:
        ids.validate_resident_id(number)
    assert caught.value.code == code
    assert hint in caught.value.text.en or hint in caught.value.text.zh
    assert caught.value.text.zh and caught.value.text.en


@pytest.mark.parametrize("number", ["E12345678", "EA1234567", "G12345678", "e 1234 5678"])
def test_chinese_passports(number):
    assert ids.validate_passport(number, "CHN") == number.replace(" ", "").upper()


@pytest.mark.parametrize("number", ["E1234567", "X12345678", "EI1234567", "G123456789"])
def test_bad_chinese_passports(number):
    with pytest.raises(CodeError) as caught:
        ids.validate_passport(number, "CHN")
    assert caught.value.code == "passport_format"


def test_foreign_passports_are_5_to_20_letters_and_digits():
    assert ids.validate_passport("c01x00t47", "USA") == "C01X00T47"
    for bad in ("AB12", "A" * 21, "AB12-CD!"):
        with pytest.raises(CodeError):
            ids.validate_passport(bad, "DEU")


@pytest.mark.parametrize("number", ["H12345678", "M1234567801", "h 1234 5678"])
def test_hong_kong_and_macao_permits(number):
    assert ids.validate_hk_macao_permit(number).startswith(("H", "M"))


@pytest.mark.parametrize("number", ["K12345678", "H1234567", "H123456789"])
def test_bad_hong_kong_and_macao_permits(number):
    with pytest.raises(CodeError) as caught:
        ids.validate_hk_macao_permit(number)
    assert caught.value.code == "hk_macao_permit_format"


def test_taiwan_permits_have_8_or_10_digits():
    assert ids.validate_taiwan_permit("12345678") == "12345678"
    assert ids.validate_taiwan_permit("1234567801") == "1234567801"
    for bad in ("1234567", "123456789", "T1234567"):
        with pytest.raises(CodeError) as caught:
            ids.validate_taiwan_permit(bad)
        assert caught.value.code == "taiwan_permit_format"


def test_foreign_permanent_resident_cards_old_and_new():
    assert ids.validate_foreign_permanent_resident("usa110085061200") == "USA110085061200"
    new = resident_id(prefix="911840", born="19850612", seq=1)
    assert ids.validate_foreign_permanent_resident(new) == new


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("US1110085061200", "foreign_resident_format"),
        ("USA11008506120", "foreign_resident_length"),
        ("811840198506120012", "foreign_resident_format"),  # 2023 cards start with 9
        ("911840198513120012", "foreign_resident_birth_date"),
    ],
)
def test_bad_foreign_permanent_resident_cards(number, code):
    with pytest.raises(CodeError) as caught:
        ids.validate_foreign_permanent_resident(number)
    assert caught.value.code == code


def test_new_foreign_card_check_character_is_checked():
    good = resident_id(prefix="911840", born="19850612", seq=1)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(CodeError) as caught:
        ids.validate_foreign_permanent_resident(bad)
    assert caught.value.code == "foreign_resident_checksum"


def test_dispatch_by_type_and_unknown_type():
    assert ids.validate_id_number("taiwan_permit", "12345678") == "12345678"
    assert ids.validate_id_number("passport", "L898902C3", "UTO") == "L898902C3"
    with pytest.raises(CodeError) as caught:
        ids.validate_id_number("driving_licence", "123")
    assert caught.value.code == "id_type_unknown"


def test_nationality_must_fit_the_document():
    ids.check_nationality_fits("resident_id", "CHN")
    with pytest.raises(CodeError):
        ids.check_nationality_fits("resident_id", "USA")
    with pytest.raises(CodeError):
        ids.check_nationality_fits("foreign_permanent_resident", "CHN")
    with pytest.raises(CodeError) as caught:
        ids.validate_nationality("China")
    assert caught.value.code == "nationality_format"
