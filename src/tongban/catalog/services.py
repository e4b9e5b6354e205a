"""Catalog commands: every change to the catalog goes through one of these functions.

Each takes the actor first and asks the policy (``catalog.write``, tongban.identity.policy) itself,
before it looks at the input: implementations and guides are placed by their region and department,
departments by their region, items and agreements are node-wide. Someone without the right gets a
403 (PolicyDenied) and nothing is written. Loaders (the demo, imports, test data) act as
``tongban.identity.actor.SYSTEM``, which every rule allows.

Each then checks its input, writes in one transaction and keeps the search index in step. On bad input
it raises :class:`~tongban.core.errors.DomainError` naming the field and the reason, having written
nothing.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.catalog import choices as c
from tongban.catalog import guide as guide_rules
from tongban.catalog import search
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    Hall,
    ItemImplementation,
    MaterialRequirement,
    Region,
    ServiceItem,
)
from tongban.core.codes import (
    CodeError,
    validate_basic_code,
    validate_handling_code,
    validate_implementation_code,
    validate_region_code,
    validate_uscc,
)
from tongban.core.errors import Conflict, DomainError, NotFound, Problem
from tongban.core.messages import Text
from tongban.identity.denied import require
from tongban.identity.policy import Place

if TYPE_CHECKING:
    from tongban.identity.actor import Actor

WRITE = "catalog.write"


def get_region(code: str, field: str = "region", missing_status: int = 400) -> Region:
    """The region with this code; a malformed code is a 400, an unknown one ``missing_status``."""
    try:
        code = validate_region_code(code)
    except CodeError as exc:
        raise DomainError.from_code_error(field, exc) from exc
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise DomainError.single(
            field,
            "unknown_region",
            f"行政区划代码“{code}”不存在",
            f"there is no region with code '{code}'",
            status_code=missing_status,
        )
    return region


def _check(field: str, check, value: str, *args) -> str:  # type: ignore[no-untyped-def]
    try:
        return check(value, *args)
    except CodeError as exc:
        raise DomainError.from_code_error(field, exc) from exc


@transaction.atomic
def create_department(
    actor: Actor,
    *,
    region_code: str,
    name: str,
    uscc: str,
    kind: str = c.DepartmentKind.ORGAN,
    phone: str = "",
    address: str = "",
) -> Department:
    """Register an implementing department (实施机关) in a region the actor administers."""
    require(actor, WRITE)
    region = get_region(region_code)
    require(actor, WRITE, Place(region.code), "region")
    uscc = _check("uscc", validate_uscc, uscc)
    if not name.strip():
        raise DomainError.single("name", "required", "部门名称为必填项", "the department's name is required")
    if kind not in c.DepartmentKind.values:
        raise DomainError.single(
            "kind", "invalid_choice", f"部门类型“{kind}”无效", f"'{kind}' is not a department kind"
        )
    if Department.objects.filter(region=region, name=name.strip()).exists():
        raise Conflict.single(
            "name",
            "duplicate",
            f"{region.name}已有名为“{name.strip()}”的部门",
            f"{region.name} already has a department named '{name.strip()}'",
        )
    if Department.objects.filter(uscc=uscc).exists():
        raise Conflict.single(
            "uscc", "duplicate", f"统一社会信用代码“{uscc}”已登记", f"a department with USCC '{uscc}' already exists"
        )
    return Department.objects.create(
        region=region, name=name.strip(), uscc=uscc, kind=kind, phone=phone, address=address
    )


@transaction.atomic
def create_item(
    actor: Actor,
    *,
    name: str,
    item_type: str,
    kind: str = c.ItemKind.MAIN,
    basic_code: str | None = None,
    handling_code: str | None = None,
    parent: ServiceItem | None = None,
    legal_basis: str = "",
    exercise_levels: list[str] | None = None,
    handling_kind: str = "",
    aliases: list[str] | None = None,
    keywords: list[str] | None = None,
) -> ServiceItem:
    """Add a service item (政务服务事项) to the national list (node-wide: any catalog administrator)."""
    require(actor, WRITE, ServiceItem())
    if kind not in c.ItemKind.values:
        raise DomainError.single("kind", "invalid_choice", f"事项层级“{kind}”无效", f"'{kind}' is not an item kind")
    if item_type not in c.ItemType.values:
        raise DomainError.single(
            "item_type",
            "invalid_choice",
            f"事项类型“{item_type}”无效，可选：{'、'.join(c.ItemType.values)}",
            f"'{item_type}' is not an item type; choose from {', '.join(c.ItemType.values)}",
        )
    if not name.strip():
        raise DomainError.single("name", "required", "事项名称为必填项", "the item's name is required")
    if kind == c.ItemKind.HANDLING:
        handling_code = _check("handling_code", validate_handling_code, handling_code or "")
        basic_code = None
    else:
        basic_code = _check("basic_code", validate_basic_code, basic_code or "")
        handling_code = None
    expected_parent = {
        c.ItemKind.MAIN: None,
        c.ItemKind.SUB: c.ItemKind.MAIN,
        c.ItemKind.HANDLING: (c.ItemKind.MAIN, c.ItemKind.SUB),
    }[kind]
    if kind == c.ItemKind.MAIN and parent is not None:
        raise DomainError.single("parent", "main_has_no_parent", "主项不能有上级事项", "a main item has no parent")
    if kind != c.ItemKind.MAIN and (
        parent is None
        or parent.kind not in (expected_parent if isinstance(expected_parent, tuple) else (expected_parent,))
    ):
        raise DomainError.single(
            "parent",
            "wrong_parent",
            "子项的上级应为主项，办理项的上级应为主项或子项",
            "a sub-item belongs to a main item, a handling item to a main item or sub-item",
        )
    for value in exercise_levels or []:
        if value not in c.ExerciseLevel.values:
            raise DomainError.single(
                "exercise_levels", "invalid_choice", f"行使层级“{value}”无效", f"'{value}' is not an exercise level"
            )
    if handling_kind and handling_kind not in c.HandlingKind.values:
        raise DomainError.single(
            "handling_kind",
            "invalid_choice",
            f"办理项类型“{handling_kind}”无效",
            f"'{handling_kind}' is not a handling kind",
        )
    duplicate = (
        ServiceItem.objects.filter(basic_code=basic_code)
        if basic_code
        else ServiceItem.objects.filter(handling_code=handling_code)
    )
    if duplicate.exists():
        field = "basic_code" if basic_code else "handling_code"
        raise Conflict.single(
            field,
            "duplicate",
            f"编码“{basic_code or handling_code}”已存在",
            f"an item with code '{basic_code or handling_code}' already exists",
        )
    return ServiceItem.objects.create(
        kind=kind,
        parent=parent,
        basic_code=basic_code,
        handling_code=handling_code,
        name=name.strip(),
        item_type=item_type,
        legal_basis=legal_basis,
        exercise_levels=exercise_levels or [],
        handling_kind=handling_kind,
        aliases=aliases or [],
        keywords=keywords or [],
    )


def _check_guide(data: dict[str, Any], materials: list[dict[str, Any]]) -> None:
    problems = guide_rules.validate_guide(data, materials)
    if problems:
        raise DomainError(problems)


def _write_materials(guide: GuideVersion, materials: list[dict[str, Any]]) -> None:
    guide.materials.all().delete()
    for order, material in enumerate(materials, start=1):
        MaterialRequirement.objects.create(
            guide=guide, order=order, **{k: v for k, v in material.items() if k in guide_rules.MATERIAL_NAMES}
        )


@transaction.atomic
def create_implementation(
    actor: Actor,
    *,
    item: ServiceItem,
    department: Department,
    implementation_code: str,
    guide: dict[str, Any],
    materials: list[dict[str, Any]],
    region_code: str | None = None,
    local_code: str = "",
) -> ItemImplementation:
    """Add a region's implementation (事项实施清单) of an item, with its first guide as a draft.

    The actor must administer the implementation's place: its region (the department's unless given)
    and department.
    """
    require(actor, WRITE)
    region = get_region(region_code) if region_code else department.region
    require(actor, WRITE, Place(region.code, department.pk), "region" if region_code else "department")
    if not department.region.code == region.code and not region.contains(department.region.code):
        raise DomainError.single(
            "department",
            "department_outside_region",
            "实施机关不属于该行政区划",
            "the implementing department does not belong to this region",
        )
    code = _check("implementation_code", validate_implementation_code, implementation_code, department.uscc)
    if item.children.exists():
        raise DomainError.single(
            "item",
            "not_a_leaf",
            "只能为最小办理单元（无下级的事项）编制实施清单",
            "an implementation belongs to the smallest unit, an item without sub-items",
        )
    _check_guide(guide, materials)
    if ItemImplementation.objects.filter(implementation_code=code).exists():
        raise Conflict.single(
            "implementation_code",
            "duplicate",
            f"实施编码“{code}”已存在",
            f"implementation code '{code}' already exists",
        )
    if ItemImplementation.objects.filter(item=item, region=region, department=department).exists():
        raise Conflict.single(
            "item", "duplicate", "该部门已有此事项的实施清单", "this department already implements this item"
        )
    impl = ItemImplementation.objects.create(
        item=item, region=region, department=department, implementation_code=code, local_code=local_code
    )
    draft = GuideVersion.objects.create(implementation=impl, number=1, **guide)
    _write_materials(draft, materials)
    search.index(impl)
    return impl


def _draft_of(impl: ItemImplementation) -> GuideVersion | None:
    return impl.versions.filter(status=c.GuideStatus.DRAFT).first()


@transaction.atomic
def update_draft(
    actor: Actor, draft: GuideVersion, *, guide: dict[str, Any], materials: list[dict[str, Any]] | None = None
) -> GuideVersion:
    """Change a draft guide. A published one is immutable: start a revision instead."""
    draft = GuideVersion.objects.select_for_update().get(pk=draft.pk)
    require(actor, WRITE, draft)
    if not draft.is_draft:
        raise Conflict.single(
            "status",
            "guide_published",
            "已发布的指南版本不可修改，请先创建新草稿",
            "a published guide version cannot be changed; start a new draft",
        )
    current = {f: getattr(draft, f) for f in guide_rules.FIELD_NAMES}
    current.update(guide)
    new_materials = materials if materials is not None else material_dicts(draft)
    _check_guide(current, new_materials)
    for field, value in guide.items():
        setattr(draft, field, value)
    draft.save()
    if materials is not None:
        _write_materials(draft, materials)
    return draft


def material_dicts(guide: GuideVersion) -> list[dict[str, Any]]:
    return [{f: getattr(m, f) for f in guide_rules.MATERIAL_NAMES} for m in guide.materials.all()]


def guide_dict(guide: GuideVersion) -> dict[str, Any]:
    return {f: getattr(guide, f) for f in guide_rules.FIELD_NAMES}


def guide_content(guide: GuideVersion) -> dict[str, Any]:
    return guide_rules.content(guide_dict(guide), material_dicts(guide))


@transaction.atomic
def publish_guide(actor: Actor, draft: GuideVersion, *, effective_from: date | None = None) -> GuideVersion:
    """Publish a draft: it becomes immutable and the version in force; the previous one retires."""
    draft = GuideVersion.objects.select_for_update().get(pk=draft.pk)
    require(actor, WRITE, draft)
    if not draft.is_draft:
        raise Conflict.single("status", "not_a_draft", "只有草稿可以发布", "only a draft can be published")
    data, materials = guide_dict(draft), material_dicts(draft)
    _check_guide(data, materials)
    today = timezone.localdate()
    effective_from = effective_from or today
    impl = ItemImplementation.objects.select_for_update().get(pk=draft.implementation_id)
    for old in impl.versions.filter(status=c.GuideStatus.PUBLISHED):
        old.status = c.GuideStatus.RETIRED
        old.effective_to = effective_from
        old.save(allow_status_change=True)
    draft.status = c.GuideStatus.PUBLISHED
    draft.effective_from = effective_from
    draft.published_at = timezone.now()
    draft.content_hash = guide_rules.content_hash(data, materials)
    draft.save(allow_status_change=True)
    impl.current_version = draft
    impl.save(update_fields=["current_version"])
    search.index(impl)
    return draft


@transaction.atomic
def start_revision(actor: Actor, impl: ItemImplementation) -> GuideVersion:
    """Editing a published guide: a new draft, copied from the version in force."""
    impl = ItemImplementation.objects.select_for_update().get(pk=impl.pk)
    require(actor, WRITE, impl)
    if _draft_of(impl) is not None:
        raise Conflict.single(
            "status",
            "draft_exists",
            "该实施清单已有草稿，请编辑现有草稿",
            "this implementation already has a draft; edit that one",
        )
    source = impl.current_version or impl.versions.order_by("-number").first()
    if source is None:
        raise NotFound.single("implementation", "no_guide", "该实施清单没有指南", "this implementation has no guide")
    number = (impl.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = GuideVersion.objects.create(implementation=impl, number=number, **guide_dict(source))
    _write_materials(draft, material_dicts(source))
    return draft


@transaction.atomic
def retire_guide(actor: Actor, guide: GuideVersion) -> GuideVersion:
    """Withdraw a published guide without a successor: the implementation stops being offered."""
    guide = GuideVersion.objects.select_for_update().get(pk=guide.pk)
    require(actor, WRITE, guide)
    if guide.status != c.GuideStatus.PUBLISHED:
        raise Conflict.single(
            "status", "not_published", "只有已发布的版本可以废止", "only a published version can be retired"
        )
    guide.status = c.GuideStatus.RETIRED
    guide.effective_to = timezone.localdate()
    guide.save(allow_status_change=True)
    impl = guide.implementation
    if impl.current_version_id == guide.pk:
        impl.current_version = None
        impl.save(update_fields=["current_version"])
        search.index(impl)
    return guide


@transaction.atomic
def create_agreement(
    actor: Actor,
    *,
    name: str,
    kind: str,
    region_codes: list[str],
    item_codes: list[str],
    modes: list[str],
    effective_from: date,
    effective_to: date | None = None,
    note: str = "",
) -> Agreement:
    """Record a cross-region agreement (通办协议); agreements are node-wide, like items."""
    require(actor, WRITE, Agreement())
    if kind not in c.AgreementKind.values:
        raise DomainError.single(
            "kind", "invalid_choice", f"协议类型“{kind}”无效", f"'{kind}' is not an agreement kind"
        )
    if not name.strip():
        raise DomainError.single("name", "required", "协议名称为必填项", "the agreement's name is required")
    if Agreement.objects.filter(name=name.strip()).exists():
        raise Conflict.single("name", "duplicate", f"协议“{name}”已存在", f"agreement '{name}' already exists")
    if len(set(region_codes)) < 2:
        raise DomainError.single(
            "regions", "too_few", "协议至少需要两个成员地区", "an agreement needs at least two regions"
        )
    regions = [get_region(code, f"regions[{i}]") for i, code in enumerate(region_codes)]
    items = []
    for i, code in enumerate(item_codes):
        item = (
            ServiceItem.objects.filter(basic_code=code).first()
            or ServiceItem.objects.filter(handling_code=code).first()
        )
        if item is None:
            raise DomainError.single(
                f"items[{i}]", "unknown_item", f"事项编码“{code}”不存在", f"there is no item with code '{code}'"
            )
        items.append(item)
    if not items:
        raise DomainError.single("items", "required", "协议至少需要一个事项", "an agreement covers at least one item")
    for mode in modes:
        if mode not in c.Mode.values:
            raise DomainError.single(
                "modes", "invalid_choice", f"办理方式“{mode}”无效", f"'{mode}' is not a handling mode"
            )
    if effective_to and effective_to < effective_from:
        raise DomainError.single(
            "effective_to", "before_start", "失效日期早于生效日期", "the agreement ends before it starts"
        )
    try:
        agreement = Agreement.objects.create(
            name=name.strip(),
            kind=kind,
            modes=sorted(set(modes)),
            effective_from=effective_from,
            effective_to=effective_to,
            note=note,
        )
    except IntegrityError as exc:  # a concurrent create of the same name
        raise Conflict.single("name", "duplicate", f"协议“{name}”已存在", f"agreement '{name}' already exists") from exc
    agreement.regions.set(regions)
    agreement.items.set(items)
    return agreement


@transaction.atomic
def save_record(
    actor: Actor, obj: Department | ServiceItem | Hall | Agreement, *, changed: list[str] | None = None
) -> None:
    """Save an edit of a department, item, hall or agreement made in the admin.

    The actor must administer the record where it is stored and where the edit puts it (moving a
    department to another region needs both). Then checks every field (the code validators included),
    saves, and re-indexes the implementations whose search text the edit touches (names of items and
    departments appear in it).
    """
    from django.core.exceptions import ValidationError

    stored = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk is not None else None
    if stored is not None:
        require(actor, WRITE, stored)
    require(actor, WRITE, obj)

    try:
        obj.full_clean()
    except ValidationError as exc:
        raise DomainError(
            [
                Problem(field, "invalid", Text(str(m), str(m)))
                for field, messages in exc.message_dict.items()
                for m in messages
            ]
        ) from exc
    obj.save()
    affected: list[ItemImplementation] = []
    if isinstance(obj, Department):
        affected = list(obj.implementations.all())
    elif isinstance(obj, ServiceItem):
        from tongban.catalog.agreements import item_ids_with_descendants

        affected = list(ItemImplementation.objects.filter(item_id__in=item_ids_with_descendants([obj.pk])))
    if affected:
        search.index_many(
            list(
                ItemImplementation.objects.filter(pk__in=[i.pk for i in affected])
                .select_related("item__parent", "region", "department", "current_version")
                .prefetch_related("current_version__materials")
            )
        )
