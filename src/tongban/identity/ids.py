"""Checks of identity document numbers (pure functions, no database).

Each ``validate_*`` returns the number in its normal form (spaces gone, letters in capitals) or raises
:class:`~tongban.core.codes.CodeError` whose ``code`` says which check failed, so a window clerk can
tell a mistyped digit from a wrong document type.

- 居民身份证 (GB 11643): 18 characters = region (6) + birth date (8) + sequence (3) + check (MOD 11-2).
  The pieces of ``stdnum.cn.ric`` are called one by one so the error names the failing part.
- 护照: Chinese passports E + 8 digits, E + letter + 7 digits (EA…, after the E-numbers ran out),
  G + 8 digits (older ordinary passports); foreign passports 5–20 letters and digits.
- 港澳居民来往内地通行证: H (Hong Kong) or M (Macao) + 8 digits, or + 10 with the issue count.
- 台湾居民来往大陆通行证: 8 digits, or 10 with the issue count.
- 外国人永久居留身份证: 2017 card 3 letters (nationality) + 12 digits; 2023 card 18 characters
  starting with 9, birth date at 7–14, check character computed like a resident ID's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from tongban.core.codes import CodeError
from tongban.core.messages import Text
from tongban.identity.choices import CHINESE_ONLY, IdType

_CN_PASSPORT_RE = re.compile(r"^(E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8})$")
_FOREIGN_PASSPORT_RE = re.compile(r"^[0-9A-Z]{5,20}$")
_HK_MACAO_RE = re.compile(r"^[HM](\d{8}|\d{10})$")
_TAIWAN_RE = re.compile(r"^(\d{8}|\d{10})$")
_FOREIGN_2017_RE = re.compile(r"^[A-Z]{3}\d{12}$")
_FOREIGN_2023_RE = re.compile(r"^9\d{16}[\dX]$")
_RESIDENT_RE = re.compile(r"^\d{17}[\dX]$")
_NATIONALITY_RE = re.compile(r"^[A-Z]{3}$")


def _normal(value: str) -> str:
    # People type numbers with spaces or hyphens in groups, and a lower-case x; none of it is meaningful.
    return re.sub(r"[\s\-]", "", value or "").upper()


def _birth_date(number: str, code: str, what: Text) -> date:
    """The birth date at positions 7–14, refusing impossible and future dates."""
    try:
        born = ric.get_birth_date(number)
    except (StdnumError, ValueError) as exc:
        raise CodeError(
            code,
            Text(
                f"{what.zh}第7至14位“{number[6:14]}”不是有效的出生日期",
                f"characters 7 to 14 of the {what.en} ('{number[6:14]}') are not a valid birth date",
            ),
        ) from exc
    if born > date.today():
        raise CodeError(
            code,
            Text(
                f"{what.zh}中的出生日期{born.isoformat()}晚于今天",
                f"the birth date in the {what.en} ({born.isoformat()}) is in the future",
            ),
        )
    return born


def _check_character(number: str, code: str, what: Text) -> None:
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        raise CodeError(
            code,
            Text(
                f"{what.zh}校验位错误：应为“{expected}”，实际为“{number[-1]}”，请核对号码是否录入有误",
                f"the check character of the {what.en} is wrong: expected '{expected}', got '{number[-1]}'; "
                "check the number for a typing error",
            ),
        )


_RESIDENT = Text("居民身份证号码", "resident ID number")


def validate_resident_id(value: str) -> str:
    """居民身份证号码 (GB 11643): length, characters, birth date, region code, check character."""
    number = _normal(value)
    if len(number) != 18:
        raise CodeError(
            "id_length",
            Text(
                f"居民身份证号码应为18位，实际为{len(number)}位",
                f"a resident ID number has 18 characters, this one has {len(number)}",
            ),
        )
    if not _RESIDENT_RE.match(number):
        raise CodeError(
            "id_format",
            Text(
                "居民身份证号码前17位应为数字，最后一位为数字或X",
                "a resident ID number has 17 digits followed by a digit or X",
            ),
        )
    _birth_date(number, "id_birth_date", _RESIDENT)
    try:
        ric.get_birth_place(number)
    except (StdnumError, KeyError, ValueError) as exc:
        raise CodeError(
            "id_region",
            Text(
                f"居民身份证号码前6位“{number[:6]}”不是出生时有效的行政区划代码",
                f"the first six digits '{number[:6]}' were not a region code in use in the birth year",
            ),
        ) from exc
    _check_character(number, "id_checksum", _RESIDENT)
    return number


def validate_passport(value: str, nationality: str = "CHN") -> str:
    """护照号码: strict patterns for Chinese passports, 5–20 letters and digits for foreign ones."""
    number = _normal(value)
    if nationality == "CHN":
        if not _CN_PASSPORT_RE.match(number):
            raise CodeError(
                "passport_format",
                Text(
                    "中国护照号码应为E加8位数字、E加1位字母和7位数字，或G加8位数字",
                    "a Chinese passport number is E + 8 digits, E + a letter + 7 digits, or G + 8 digits",
                ),
            )
    elif not _FOREIGN_PASSPORT_RE.match(number):
        raise CodeError(
            "passport_format",
            Text(
                "外国护照号码应为5至20位字母或数字",
                "a foreign passport number has 5 to 20 letters or digits",
            ),
        )
    return number


def validate_hk_macao_permit(value: str) -> str:
    """港澳居民来往内地通行证号码: H or M, then 8 digits (or 10 with the issue count)."""
    number = _normal(value)
    if not _HK_MACAO_RE.match(number):
        raise CodeError(
            "hk_macao_permit_format",
            Text(
                "港澳居民来往内地通行证号码应为H或M加8位数字（或加10位含换证次数的数字）",
                "a Hong Kong/Macao residents' permit number is H or M followed by 8 digits (10 with the issue count)",
            ),
        )
    return number


def validate_taiwan_permit(value: str) -> str:
    """台湾居民来往大陆通行证号码: 8 digits, or 10 with the issue count."""
    number = _normal(value)
    if not _TAIWAN_RE.match(number):
        raise CodeError(
            "taiwan_permit_format",
            Text(
                "台湾居民来往大陆通行证号码应为8位数字（或含换证次数的10位数字）",
                "a Taiwan residents' permit number has 8 digits (10 with the issue count)",
            ),
        )
    return number


_FOREIGN = Text("外国人永久居留身份证号码", "foreign permanent resident ID number")


def validate_foreign_permanent_resident(value: str) -> str:
    """外国人永久居留身份证号码: the 2017 card (15) or the 2023 card (18, starting with 9)."""
    number = _normal(value)
    if len(number) == 15:
        if not _FOREIGN_2017_RE.match(number):
            raise CodeError(
                "foreign_resident_format",
                Text(
                    "15位外国人永久居留身份证号码应为3位字母加12位数字",
                    "a 15-character foreign permanent resident ID number is 3 letters followed by 12 digits",
                ),
            )
        return number
    if len(number) != 18:
        raise CodeError(
            "foreign_resident_length",
            Text(
                f"外国人永久居留身份证号码应为15位（2017版）或18位（2023版），实际为{len(number)}位",
                f"a foreign permanent resident ID number has 15 (2017 card) or 18 characters (2023 card), "
                f"this one has {len(number)}",
            ),
        )
    if not _FOREIGN_2023_RE.match(number):
        raise CodeError(
            "foreign_resident_format",
            Text(
                "18位外国人永久居留身份证号码以9开头，前17位为数字，最后一位为数字或X",
                "an 18-character foreign permanent resident ID number starts with 9, has 17 digits, then a digit or X",
            ),
        )
    _birth_date(number, "foreign_resident_birth_date", _FOREIGN)
    _check_character(number, "foreign_resident_checksum", _FOREIGN)
    return number


def validate_nationality(value: str) -> str:
    """国籍: ISO 3166-1 alpha-3 (CHN, USA, …); only its shape is checked."""
    code = (value or "").strip().upper()
    if not _NATIONALITY_RE.match(code):
        raise CodeError(
            "nationality_format",
            Text(
                f"国籍应为3位字母代码（如CHN），实际为“{code}”",
                f"nationality is a three-letter code (e.g. CHN), got '{code}'",
            ),
        )
    return code


_BY_TYPE: dict[str, Callable[[str], str]] = {
    IdType.RESIDENT_ID: validate_resident_id,
    IdType.HK_MACAO_PERMIT: validate_hk_macao_permit,
    IdType.TAIWAN_PERMIT: validate_taiwan_permit,
    IdType.FOREIGN_PERMANENT_RESIDENT: validate_foreign_permanent_resident,
}


def validate_id_type(id_type: str) -> str:
    if id_type not in IdType.values:
        raise CodeError(
            "id_type_unknown",
            Text(
                f"证件类型“{id_type}”无效，可选：{'、'.join(IdType.values)}",
                f"'{id_type}' is not a document type; choose from {', '.join(IdType.values)}",
            ),
        )
    return id_type


def check_nationality_fits(id_type: str, nationality: str) -> None:
    """Residents' documents belong to Chinese citizens; the foreigner's card never does."""
    if id_type in CHINESE_ONLY and nationality != "CHN":
        raise CodeError(
            "nationality_mismatch",
            Text(
                "居民身份证和港澳台居民通行证的持证人国籍为CHN",
                "holders of resident ID cards and the Hong Kong/Macao/Taiwan permits have nationality CHN",
            ),
        )
    if id_type == IdType.FOREIGN_PERMANENT_RESIDENT and nationality == "CHN":
        raise CodeError(
            "nationality_mismatch",
            Text(
                "外国人永久居留身份证持证人的国籍不能是CHN",
                "the holder of a foreign permanent resident ID card cannot have nationality CHN",
            ),
        )


def validate_id_number(id_type: str, value: str, nationality: str = "CHN") -> str:
    """The normalised number of a document of ``id_type``, or a :class:`CodeError` saying why not."""
    validate_id_type(id_type)
    if id_type == IdType.PASSPORT:
        return validate_passport(value, nationality)
    return _BY_TYPE[id_type](value)
