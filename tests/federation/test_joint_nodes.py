"""多地联办 over three real nodes (SCENARIOS §3, widened): one application at 信阳 whose parts 苏州 and 黄冈
do. A family moving to 信阳 applies once, at 信阳, for 户口迁入 (信阳's part), which waits for two
certificates the places they leave issue: 苏州's 户口迁出 and 黄冈's 婚姻登记记录证明. Both go out at once
(in parallel), each node decides its part; what they do comes back and moves the bundle on; 信阳's own
part starts when both are issued, and the output window at 信阳 hands everything out, which completes
the parts at 苏州 and 黄冈 too. The applicant visits one place.

Each node is its own processes, folder, SQLite file and port (tests/federation/nodes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.federation import nodes
from tests.federation.nodes import HUANGGANG, SUZHOU, XINYANG, Federation, Node
from tests.licenses.test_sharing_nodes import program, result_of
from tongban.core.codes import uscc_check_char

pytestmark = pytest.mark.nodes


def _uscc(body: str) -> str:
    return body + uscc_check_char(body)


# (key, region, department, its USCC, item name, basic code, material)
PARTS = (
    ("move_out", "320500", "苏州市公安局", _uscc("11320500MB0000003"), "户口迁出", "T00000000031", "居民户口簿"),
    ("record", "421100", "黄冈市民政局", _uscc("11421100MB0000003"), "婚姻登记记录证明", "T00000000032", "结婚证"),
    ("move_in", "411500", "信阳市公安局", _uscc("11411500MB0000003"), "夫妻投靠户口迁入", "T00000000033", "居民身份证"),
)
GUIDE: dict[str, Any] = {
    "conditions": "夫妻一方投靠另一方落户",
    "service_objects": ["natural"],
    "statutory_limit": 20,
    "promised_limit": 5,
    "case_type": "promised",
    "modes": ["window", "joint"],
    "review_steps": ["审批"],
    "scope": "nationwide",
    "result_type": "record",
    "result_name": "办理结果",
}

# Every node: the three parts' departments and published guides (the alliance's shared catalogue), and
# at 信阳 the agreements that let it hand 苏州's and 黄冈's parts to them, and the bundle.
CATALOG = """
from datetime import date
from tongban.bundles import services as bundles
from tongban.catalog import services as catalog
from tongban.catalog.models import Region
from tongban.identity.actor import SYSTEM

impls = {}
for key, region, name, uscc, item_name, code, material in PARTS:
    department = catalog.create_department(SYSTEM, region_code=region, name=name, uscc=uscc)
    item = catalog.create_item(SYSTEM, name=item_name, item_type="20", basic_code=code)
    impl = catalog.create_implementation(
        SYSTEM, item=item, department=department, implementation_code=uscc + "0000000000003",
        guide={**GUIDE, "name": item_name},
        materials=[{"name": material, "form": "original", "paper_copies": 1}],
    )
    catalog.publish_guide(SYSTEM, impl.versions.get(), effective_from=date(2026, 1, 1))
    impl.refresh_from_db()
    impls[key] = impl
if LEAD:
    for key, region in (("move_out", "320500"), ("record", "421100")):
        catalog.create_agreement(
            SYSTEM, name=f"信阳—{region}户籍多地联办协议", kind="p2p", region_codes=["411500", region],
            item_codes=[impls[key].item.basic_code], modes=["joint"], effective_from=date(2020, 1, 1),
        )
    bundle = bundles.create_bundle(
        SYSTEM, code="family-move", name="夫妻投靠户口迁移一件事", region=Region.objects.get(code="411500"),
        lead_department=impls["move_in"].department, promised_limit=10,
        items=[{"key": key, "implementation": impls[key]} for key in ("move_out", "record", "move_in")],
        dependencies=[("move_in", "move_out"), ("move_in", "record")],
    )
    bundles.publish(SYSTEM, bundle)
"""

# 信阳: the comprehensive window receives the whole bundle at once.
APPLY = """
import json
from django.contrib.auth.models import User
from tongban.bundles.services import applications as apply
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user

account = User.objects.create_user("clerk-xy", password="x-very-long-password-1")
identity.assign_role(SYSTEM, user=account, role="window_clerk", region_code="411500")
clerk = actor_for_user(account)
person = identity.register_person(
    SYSTEM, name="陈敏", id_type="resident_id", id_number="421102200001010010", region_code="411500"
)
bc = apply.start(clerk, "family-move", person=person, identity_check="身份证读卡器核验")
for m in bc.materials.filter(from_result_of=""):
    apply.give_material(clerk, bc, material_id=m.pk, evidence="original_seen")
bc = apply.submit(clerk, bc)
parts = {c.bundle_key: [c.number, c.status, c.home_node] for c in bc.item_cases.all()}
print("RESULT " + json.dumps({"number": bc.number, "parts": parts}))
"""

# At a node doing a part: the department decides and issues (a head of that department).
DECIDE = """
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.catalog.models import Department
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user

department = Department.objects.get(uscc=USCC)
account = User.objects.create_user("head-" + USCC[-4:], password="x-very-long-password-1")
region = department.region_id
identity.assign_role(SYSTEM, user=account, role="department_head", region_code=region, department=department)
clerk = User.objects.create_user("clerk-" + USCC[-4:], password="x-very-long-password-1")
identity.assign_role(SYSTEM, user=clerk, role="window_clerk", region_code=region, department=department)
head, window = actor_for_user(account), actor_for_user(clerk)
case = Case.objects.get(number=NUMBER)
cases.accept(window, case)
case.refresh_from_db()
cases.approve(head, case, opinion="准予")
cases.issue(window, case)
case.refresh_from_db()
print("RESULT " + json.dumps({"status": case.status, "origin": case.origin_node}))
"""

# 信阳: the state of the application; then its own part decided; then the package handed out.
STATE = """
import json
from tongban.bundles.models import BundleCase
from tongban.bundles.services import applications as apply
bc = BundleCase.objects.get(number=NUMBER)
print("RESULT " + json.dumps({"status": bc.status, "items": apply.item_states(bc)}))
"""
HAND_OUT = """
import json
from django.contrib.auth.models import User
from tongban.bundles.models import BundleCase
from tongban.bundles.services import applications as apply
from tongban.identity.actor import actor_for_user
bc = BundleCase.objects.get(number=NUMBER)
bc = apply.deliver(actor_for_user(User.objects.get(username="clerk-xy")), bc, method="window",
                   recipient_id_check="身份证原件核验")
print("RESULT " + json.dumps({"status": bc.status}))
"""


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    federation = nodes.build(tmp_path_factory.mktemp("joint"), (XINYANG, SUZHOU, HUANGGANG))
    yield federation
    federation.stop()


def state(node: Node, number: str) -> dict[str, Any]:
    return result_of(node.run(program(STATE, NUMBER=number)))


@pytest.fixture(scope="module")
def story(fed: Federation) -> dict[str, Any]:
    xinyang, suzhou, huanggang = fed["xinyang"], fed["suzhou"], fed["huanggang"]
    for node in (xinyang, suzhou, huanggang):
        node.run(program(CATALOG, PARTS=PARTS, GUIDE=GUIDE, LEAD=node is xinyang))
    out: dict[str, Any] = {"applied": result_of(xinyang.run(program(APPLY)))}
    number = out["applied"]["number"]
    out["sent"] = xinyang.deliver()
    parts = out["applied"]["parts"]
    out["decided"] = {
        "suzhou": result_of(suzhou.run(program(DECIDE, USCC=PARTS[0][3], NUMBER=parts["move_out"][0]))),
        "huanggang": result_of(huanggang.run(program(DECIDE, USCC=PARTS[1][3], NUMBER=parts["record"][0]))),
    }
    suzhou.deliver()
    out["after_suzhou"] = state(xinyang, number)
    huanggang.deliver()
    out["after_both"] = state(xinyang, number)
    [(move_in,)] = xinyang.rows("SELECT number FROM cases_case WHERE bundle_key = 'move_in'")
    out["own_part"] = result_of(xinyang.run(program(DECIDE, USCC=PARTS[2][3], NUMBER=move_in)))
    out["ready"] = state(xinyang, number)
    out["handed_out"] = result_of(xinyang.run(program(HAND_OUT, NUMBER=number)))
    out["deliveries_sent"] = xinyang.deliver(2)
    return out


def status_at(node: Node, number: str) -> str:
    [(status,)] = node.rows("SELECT status FROM cases_case WHERE number = ?", (number,))
    return status


def test_the_parts_of_other_nodes_go_out_at_once(fed: Federation, story: dict[str, Any]) -> None:
    parts = story["applied"]["parts"]
    assert parts["move_out"][1:] == ["forwarded", "suzhou"]
    assert parts["record"][1:] == ["forwarded", "huanggang"]
    assert "move_in" not in parts  # 信阳's own part waits for both results
    assert story["sent"][0]["delivered"] == 2  # one transfer to each node
    assert story["decided"] == {
        "suzhou": {"status": "issued", "origin": "xinyang"},
        "huanggang": {"status": "issued", "origin": "xinyang"},
    }


def test_each_result_moves_the_bundle_on_and_the_own_part_starts_after_both(story: dict[str, Any]) -> None:
    assert story["after_suzhou"]["items"] == {"move_out": "ready", "record": "running", "move_in": "waiting"}
    assert story["after_both"]["items"] == {"move_out": "ready", "record": "ready", "move_in": "running"}
    assert story["own_part"]["status"] == "issued"
    assert story["ready"]["status"] == "ready"


def test_one_package_at_xinyang_completes_the_parts_where_they_were_done(
    fed: Federation, story: dict[str, Any]
) -> None:
    assert story["handed_out"] == {"status": "completed"}
    parts = story["applied"]["parts"]
    assert status_at(fed["suzhou"], parts["move_out"][0]) == "completed"
    assert status_at(fed["huanggang"], parts["record"][0]) == "completed"
