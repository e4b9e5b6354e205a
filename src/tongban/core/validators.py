"""Django field validators over the pure code checks, keeping their bilingual reasons.

Module-level functions (not closures) so migrations can refer to them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

from tongban.core import codes


def _run(check: Callable[[str], str], value: str) -> None:
    try:
        check(value)
    except codes.CodeError as exc:
        raise ValidationError(str(exc.text), code=exc.code) from exc


def uscc_validator(value: str) -> None:
    _run(codes.validate_uscc, value)


def region_code_validator(value: str) -> None:
    _run(codes.validate_region_code, value)


def basic_code_validator(value: str) -> None:
    _run(codes.validate_basic_code, value)


def handling_code_validator(value: str) -> None:
    _run(codes.validate_handling_code, value)


def implementation_code_validator(value: str) -> None:
    _run(codes.validate_implementation_code, value)
