"""Bundle commands (一件事): define a bundle, publish it.

Each takes the actor first and asks the policy (``catalog.write``): a bundle is catalog data, placed
like an implementation by its region and lead department. Bad input raises DomainError naming the
field and the reason, with nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from tongban.bundles import graph
from tongban.bundles import plan as bundle_plan
from tongban.bundles.models import Bundle, BundleDependency, BundleItem, OnRefusal
from tongban.catalog.agreements import receivable
from tongban.catalog.models import Department, ItemImplementation, Region
from tongban.core.errors import Conflict, DomainError, Problem
from tongban.core.messages import Text
from tongban.identity.denied import require
from tongban.identity.policy import Place

if TYPE_CHECKING:
    from tongban.identity.actor import Actor

WRITE = "catalog.write"
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def _place(bundle_region: Region, department: Department) -> Place:
    return Place(bundle_region.code, department.pk)


def _on_one_line(region: Region, code: str, prefix: str) -> bool:
    """Whether a division (code, prefix) is the region, inside it or above it."""
    return code.startswith(region.code_prefix) or region.code.startswith(prefix)


def _check_header(code: str, name: str, region: Region, lead_department: Department, limit: Any, on_refusal: str):  # type: ignore[no-untyped-def]
    problems: list[Problem] = []
    if not CODE.match(code or ""):
        problems.append(
            Problem(
                "code",
                "invalid_code",
                Text(
                    "编码应为2至64位小写字母、数字或连字符，以字母或数字开头",
                    "the code is 2 to 64 lower-case letters, digits or hyphens, starting with a letter or digit",
                ),
            )
        )
    if not (name or "").strip():
        problems.append(Problem("name", "required", Text("一件事名称为必填项", "the bundle's name is required")))
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        problems.append(
            Problem(
                "promised_limit",
                "invalid_limit",
                Text(
                    "承诺时限应为正整数（工作日）", "the promised limit is a whole number of working days, at least 1"
                ),
            )
        )
    if on_refusal not in OnRefusal.values:
        problems.append(
            Problem(
                "on_refusal",
                "invalid_choice",
                Text(f"“{on_refusal}”无效，可选：continue、stop", f"'{on_refusal}' is not one of: continue, stop"),
            )
        )
    dept_region = lead_department.region
    if not _on_one_line(region, dept_region.code, dept_region.code_prefix):
        problems.append(
            Problem(
                "lead_department",
                "department_outside_region",
                Text(
                    f"牵头部门“{lead_department.name}”不属于{region.name}",
                    f"the lead department '{lead_department.name}' is not in {region.name}",
                ),
            )
        )
    return problems


def _check_items(region: Region, items: Sequence[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    if len(items) < 2:
        problems.append(
            Problem("items", "too_few_items", Text("一件事至少包含两个事项", "a bundle has at least two items"))
        )
    keys: set[str] = set()
    impls: set[int] = set()
    for i, entry in enumerate(items):
        key, impl = entry.get("key", ""), entry.get("implementation")
        if not KEY.match(key or ""):
            problems.append(
                Problem(
                    f"items[{i}].key",
                    "invalid_key",
                    Text(
                        "事项键应为1至32位小写字母、数字或下划线，以字母开头",
                        "an item key is 1 to 32 lower-case letters, digits or underscores, starting with a letter",
                    ),
                )
            )
        elif key in keys:
            problems.append(
                Problem(
                    f"items[{i}].key", "duplicate_key", Text(f"事项键“{key}”重复", f"item key '{key}' is used twice")
                )
            )
        keys.add(key)
        if not isinstance(impl, ItemImplementation):
            problems.append(
                Problem(f"items[{i}].implementation", "required", Text("请指定实施清单", "name the implementation"))
            )
            continue
        if impl.pk in impls:
            problems.append(
                Problem(
                    f"items[{i}].implementation",
                    "duplicate_implementation",
                    Text(f"事项“{impl.item.name}”重复", f"item '{impl.item.name}' is in the bundle twice"),
                )
            )
        impls.add(impl.pk)
        if impl.current_version_id is None:
            problems.append(
                Problem(
                    f"items[{i}].implementation",
                    "no_guide_in_force",
                    Text(f"“{impl.item.name}”没有已发布的办事指南", f"'{impl.item.name}' has no published guide"),
                )
            )
        outside = not _on_one_line(region, impl.region.code, impl.region.code_prefix)
        # 多地联办: another region's item is its node's part, where an agreement lets the two handle it jointly.
        if outside and "joint" not in receivable(region, impl.item, impl.region).modes:
            problems.append(
                Problem(
                    f"items[{i}].implementation",
                    "implementation_outside_region",
                    Text(
                        f"“{impl.item.name}”由{impl.region.full_name}实施，不属于{region.full_name}，"
                        "也没有两地联办（joint）的通办协议",
                        f"'{impl.item.name}' is implemented in {impl.region.full_name}, outside {region.full_name}, "
                        "and no agreement lets the two handle it jointly (mode joint)",
                    ),
                )
            )
    return problems


def _conflicts(current: bundle_plan.BundlePlan) -> list[Problem]:
    return [
        Problem(
            "items",
            f"form_conflict_{c.reason}",
            Text(
                f"字段“{c.field}”在{'、'.join(c.items)}中的{'类型' if c.reason == 'type' else '可选值'}不一致",
                f"field '{c.field}' has a different {'type' if c.reason == 'type' else 'set of values'} in "
                f"{', '.join(c.items)}",
            ),
        )
        for c in current.form.conflicts
    ]


@transaction.atomic
def create_bundle(
    actor: Actor,
    *,
    code: str,
    name: str,
    region: Region,
    lead_department: Department,
    promised_limit: int,
    on_refusal: str = OnRefusal.CONTINUE,
    items: Sequence[dict[str, Any]],
    dependencies: Sequence[tuple[str, str]] = (),
    description: str = "",
) -> Bundle:
    """Define a bundle (一件事), unpublished: items as {key, implementation}, dependencies as (item, waits_for)."""
    require(actor, WRITE)
    require(actor, WRITE, _place(region, lead_department), "lead_department")
    problems = _check_header(code, name, region, lead_department, promised_limit, on_refusal)
    problems += _check_items(region, items)
    if problems:
        raise DomainError(problems)
    edges = [(str(a), str(b)) for a, b in dependencies]
    keys = [e["key"] for e in items]
    graph.validate(keys, edges)
    current = bundle_plan.compute([(e["key"], e["implementation"]) for e in items], edges, name)
    if conflicts := _conflicts(current):
        raise DomainError(conflicts)
    if Bundle.objects.filter(code=code).exists():
        raise Conflict.single("code", "duplicate", f"编码“{code}”已被使用", f"a bundle with code '{code}' exists")
    bundle = Bundle.objects.create(
        code=code,
        name=name.strip(),
        description=description,
        region=region,
        lead_department=lead_department,
        promised_limit=promised_limit,
        on_refusal=on_refusal,
    )
    rows = {
        e["key"]: BundleItem.objects.create(bundle=bundle, implementation=e["implementation"], key=e["key"], order=i)
        for i, e in enumerate(items, start=1)
    }
    for item, waits_for in edges:
        BundleDependency.objects.create(bundle=bundle, item=rows[item], depends_on=rows[waits_for])
    return bundle


@transaction.atomic
def publish(actor: Actor, bundle: Bundle) -> Bundle:
    """Publish a bundle: applicants may apply for it. Its items' guides are checked again as they stand now."""
    bundle = Bundle.objects.select_for_update().select_related("region", "lead_department").get(pk=bundle.pk)
    require(actor, WRITE, _place(bundle.region, bundle.lead_department), "lead_department")
    if bundle.published:
        raise Conflict.single("published", "already_published", "该一件事已发布", "the bundle is published already")
    missing = [
        Problem(
            "items",
            "no_guide_in_force",
            Text(
                f"“{row.implementation.item.name}”没有已发布的办事指南",
                f"'{row.implementation.item.name}' has no published guide",
            ),
        )
        for row in bundle.items.select_related("implementation__item")
        if row.implementation.current_version_id is None
    ]
    if missing:
        raise DomainError(missing)
    if conflicts := _conflicts(bundle_plan.of(bundle)):
        raise DomainError(conflicts)
    bundle.published = True
    bundle.save(update_fields=["published"])
    return bundle
