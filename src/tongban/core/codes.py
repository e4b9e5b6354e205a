"""Checks of the national codes (pure functions, no database).

- 行政区划代码 GB/T 2260: six digits.
- 统一社会信用代码 GB 32100: 18 characters, MOD 31 check. ``stdnum.cn.uscc`` rejects valid codes with
  letters in the first two positions, so the check is our own.
- 基本编码: 12 characters; the national layout is not published, so only length and charset are checked.
- 实施编码: up to 36 characters; when 31 long, the first 18 must be a valid USCC.
- 业务办理项编码: up to 50 characters.
"""

from __future__ import annotations

import re

from tongban.core.messages import Text

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_RE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")
_REGION_RE = re.compile(r"^\d{6}$")
_BASIC_RE = re.compile(r"^[0-9A-Z]{12}$")
_IMPL_RE = re.compile(r"^[0-9A-Z]{1,36}$")
_HANDLING_RE = re.compile(r"^[0-9A-Za-z_-]{1,50}$")


class CodeError(ValueError):
    """A code failed a check; ``code`` is machine-readable, ``text`` says why in both languages."""

    def __init__(self, code: str, text: Text) -> None:
        super().__init__(text.en)
        self.code = code
        self.text = text


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC for its first 17 (MOD 31, weights 3^i mod 31)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Return the normalised USCC or raise :class:`CodeError` saying which check failed."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise CodeError(
            "uscc_length",
            Text(
                f"统一社会信用代码应为18位，实际为{len(code)}位",
                f"a unified social credit code has 18 characters, this one has {len(code)}",
            ),
        )
    if not _USCC_RE.match(code):
        bad = next(c for c in code if c not in USCC_ALPHABET)
        raise CodeError(
            "uscc_charset",
            Text(
                f"统一社会信用代码含有不允许的字符“{bad}”（不得使用 I、O、S、V、Z）",
                f"a unified social credit code may not contain '{bad}' (I, O, S, V, Z are never used)",
            ),
        )
    if not code[2:8].isdigit():
        raise CodeError(
            "uscc_region",
            Text(
                "统一社会信用代码第3至8位应为行政区划代码",
                "characters 3 to 8 of a unified social credit code must be a region code",
            ),
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise CodeError(
            "uscc_checksum",
            Text(
                f"统一社会信用代码校验位错误：应为“{expected}”，实际为“{code[17]}”",
                f"unified social credit code check character is wrong: expected '{expected}', got '{code[17]}'",
            ),
        )
    return code


def validate_region_code(value: str) -> str:
    code = (value or "").strip()
    if not _REGION_RE.match(code):
        raise CodeError(
            "region_format",
            Text(f"行政区划代码应为6位数字，实际为“{code}”", f"a region code has six digits, got '{code}'"),
        )
    return code


def validate_basic_code(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 12:
        raise CodeError(
            "basic_code_length",
            Text(f"基本编码应为12位，实际为{len(code)}位", f"a basic code has 12 characters, this one has {len(code)}"),
        )
    if not _BASIC_RE.match(code):
        raise CodeError(
            "basic_code_charset",
            Text("基本编码只能包含数字和大写字母", "a basic code may contain only digits and capital letters"),
        )
    return code


def validate_handling_code(value: str) -> str:
    code = (value or "").strip()
    if not _HANDLING_RE.match(code):
        raise CodeError(
            "handling_code_format",
            Text(
                "业务办理项编码应为1至50位字母、数字、下划线或连字符",
                "a handling item code has 1 to 50 letters, digits, underscores or hyphens",
            ),
        )
    return code


def validate_implementation_code(value: str, department_uscc: str | None = None) -> str:
    """实施编码: ≤36 characters; a 31-character code starts with the implementing organ's USCC."""
    code = (value or "").strip().upper()
    if not _IMPL_RE.match(code):
        raise CodeError(
            "implementation_code_format",
            Text("实施编码应为1至36位数字或大写字母", "an implementation code has 1 to 36 digits or capital letters"),
        )
    if len(code) == 31:
        try:
            validate_uscc(code[:18])
        except CodeError as exc:
            raise CodeError(
                "implementation_code_uscc",
                Text(
                    f"实施编码前18位不是有效的统一社会信用代码：{exc.text.zh}",
                    f"the first 18 characters of the implementation code are not a valid USCC: {exc.text.en}",
                ),
            ) from exc
        if department_uscc and code[:18] != department_uscc:
            raise CodeError(
                "implementation_code_department",
                Text(
                    "实施编码前18位应为实施机关的统一社会信用代码",
                    "the first 18 characters of the implementation code must be the implementing organ's USCC",
                ),
            )
    return code
