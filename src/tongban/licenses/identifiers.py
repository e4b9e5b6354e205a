"""Licence identifiers (电子证照标识, GB/T 36904).

``1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>``: the type code is the defining
organ's USCC and a 3-digit sequence (21 characters), the issuer code the issuing organ's USCC (18), the
serial free alphanumeric, the version 3 digits, and the check character ISO 7064 MOD 37,36 over the four
parts written together without dots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

from tongban.catalog.guide import LICENSE_TYPE_CODE, USCC_PATTERN
from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text

PREFIX = "1.2.156.3005.2"
TYPE_CODE = LICENSE_TYPE_CODE  # the catalog checks guides' type codes with the same pattern
ISSUER_CODE = re.compile(rf"^{USCC_PATTERN}$")
SERIAL = re.compile(r"^[0-9A-Z]{1,32}$")
VERSION = re.compile(r"^\d{3}$")


def _problem(field: str, code: str, zh: str, en: str) -> DomainError:
    return DomainError([Problem(field, code, Text(zh, en))])


@dataclass(frozen=True)
class LicenseId:
    type_code: str
    issuer_code: str
    serial: str
    version: str
    check: str

    def __str__(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version}.{self.check}"


def check_character(type_code: str, issuer_code: str, serial: str, version: str) -> str:
    return mod_37_36.calc_check_digit(f"{type_code}{issuer_code}{serial}{version}")


def make(type_code: str, issuer_code: str, serial: str, version: int | str = 1) -> LicenseId:
    """The identifier of a licence; DomainError naming the part that is malformed."""
    version = f"{int(version):03d}" if isinstance(version, int) else version
    parts = (
        (
            "type_code",
            type_code,
            TYPE_CODE,
            "证照类型代码应为定义机构统一社会信用代码加3位顺序号",
            "the type code is the defining organ's USCC followed by 3 digits",
        ),
        (
            "issuer_code",
            issuer_code,
            ISSUER_CODE,
            "颁发机构代码应为18位统一社会信用代码",
            "the issuer code is an 18-character USCC",
        ),
        (
            "serial",
            serial,
            SERIAL,
            "证照序号应为1至32位数字或大写字母",
            "the serial is 1 to 32 digits or capital letters",
        ),
        ("version", version, VERSION, "版本号应为3位数字", "the version is 3 digits"),
    )
    for field, value, pattern, zh, en in parts:
        if not pattern.match(value):
            raise _problem(field, "malformed", zh, en)
    return LicenseId(type_code, issuer_code, serial, version, check_character(type_code, issuer_code, serial, version))


def parse(identifier: str, field: str = "identifier") -> LicenseId:
    """Read an identifier and check it; DomainError saying what is wrong (shape, part, check character)."""
    text = (identifier or "").strip().upper()
    if not text.startswith(PREFIX + "."):
        raise _problem(field, "malformed", f"证照标识应以{PREFIX}开头", f"a licence identifier starts with {PREFIX}")
    parts = text[len(PREFIX) + 1 :].split(".")
    if len(parts) != 5:
        raise _problem(
            field,
            "malformed",
            "证照标识应为：前缀.类型代码.颁发机构代码.序号.版本号.校验位",
            "a licence identifier is prefix.type.issuer.serial.version.check",
        )
    type_code, issuer_code, serial, version, check = parts
    expected = make(type_code, issuer_code, serial, version)
    if check != expected.check:
        raise _problem(
            field,
            "bad_check_character",
            f"证照标识的校验位应为{expected.check}，而不是{check}",
            f"the check character should be {expected.check}, not {check}",
        )
    return expected
