"""Defining and publishing a bundle: the checks of create_bundle and publish, and nothing written on refusal."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f
from tests.identity import make
from tongban.bundles import services
from tongban.bundles.models import Bundle, BundleDependency, BundleItem
from tongban.catalog.models import Region
from tongban.core.errors import DomainError
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.denied import PolicyDenied

pytestmark = pytest.mark.django_db

BIRTH_CERT = "11100000MB165302XM001"


def impl(title: str, region: str = "411500", result: str = "", materials: list | None = None, **fields: Any):
    properties = dict(fields) or {"name": {"type": "string"}}
    guide = f.guide(
        name=title,
        result_license_type=result,
        result_type="license" if result else "approval",
        form_schema={"type": "object", "properties": properties, "required": list(properties)},
    )
    return f.implementation(
        f.item(name=title), f.department(region), guide_data=guide, material_list=materials, region_code=region
    )


@pytest.fixture
def birth() -> dict[str, Any]:
    cert = impl("出生医学证明签发", result=BIRTH_CERT)
    hukou = impl("新生儿入户", materials=[{"name": "出生医学证明", "license_types": [BIRTH_CERT]}])
    card = impl("社会保障卡申领", materials=[{"name": "出生医学证明", "license_types": [BIRTH_CERT]}])
    return {
        "code": "test-birth",
        "name": "新生儿出生一件事",
        "region": Region.objects.get(code="411500"),
        "lead_department": cert.department,
        "promised_limit": 5,
        "on_refusal": "continue",
        "items": [
            {"key": "cert", "implementation": cert},
            {"key": "hukou", "implementation": hukou},
            {"key": "card", "implementation": card},
        ],
        "dependencies": [("hukou", "cert"), ("card", "hukou")],
    }


def nothing_written() -> bool:
    return not (Bundle.objects.exists() or BundleItem.objects.exists() or BundleDependency.objects.exists())


def refused(data: dict[str, Any], actor: Any = SYSTEM) -> list[tuple[str | None, str]]:
    with pytest.raises(DomainError) as caught:
        services.create_bundle(actor, **data)
    assert nothing_written()
    return [(p.field, p.code) for p in caught.value.problems]


def test_a_bundle_is_defined_with_its_items_and_dependencies_unpublished(birth):
    bundle = services.create_bundle(SYSTEM, **birth)
    assert not bundle.published
    assert [i.key for i in bundle.items.all()] == ["cert", "hukou", "card"]
    assert {(d.item.key, d.depends_on.key) for d in bundle.dependencies.all()} == {("hukou", "cert"), ("card", "hukou")}
    assert services.publish(SYSTEM, bundle).published


def test_a_cycle_is_refused_naming_it(birth):
    birth["dependencies"] = [("hukou", "cert"), ("cert", "hukou")]
    assert refused(birth) == [("dependencies", "cycle")]


def test_unknown_item_keys_in_dependencies_are_refused(birth):
    birth["dependencies"] = [("hukou", "nobody")]
    assert refused(birth) == [("dependencies[0]", "unknown_item")]


def test_header_problems_are_named_field_by_field(birth):
    birth.update(code="Bad Code!", name=" ", promised_limit=0, on_refusal="maybe")
    assert refused(birth) == [
        ("code", "invalid_code"),
        ("name", "required"),
        ("promised_limit", "invalid_limit"),
        ("on_refusal", "invalid_choice"),
    ]


def test_item_keys_and_implementations_are_checked(birth):
    first = birth["items"][0]["implementation"]
    birth["items"] = [
        {"key": "Cert", "implementation": first},
        {"key": "a", "implementation": first},
        {"key": "a", "implementation": None},
    ]
    assert refused(birth) == [
        ("items[0].key", "invalid_key"),
        ("items[1].implementation", "duplicate_implementation"),
        ("items[2].key", "duplicate_key"),
        ("items[2].implementation", "required"),
    ]


def test_a_single_item_is_not_a_bundle(birth):
    birth["items"] = birth["items"][:1]
    birth["dependencies"] = []
    assert refused(birth) == [("items", "too_few_items")]


def test_an_item_without_a_published_guide_is_refused(birth):
    draft = f.implementation(f.item(name="草稿事项"), f.department("411500"), publish=False)
    birth["items"].append({"key": "draft", "implementation": draft})
    assert refused(birth) == [("items[3].implementation", "no_guide_in_force")]


def test_an_item_of_another_region_is_refused(birth):
    # Another region's item is decided by another node: a bundle's cases stay on one node for now.
    birth["items"].append({"key": "far", "implementation": impl("异地事项", region="320500")})
    assert refused(birth) == [("items[3].implementation", "implementation_outside_region")]


def test_a_lead_department_of_another_region_is_refused(birth):
    birth["lead_department"] = f.department("320500")
    assert refused(birth) == [("lead_department", "department_outside_region")]


def test_incompatible_form_fields_are_refused_naming_field_and_items(birth):
    birth["items"].append({"key": "odd", "implementation": impl("冲突事项", name={"type": "integer"})})
    with pytest.raises(DomainError) as caught:
        services.create_bundle(SYSTEM, **birth)
    problem = caught.value.problems[0]
    assert (problem.field, problem.code) == ("items", "form_conflict_type")
    assert "'name'" in problem.text.en and "cert, hukou, card, odd" in problem.text.en
    assert nothing_written()


def test_a_taken_code_is_a_conflict(birth):
    services.create_bundle(SYSTEM, **birth)
    with pytest.raises(DomainError) as caught:
        services.create_bundle(SYSTEM, **birth)
    assert caught.value.status == 409
    assert Bundle.objects.count() == 1


def test_only_a_catalog_administrator_of_the_place_defines_or_publishes(birth):
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    with pytest.raises(PolicyDenied):
        services.create_bundle(clerk, **birth)
    elsewhere = actor_for_user(make.staff("catalog_admin", "320500"))
    with pytest.raises(PolicyDenied):
        services.create_bundle(elsewhere, **birth)
    assert nothing_written()
    admin = actor_for_user(make.staff("catalog_admin", "411500"))
    bundle = services.create_bundle(admin, **birth)
    with pytest.raises(PolicyDenied):
        services.publish(elsewhere, bundle)
    assert services.publish(admin, bundle).published


def test_publishing_twice_is_a_conflict(birth):
    bundle = services.publish(SYSTEM, services.create_bundle(SYSTEM, **birth))
    with pytest.raises(DomainError) as caught:
        services.publish(SYSTEM, bundle)
    assert caught.value.status == 409
