"""The national code checks say which check failed."""

import random

import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from tongban.core.codes import (
    USCC_ALPHABET,
    CodeError,
    uscc_check_char,
    validate_basic_code,
    validate_implementation_code,
    validate_region_code,
    validate_uscc,
)


def _code(prefix: str, rng: random.Random) -> str:
    body = prefix + f"{rng.randrange(110000, 659999):06d}" + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def test_our_check_agrees_with_stdnum_where_stdnum_is_right():
    # An independent implementation: for codes starting with digits both must accept the same check character.
    rng = random.Random(2260)
    for _ in range(500):
        code = _code(rng.choice("159") + rng.choice("123"), rng)
        assert validate_uscc(code) == code
        assert stdnum_uscc.validate(code) == code


def test_letters_in_first_positions_pass_where_stdnum_fails():
    # Registering authorities such as Y (trade unions) or N (rural collectives) give letters in
    # positions 1-2; stdnum.cn.uscc rejects them, which is why the check is our own.
    code = _code("Y2", random.Random(1))
    with pytest.raises(StdnumError):
        stdnum_uscc.validate(code)
    assert validate_uscc(code.lower()) == code


def test_check_character_is_computed_as_gb32100():
    assert uscc_check_char("91110000600037341") == "L"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341", "uscc_length"),
        ("91110000600037341O", "uscc_charset"),
        ("9111000060003734IL", "uscc_charset"),
        ("91AB0000600037341L", "uscc_region"),
        ("91110000600037341M", "uscc_checksum"),
    ],
)
def test_bad_uscc_names_the_failed_check(code, reason):
    with pytest.raises(CodeError) as exc:
        validate_uscc(code)
    assert exc.value.code == reason
    assert exc.value.text.zh and exc.value.text.en


def test_checksum_message_gives_the_expected_character():
    with pytest.raises(CodeError) as exc:
        validate_uscc("91110000600037341M")
    assert "'L'" in exc.value.text.en and "“L”" in exc.value.text.zh


@pytest.mark.parametrize("code", ["41150", "4115000", "41150a", ""])
def test_region_code_is_six_digits(code):
    with pytest.raises(CodeError):
        validate_region_code(code)


def test_basic_code_length_and_charset():
    assert validate_basic_code("000120110000") == "000120110000"
    with pytest.raises(CodeError, match="12"):
        validate_basic_code("00012011000")
    with pytest.raises(CodeError) as exc:
        validate_basic_code("00012011000-")
    assert exc.value.code == "basic_code_charset"


def test_implementation_code_starts_with_the_department_uscc():
    uscc = "11411500MB1234567X"
    assert validate_implementation_code(uscc + "0001200000001", uscc)
    with pytest.raises(CodeError) as exc:
        validate_implementation_code("11411500MB1234567Y0001200000001")
    assert exc.value.code == "implementation_code_uscc"
    with pytest.raises(CodeError) as exc:
        validate_implementation_code(uscc + "0001200000001", "91110000600037341L")
    assert exc.value.code == "implementation_code_department"
    with pytest.raises(CodeError):
        validate_implementation_code("X" * 37)
