"""Test data built through the catalog commands, so tests see what users would create."""

from __future__ import annotations

import itertools
from typing import Any

from tongban.catalog import services
from tongban.catalog.models import Department, ItemImplementation, ServiceItem
from tongban.core.codes import uscc_check_char
from tongban.identity.actor import SYSTEM

_serial = itertools.count(1)


def uscc(region_code: str = "411500", category: str = "11") -> str:
    """A valid unified social credit code in ``region_code``, unique per call."""
    body = f"{category}{region_code}MB{next(_serial):07d}"
    return body + uscc_check_char(body)


def department(region_code: str = "411500", name: str | None = None, **kw: Any) -> Department:
    code = kw.pop("uscc", None) or uscc(region_code)
    return services.create_department(
        SYSTEM, region_code=region_code, name=name or f"测试部门{code[-6:]}", uscc=code, **kw
    )


def basic_code() -> str:
    return f"T{next(_serial):011d}"


def item(name: str = "正常退休提取住房公积金", item_type: str = "20", **kw: Any) -> ServiceItem:
    kw.setdefault("basic_code", basic_code() if kw.get("kind", "main") != "handling" else None)
    return services.create_item(SYSTEM, name=name, item_type=item_type, **kw)


def guide(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "正常退休提取住房公积金",
        "conditions": "已办理退休手续的缴存职工",
        "service_objects": ["natural"],
        "statutory_limit": 20,
        "promised_limit": 3,
        "case_type": "promised",
        "modes": ["window", "online", "proxy"],
        "review_steps": ["审查", "审批"],
        "scope": "nationwide",
        "result_type": "payment",
        "result_name": "住房公积金提取到账通知",
    }
    data.update(overrides)
    return data


def materials(*names: str) -> list[dict[str, Any]]:
    names = names or ("居民身份证", "退休证明")
    return [{"name": n, "form": "original", "paper_copies": 1} for n in names]


def implementation(
    item_obj: ServiceItem | None = None,
    dept: Department | None = None,
    *,
    publish: bool = True,
    guide_data: dict[str, Any] | None = None,
    material_list: list[dict[str, Any]] | None = None,
    region_code: str = "411500",
) -> ItemImplementation:
    item_obj = item_obj or item()
    dept = dept or department(region_code)
    impl = services.create_implementation(
        SYSTEM,
        item=item_obj,
        department=dept,
        implementation_code=f"{dept.uscc}{next(_serial):013d}",
        guide=guide_data or guide(name=item_obj.name),
        materials=material_list if material_list is not None else materials(),
    )
    if publish:
        services.publish_guide(SYSTEM, impl.versions.get())
        impl.refresh_from_db()
    return impl
