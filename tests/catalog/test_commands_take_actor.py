"""The catalog commands take the actor and ask the policy (catalog.write) themselves.

Whoever calls them (the API, the admin, a loader), a command refuses an actor without the right with a
403 before it looks at the input, and writes nothing. Implementations and guides belong to their region
and department; departments to their region; items and agreements are node-wide (any catalog
administrator). Loaders act as the system actor, which every rule allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests import factories as f
from tests.identity import make
from tongban.catalog import services
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    ItemImplementation,
    MaterialRequirement,
    ServiceItem,
)
from tongban.catalog.transfer import import_catalog
from tongban.catalog.transfer.export import collect, write_json
from tongban.core.errors import DomainError
from tongban.identity.actor import SYSTEM, Actor, actor_for_user
from tongban.identity.denied import PolicyDenied

pytestmark = pytest.mark.django_db

HERE, THERE = "411500", "320500"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world() -> dict[str, Any]:
    """Records of 411500, made by the system actor: a department, a published and a draft implementation."""
    dept = f.department(HERE, name="信阳市医疗保障局")
    return {
        "dept": dept,
        "leaf": f.item("医疗保障参保信息查询", "20"),
        "published": f.implementation(f.item("异地就医备案", "20"), dept),
        "draft": f.implementation(f.item("生育津贴申领", "20"), dept, publish=False),
    }


def _actor(who: str) -> Actor:
    if who == "system":
        return SYSTEM
    role, _, region = who.partition("@")
    return actor_for_user(make.staff(role, region))


def catalog_state() -> list[Any]:
    """Every catalog row a command could write, as plain values: equal before and after means nothing written."""
    return [
        sorted(Department.objects.values_list("id", "region_id", "name", "uscc")),
        sorted(ServiceItem.objects.values_list("id", "name")),
        sorted(ItemImplementation.objects.values_list("id", "region_id", "department_id", "current_version_id")),
        sorted(GuideVersion.objects.values_list("id", "status", "promised_limit", "effective_to")),
        sorted(MaterialRequirement.objects.values_list("id", "guide_id", "name")),
        sorted(Agreement.objects.values_list("id", "name")),
    ]


def _create_department(actor: Actor, w: dict[str, Any]) -> Any:
    return services.create_department(actor, region_code=HERE, name="信阳市数据局", uscc=f.uscc(HERE))


def _create_item(actor: Actor, w: dict[str, Any]) -> Any:
    return services.create_item(actor, name="新生儿入户", item_type="20", basic_code=f.basic_code())


def _create_implementation(actor: Actor, w: dict[str, Any]) -> Any:
    dept = w["dept"]
    return services.create_implementation(
        actor,
        item=w["leaf"],
        department=dept,
        implementation_code=f"{dept.uscc}0000000000077",
        guide=f.guide(name="医疗保障参保信息查询"),
        materials=f.materials(),
    )


def _update_draft(actor: Actor, w: dict[str, Any]) -> Any:
    return services.update_draft(actor, w["draft"].versions.get(), guide={"promised_limit": 1})


def _publish_guide(actor: Actor, w: dict[str, Any]) -> Any:
    return services.publish_guide(actor, w["draft"].versions.get())


def _start_revision(actor: Actor, w: dict[str, Any]) -> Any:
    return services.start_revision(actor, w["published"])


def _retire_guide(actor: Actor, w: dict[str, Any]) -> Any:
    return services.retire_guide(actor, w["published"].current_version)


def _create_agreement(actor: Actor, w: dict[str, Any]) -> Any:
    return services.create_agreement(
        actor,
        name="豫苏跨省通办协议",
        kind="p2p",
        region_codes=[HERE, THERE],
        item_codes=[w["published"].item.basic_code],
        modes=["proxy"],
        effective_from=date(2025, 1, 1),
    )


def _save_record(actor: Actor, w: dict[str, Any]) -> Any:
    dept = Department.objects.get(pk=w["dept"].pk)
    dept.name = "信阳市医疗保障局（改名）"
    return services.save_record(actor, dept)


@dataclass(frozen=True)
class Command:
    run: Callable[[Actor, dict[str, Any]], Any]
    node_wide: bool = False  # items and agreements: any catalog administrator, wherever assigned


COMMANDS = {
    "create_department": Command(_create_department),
    "create_item": Command(_create_item, node_wide=True),
    "create_implementation": Command(_create_implementation),
    "update_draft": Command(_update_draft),
    "publish_guide": Command(_publish_guide),
    "start_revision": Command(_start_revision),
    "retire_guide": Command(_retire_guide),
    "create_agreement": Command(_create_agreement, node_wide=True),
    "save_record": Command(_save_record),
}

# Who runs the command, and (for a refusal) the policy's code.
ACTORS = {
    "catalog_admin@411500": None,  # the records' own region: allowed
    "system": None,  # loaders: allowed
    "catalog_admin@320500": "out_of_scope",  # another region: refused, except on node-wide records
    "window_clerk@411500": "role_required",  # the right region, the wrong role: refused
}


@pytest.mark.parametrize("who", list(ACTORS))
@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_asks_the_policy_for_its_actor(world, name, who):
    command = COMMANDS[name]
    actor = _actor(who)
    refusal = ACTORS[who]
    if refusal == "out_of_scope" and command.node_wide:
        refusal = None
    before = catalog_state()

    if refusal is None:
        command.run(actor, world)
        assert catalog_state() != before, f"{name} by {who} should have written"
        return

    with pytest.raises(PolicyDenied) as refused:
        command.run(actor, world)
    assert isinstance(refused.value, DomainError)
    assert refused.value.status == 403
    assert [p.code for p in refused.value.problems] == [refusal]
    assert refused.value.problems[0].text.zh and refused.value.problems[0].text.en
    assert catalog_state() == before, f"{name} by {who} wrote although refused"


def test_the_refusal_comes_before_any_complaint_about_the_input(world):
    """Someone without the right learns that, not what is wrong with data they may not touch."""
    clerk = _actor("window_clerk@411500")
    with pytest.raises(PolicyDenied):
        services.create_department(clerk, region_code="nonsense", name="", uscc="bad")
    with pytest.raises(PolicyDenied):
        services.create_item(clerk, name="", item_type="??", kind="??")
    with pytest.raises(PolicyDenied):
        services.create_agreement(
            clerk, name="", kind="??", region_codes=[], item_codes=[], modes=[], effective_from=date(2025, 1, 1)
        )
    elsewhere = _actor("catalog_admin@320500")
    dept = world["dept"]
    with pytest.raises(PolicyDenied):
        services.create_implementation(
            elsewhere, item=world["leaf"], department=dept, implementation_code="bad", guide={}, materials=[]
        )
    with pytest.raises(PolicyDenied):
        services.update_draft(elsewhere, world["draft"].versions.get(), guide={"promised_limit": -5})
    # The right actor with the same bad input gets the validation message instead.
    with pytest.raises(DomainError) as invalid:
        services.update_draft(_actor("catalog_admin@411500"), world["draft"].versions.get(), guide={"name": ""})
    assert not isinstance(invalid.value, PolicyDenied) and invalid.value.status == 400


def test_a_department_admin_of_another_department_may_not_touch_this_ones_guides(world):
    other = f.department(HERE, name="信阳市民政局")
    actor = actor_for_user(make.staff("catalog_admin", HERE, department=other))
    with pytest.raises(PolicyDenied) as refused:
        services.start_revision(actor, world["published"])
    assert refused.value.problems[0].code == "out_of_scope"
    assert not world["published"].versions.filter(status="draft").exists()


def test_an_implementation_placed_above_the_department_needs_that_region(world):
    """The record's place is its region: a district admin cannot file an implementation at city level."""
    district_dept = f.department("411502", name="浉河区医疗保障局")
    actor = actor_for_user(make.staff("catalog_admin", "411502"))
    with pytest.raises(PolicyDenied) as refused:
        services.create_implementation(
            actor,
            item=world["leaf"],
            department=district_dept,
            implementation_code=f"{district_dept.uscc}0000000000078",
            guide=f.guide(name="医疗保障参保信息查询"),
            materials=f.materials(),
            region_code=HERE,
        )
    assert refused.value.problems[0].field == "region"
    assert not ItemImplementation.objects.filter(department=district_dept).exists()


def test_moving_a_record_into_ones_region_needs_the_right_where_it_was(world):
    there = f.department(THERE, name="苏州市医疗保障局")
    moved = Department.objects.get(pk=there.pk)
    moved.region_id = HERE
    with pytest.raises(PolicyDenied):
        services.save_record(_actor("catalog_admin@411500"), moved)
    assert Department.objects.get(pk=there.pk).region_id == THERE


# --- the import (事项库导入) ---------------------------------------------------------------------------


def _changed_export(tmp_path: Path, impl: ItemImplementation) -> Path:
    """An exchange file of the catalog in which the guide of ``impl`` (in 411500) is changed."""
    book = collect()[0]
    row = next(r for r in book["implementations"] if r["implementation_code"] == impl.implementation_code)
    row["promised_limit"] = 1
    path = tmp_path / "catalog.json"
    write_json(book, path)
    return path


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("catalog_admin@411500", None),
        ("system", None),
        ("catalog_admin@320500", "out_of_scope"),
        ("window_clerk@411500", "role_required"),
    ],
)
def test_the_import_asks_the_policy_for_every_region_it_writes_to(world, tmp_path, who, refusal):
    path = _changed_export(tmp_path, world["published"])
    actor = _actor(who)
    before = catalog_state()
    if refusal is None:
        report = import_catalog(actor, path)
        assert report.versions_created == 1
        assert world["published"].versions.count() == 2
        return
    with pytest.raises(PolicyDenied) as refused:
        import_catalog(actor, path)
    assert refused.value.status == 403 and refused.value.problems[0].code == refusal
    assert catalog_state() == before


def test_the_import_refuses_a_clerk_before_reading_the_file(tmp_path):
    with pytest.raises(PolicyDenied):
        import_catalog(_actor("window_clerk@411500"), tmp_path / "does-not-exist.xlsx")


# --- the callers pass the request's actor -------------------------------------------------------------


def _staff_login(client, role: str, region: str) -> User:
    account = make.staff(role, region)
    account.is_staff = True
    account.save()
    client.force_login(account)
    return account


def test_an_admin_action_on_another_regions_implementation_is_refused(client, world):
    """The change lists show the whole catalog; the command refuses what is outside one's scope."""
    _staff_login(client, "catalog_admin", THERE)
    impl = world["published"]
    response = client.post(
        "/admin/catalog/itemimplementation/",
        {"action": "start_revision", "_selected_action": [impl.pk]},
        follow=True,
    )
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and "范围" in errors[0]
    assert not impl.versions.filter(status="draft").exists()


def test_an_admin_action_in_ones_own_region_works(client, world):
    _staff_login(client, "catalog_admin", HERE)
    impl = world["published"]
    client.post("/admin/catalog/itemimplementation/", {"action": "start_revision", "_selected_action": [impl.pk]})
    assert impl.versions.filter(status="draft").exists()


def test_the_api_passes_the_request_actor_to_the_command(world, monkeypatch):
    """The API's own permission check and the command's agree; the command sees the caller, not the system."""
    from rest_framework.test import APIClient

    seen: list[Actor] = []
    original = services.start_revision

    def spy(actor: Actor, impl: ItemImplementation) -> GuideVersion:
        seen.append(actor)
        return original(actor, impl)

    monkeypatch.setattr(services, "start_revision", spy)
    account = make.staff("catalog_admin", HERE)
    api = APIClient()
    api.force_authenticate(account)
    response = api.post(f"/api/v1/implementations/{world['published'].implementation_code}/revise/")
    assert response.status_code == 201, response.content
    assert len(seen) == 1 and not seen[0].system and seen[0].user_id == account.pk
