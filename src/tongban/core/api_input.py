"""What the API's command endpoints read from a request: the JSON object (or form), a text field, and the
version the caller saw (body ``version`` or ``If-Match``), each refused with a 400 naming the field."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from tongban.core.errors import DomainError


def json_object(data: Any) -> Any:
    if not isinstance(data, dict) and not hasattr(data, "get"):
        raise DomainError.single(None, "not_object", "请求体应为 JSON 对象", "the body must be a JSON object")
    return data


def text(data: Any, name: str) -> str:
    value = data.get(name) if hasattr(data, "get") else None
    return "" if value is None else str(value)


def version_of(request: Request) -> int | None:
    """The version the caller saw: 409 follows in the command when the record changed meanwhile."""
    raw = request.data.get("version") if hasattr(request.data, "get") else None
    if raw in (None, ""):
        raw = (request.META.get("HTTP_IF_MATCH") or "").removeprefix("W/").strip('" ') or None
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise DomainError.single("version", "not_integer", "版本号应为整数", "version must be a whole number") from exc


def choices(data: Any, name: str, allowed: Any) -> list[str]:
    """A comma-separated filter of known values (``status=pending,in_review``); 400 naming an unknown one."""
    wanted = [v.strip() for v in text(data, name).split(",") if v.strip()]
    unknown = [v for v in wanted if v not in allowed]
    if unknown:
        raise DomainError.single(
            name, "unknown", f"未知的状态：{'、'.join(unknown)}", f"unknown status: {', '.join(unknown)}"
        )
    return wanted
