"""One shape for every error the API returns, in Chinese and English.

```json
{"status": 400, "errors": [{"field": "basic_code", "code": "basic_code_length",
  "message": "基本编码应为12位…", "message_zh": "…", "message_en": "…"}]}
```
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tongban.core.codes import CodeError
from tongban.core.messages import Text


@dataclass(frozen=True)
class Problem:
    field: str | None
    code: str
    text: Text

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "code": self.code,
            "message": str(self.text),
            "message_zh": self.text.zh,
            "message_en": self.text.en,
        }


class DomainError(Exception):
    """A command refused its input; nothing was written. ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, problems: Iterable[Problem], status_code: int | None = None) -> None:
        self.problems = list(problems)
        if status_code:
            self.status = status_code
        super().__init__("; ".join(f"{p.field}: {p.text.en}" for p in self.problems))

    @classmethod
    def single(cls, field: str | None, code: str, zh: str, en: str, status_code: int | None = None) -> DomainError:
        return cls([Problem(field, code, Text(zh, en))], status_code)

    @classmethod
    def from_code_error(cls, field: str, exc: CodeError) -> DomainError:
        return cls([Problem(field, exc.code, exc.text)])


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


def _flatten_drf(detail: object, prefix: str | None = None) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = None if key in ("non_field_errors", "detail") else (f"{prefix}.{key}" if prefix else str(key))
            problems += _flatten_drf(value, field if field else prefix)
    elif isinstance(detail, list):
        for i, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            problems += _flatten_drf(value, f"{prefix}[{i}]" if nested and prefix else prefix)
    else:
        code = getattr(detail, "code", "invalid") or "invalid"
        message = str(detail)
        problems.append(Problem(prefix, str(code), _bilingual(str(code), message)))
    return problems


_GENERIC = {
    "required": Text("此字段为必填项", "this field is required"),
    "blank": Text("此字段不能为空", "this field may not be blank"),
    "null": Text("此字段不能为空值", "this field may not be null"),
    "unique": Text("已存在相同的值", "a record with this value already exists"),
    "not_authenticated": Text("需要登录", "authentication is required"),
    "authentication_failed": Text("身份验证失败", "authentication failed"),
    "permission_denied": Text("无权执行此操作", "you may not do this"),
    "not_found": Text("未找到", "not found"),
    "method_not_allowed": Text("不支持此请求方法", "this method is not allowed here"),
    "parse_error": Text("请求体无法解析", "the request body could not be parsed"),
    "unsupported_media_type": Text("不支持的内容类型", "unsupported content type"),
    "throttled": Text("请求过于频繁，请稍后再试", "too many requests, try again later"),
}


def _bilingual(code: str, message: str) -> Text:
    """DRF's own messages come in the active language only; known codes get both."""
    known = _GENERIC.get(code)
    if known is not None:
        return known
    return Text(message, message)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"status": exc.status, "errors": [p.as_dict() for p in exc.problems]}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        problems = _flatten_drf(exc.detail)
        response.data = {"status": response.status_code, "errors": [p.as_dict() for p in problems]}
    return response


__all__ = ["Conflict", "DomainError", "NotFound", "Problem", "exception_handler", "status"]
