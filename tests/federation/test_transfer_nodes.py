"""异地代收代办 between real nodes (SCENARIOS §1 and §9): 王芳 of 信阳 asks at a 苏州 window for her housing
fund on retirement, which 信阳's fund centre decides. 苏州 (suzhou, 320500) receives it under the 苏州—信阳
agreement, scans her materials and forwards the case while 信阳 (xinyang, 411500) is down; nothing is lost:
once 信阳 is back the transfer and its files arrive, once each, in order — one scan larger than a message
(苏州 forwards with 1 KiB messages) in pieces, put together at 信阳 with the same SM3. 信阳 accepts,
approves and issues; every step flows back and 苏州's record shows who did it at 信阳, and 苏州 keeps a
copy of 信阳's acceptance and decision notices, rendered by its own worker into the same PDFs. The result
is handed out at the 苏州 window, which completes the case at 信阳 too. On 苏州's portal 李强 applies
online for himself and for the company he represents; both cases go to 信阳, the company with them.

Each node is its own processes, folder, SQLite file and port (tests/federation/nodes.py); each step of the
story is one `manage.py shell -c` script printing a ``RESULT <json>`` line, and the nodes' databases are
read here, read-only. The story runs in order: the module's fixtures play it, the tests check what it left.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.federation import nodes
from tests.federation.nodes import SUZHOU, XINYANG, Federation, Node
from tests.licenses.test_sharing_nodes import program, result_of
from tongban.core.codes import uscc_check_char

pytestmark = pytest.mark.nodes

CENTRE_USCC = "12411500MB0000002"
CENTRE_USCC += uscc_check_char(CENTRE_USCC)
SUZHOU_USCC = "12320500MB0000002"
SUZHOU_USCC += uscc_check_char(SUZHOU_USCC)
IMPLEMENTATION = CENTRE_USCC + "0000000000002"
COMPANY_USCC = "91320500MA0000003"
COMPANY_USCC += uscc_check_char(COMPANY_USCC)
APPLICANT = ("王芳", "411502200003010022")
ONLINE_APPLICANT = "320502200005050017"
PDF = b"%PDF-1.4\n% a scanned page\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A scan of about 3 KiB: five pieces at 1 KiB of base64 a message (TONGBAN_FEDERATION_CHUNK_KB=1 at 苏州).
LARGE = PDF[:-6] + b"% " + bytes(range(32, 127)) * 34 + b"\n%%EOF\n"
SMALL_MESSAGES = {"TONGBAN_FEDERATION_CHUNK_KB": "1"}
GUIDE: dict[str, Any] = {
    "name": "正常退休提取住房公积金",
    "conditions": "缴存职工达到法定退休年龄并办理退休手续",
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
MATERIALS: list[dict[str, Any]] = [
    {"name": "居民身份证", "form": "original", "paper_copies": 1},
    {"name": "退休证明", "form": "original", "paper_copies": 1},
]

# Both nodes: 信阳's fund centre and its published guide (苏州 shows 信阳's own guide, as the federation's
# shared catalogue gives it); at 苏州 also the agreement that lets its windows receive the item.
CATALOG = """
from datetime import date
from tongban.catalog import services as catalog
from tongban.identity.actor import SYSTEM

centre = catalog.create_department(SYSTEM, region_code="411500", name="信阳市住房公积金管理中心", uscc=CENTRE_USCC)
item = catalog.create_item(SYSTEM, name=GUIDE["name"], item_type="20", basic_code="T00000000002")
impl = catalog.create_implementation(
    SYSTEM, item=item, department=centre, implementation_code=IMPLEMENTATION, guide=GUIDE, materials=MATERIALS
)
catalog.publish_guide(SYSTEM, impl.versions.get(), effective_from=date(2026, 1, 1))
if AGREEMENT:
    catalog.create_agreement(
        SYSTEM, name="苏州—信阳跨省通办合作协议", kind="p2p", region_codes=["320500", "411500"],
        item_codes=[item.basic_code], modes=["proxy", "online"], effective_from=date(2020, 1, 1),
    )
"""

# 苏州: the clerk receives 王芳's application, scans both materials and forwards the case.
RECEIVE_AND_FORWARD = """
import io
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user

account = User.objects.create_user("clerk-sz", password="x-very-long-password-1")
identity.assign_role(SYSTEM, user=account, role="window_clerk", region_code="320500")
clerk = actor_for_user(account)
person = identity.register_person(
    SYSTEM, name=APPLICANT[0], id_type="resident_id", id_number=APPLICANT[1], region_code="320500"
)
case = cases.receive(clerk, implementation=IMPLEMENTATION, person=person, identity_check="身份证读卡器核验")
for material in case.materials.all():
    scan = LARGE if material.name == "退休证明" else PDF
    cases.attach_file(clerk, case, material_id=material.pk, upload=io.BytesIO(scan), name="scan.pdf")
cases.forward(clerk, case, carrier="EMS", tracking_number="EMS9876543210")
case.refresh_from_db()
print("RESULT " + json.dumps({"number": case.number, "status": case.status, "home_node": case.home_node}))
"""

# 信阳: the fund centre's clerk accepts, its head reviews and approves, the clerk issues.
DECIDE = """
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.catalog.models import Department
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user

centre = Department.objects.get(uscc=CENTRE_USCC)
staff = {}
for name, role in (("clerk-xy", "window_clerk"), ("head-xy", "department_head")):
    account = User.objects.create_user(name, password="x-very-long-password-1")
    identity.assign_role(SYSTEM, user=account, role=role, region_code="411500", department=centre)
    staff[name] = actor_for_user(account)
case = Case.objects.get(number=NUMBER)
cases.accept(staff["clerk-xy"], case)
case.refresh_from_db()
while "review" in cases.allowed_actions(staff["head-xy"], case):
    cases.review(staff["head-xy"], case, opinion="符合正常退休提取条件")
    case.refresh_from_db()
cases.approve(staff["head-xy"], case, opinion="准予提取")
cases.issue(staff["clerk-xy"], case)
case.refresh_from_db()
print("RESULT " + json.dumps({"status": case.status}))
"""

# Either node: what its worker does with the notices waiting to be rendered (here, at once).
RENDER = """
from datetime import timedelta
from tongban.cases.tasks import render_pending
render_pending(timedelta(0))
"""

# 苏州: the result handed out at the window.
HAND_OUT = """
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.identity.actor import actor_for_user

clerk = actor_for_user(User.objects.get(username="clerk-sz"))
case = Case.objects.get(number=NUMBER)
cases.deliver(clerk, case, method="window", recipient_id_check="身份证原件核验")
case.refresh_from_db()
print("RESULT " + json.dumps({"status": case.status}))
"""


# 苏州: 李强, living in 苏州, applies online on 苏州's portal for the same 信阳 item (全程网办 across regions),
# for himself and for the company he represents in law.
APPLY_ONLINE = """
import io
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user

account = User.objects.create_user("liqiang", password="x-very-long-password-1")
person = identity.register_person(
    SYSTEM, name="李强", id_type="resident_id", id_number=ONLINE_APPLICANT, region_code="320500", user=account
)
company = identity.register_organisation(
    SYSTEM, name="苏州丝绸有限公司", uscc=COMPANY_USCC, legal_representative=person, region_code="320500"
)
applicant = actor_for_user(account)
out = {}
for key, organisation in (("own", None), ("company", company)):
    case = cases.create_draft(applicant, implementation=IMPLEMENTATION, organisation=organisation)
    for material in case.materials.all():
        cases.attach_file(applicant, case, material_id=material.pk, upload=io.BytesIO(PDF), name="m.pdf")
    case = cases.submit(applicant, case)
    out[key] = {"number": case.number, "status": case.status, "channel": case.channel}
print("RESULT " + json.dumps(out))
"""


# 苏州 publishes its own implementation of the same national item (its fund centre, its materials).
SUZHOU_OWN = """
from tongban.catalog import services as catalog
from tongban.catalog.models import ServiceItem
from tongban.identity.actor import SYSTEM

centre = catalog.create_department(SYSTEM, region_code="320500", name="苏州市住房公积金管理中心", uscc=SUZHOU_USCC)
impl = catalog.create_implementation(
    SYSTEM, item=ServiceItem.objects.get(basic_code="T00000000002"), department=centre,
    implementation_code=SUZHOU_USCC + "0000000000002", guide=GUIDE,
    materials=[*MATERIALS, {"name": "退休审批表", "form": "original", "paper_copies": 1}],
)
catalog.publish_guide(SYSTEM, impl.versions.get())
"""

# 信阳: the comparison with the alliance's guides (云联盟).
COMPARE_ACROSS = """
import json
from tongban.catalog import comparison, sharing
from tongban.catalog.models import ServiceItem

item = ServiceItem.objects.get(basic_code="T00000000002")
columns, unanswered = sharing.elsewhere(item)
result = comparison.compare(item, columns)
print("RESULT " + json.dumps({
    "columns": [[col.key, col.node, col.materials] for col in result.columns],
    "unanswered": unanswered,
    "differences": [d.element for d in result.differences],
}, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    federation = nodes.build(tmp_path_factory.mktemp("transfer"), (SUZHOU, XINYANG))
    yield federation
    federation.stop()


def catalog(node: Node, agreement: bool) -> None:
    node.run(
        program(
            CATALOG,
            CENTRE_USCC=CENTRE_USCC,
            IMPLEMENTATION=IMPLEMENTATION,
            GUIDE=GUIDE,
            MATERIALS=MATERIALS,
            AGREEMENT=agreement,
        )
    )


@pytest.fixture(scope="module")
def story(fed: Federation) -> dict[str, Any]:
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    catalog(suzhou, agreement=True)
    catalog(xinyang, agreement=False)
    out: dict[str, Any] = {}
    xinyang.kill()  # 信阳 is down while 苏州 forwards (SCENARIOS §9)
    out["forwarded"] = result_of(
        suzhou.run(
            program(RECEIVE_AND_FORWARD, IMPLEMENTATION=IMPLEMENTATION, APPLICANT=APPLICANT, PDF=PDF, LARGE=LARGE),
            **SMALL_MESSAGES,
        )
    )
    out["while_down"] = suzhou.deliver()
    xinyang.start()
    out["after_restart"] = suzhou.deliver(3, make_due=True)
    number = out["forwarded"]["number"]
    out["decided"] = result_of(xinyang.run(program(DECIDE, NUMBER=number, CENTRE_USCC=CENTRE_USCC), RENDER))
    out["statuses_back"] = xinyang.deliver(2)
    out["handed_out"] = result_of(suzhou.run(RENDER, program(HAND_OUT, NUMBER=number)))
    out["delivery_sent"] = suzhou.deliver()
    out["completion_back"] = xinyang.deliver()
    out["online"] = result_of(
        suzhou.run(
            program(
                APPLY_ONLINE,
                IMPLEMENTATION=IMPLEMENTATION,
                ONLINE_APPLICANT=ONLINE_APPLICANT,
                COMPANY_USCC=COMPANY_USCC,
                PDF=PDF,
            )
        )
    )
    out["online_sent"] = suzhou.deliver()
    suzhou.run(program(SUZHOU_OWN, SUZHOU_USCC=SUZHOU_USCC, GUIDE=GUIDE, MATERIALS=MATERIALS))
    out["compared"] = result_of(xinyang.run(COMPARE_ACROSS))
    return out


def sm3(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def case_row(node: Node, number: str) -> dict[str, Any]:
    names = ["status", "channel", "home_node", "origin_node", "receiving_region_id", "dispatch", "id"]
    [row] = node.rows(f"SELECT {', '.join(names)} FROM cases_case WHERE number = ?", (number,))
    found = dict(zip(names, row, strict=True))
    found["dispatch"] = json.loads(found["dispatch"])
    return found


def events(node: Node, case_id: int) -> list[dict[str, Any]]:
    rows = node.rows(
        "SELECT action, actor, status_after, payload FROM cases_caseevent WHERE case_id = ? ORDER BY seq", (case_id,)
    )
    return [{"action": a, "actor": who, "status": s, "payload": json.loads(p)} for a, who, s, p in rows]


def files(node: Node, case_id: int) -> dict[str, str]:
    rows = node.rows(
        "SELECT m.name, m.state, f.sm3 FROM cases_casematerial m "
        "LEFT JOIN cases_materialfile f ON f.material_id = m.id WHERE m.case_id = ? ORDER BY m.name",
        (case_id,),
    )
    return {name: f"{state}:{sm3}" for name, state, sm3 in rows}


def test_the_case_forwarded_while_the_handling_node_was_down_arrives_once_with_its_files(
    fed: Federation, story: dict[str, Any]
) -> None:
    number = story["forwarded"]["number"]
    assert story["forwarded"] == {"number": number, "status": "forwarded", "home_node": "xinyang"}
    assert story["while_down"][0]["delivered"] == 0 and story["while_down"][0]["retry"] >= 1
    # The transfer, the small scan whole and the large one in five pieces, in order.
    assert sum(r["delivered"] for r in story["after_restart"]) == 7
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    there = case_row(xinyang, number)
    assert (there["origin_node"], there["channel"], there["receiving_region_id"]) == ("suzhou", "proxy", "320500")
    assert there["dispatch"] == {"carrier": "EMS", "tracking_number": "EMS9876543210"}
    here = case_row(suzhou, number)
    assert files(xinyang, there["id"]) == files(suzhou, here["id"])  # the same SM3 at both ends
    assert files(xinyang, there["id"])["退休证明"] == "provided:" + sm3(LARGE)  # whole, as scanned in 苏州
    assert all(value.startswith("provided:") for value in files(xinyang, there["id"]).values())
    assert not xinyang.rows("SELECT id FROM cases_incomingchunk")  # no piece left behind
    inbox = [
        m
        for m in xinyang.inbox()
        if m["type"] in ("case.transfer", "case.file") and m["envelope"]["body"]["number"] == number
    ]
    assert [m["type"] for m in inbox] == ["case.transfer"] + ["case.file"] * 6
    assert {m["outcome"] for m in inbox} == {"applied"}
    pieces = [m["envelope"]["body"] for m in inbox if "index" in m["envelope"]["body"]]
    assert [(p["index"], p["count"]) for p in pieces] == [(i, 5) for i in range(5)]
    assert all(len(p["data"]) <= 1024 for p in pieces)  # each within the sending node's setting


def test_every_act_at_the_handling_node_shows_at_the_receiving_window_with_who_did_it(
    fed: Federation, story: dict[str, Any]
) -> None:
    number = story["forwarded"]["number"]
    assert story["decided"] == {"status": "issued"}
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    there = events(xinyang, case_row(xinyang, number)["id"])
    assert there[0]["action"] == "receive" and there[0]["payload"]["received_by"] == "clerk-sz"
    assert there[0]["payload"]["node"] == "suzhou"
    here = events(suzhou, case_row(suzhou, number)["id"])
    mirrored = [(e["action"], e["status"], e["payload"].get("remote_actor")) for e in here if e["payload"].get("node")]
    assert mirrored[:4] == [  # the review step too: an act that leaves the status as it was
        ("accept", "in_review", "clerk-xy"),
        ("review", "in_review", "head-xy"),
        ("approve", "approved", "head-xy"),
        ("issue", "issued", "clerk-xy"),
    ]
    assert [e["actor"] for e in here[:1]] == ["clerk-sz"]  # the receipt, by 苏州's own clerk


def notices(node: Node, number: str) -> list[dict[str, Any]]:
    names = ["kind", "number", "node", "state", "sha256", "context"]
    rows = node.rows(
        f"SELECT {', '.join('n.' + name for name in names)} FROM cases_notice n "
        "JOIN cases_case c ON n.case_id = c.id WHERE c.number = ? ORDER BY n.created_at, n.id",
        (number,),
    )
    found = [dict(zip(names, row, strict=True)) for row in rows]
    for notice in found:
        notice["context"] = json.loads(notice["context"])
    return found


def test_the_deciding_nodes_notices_are_at_the_receiving_window_as_the_same_pdfs(
    fed: Federation, story: dict[str, Any]
) -> None:
    number = story["forwarded"]["number"]
    issued = notices(fed["xinyang"], number)
    copies = notices(fed["suzhou"], number)
    assert [(n["kind"], n["node"]) for n in issued] == [("acceptance", ""), ("decision", "")]
    assert [(n["kind"], n["node"]) for n in copies] == [("acceptance", "xinyang"), ("decision", "xinyang")]
    for original, copy in zip(issued, copies, strict=True):
        assert copy["number"] == original["number"] and copy["context"] == original["context"]
        # Its QR code leads to 信阳's check page, which answers for the notice it issued.
        assert copy["context"]["verify_url"].startswith(fed["xinyang"].url + "/")
        # Rendered by 苏州's worker, from the same content: the same PDF, byte for byte.
        assert copy["state"] == original["state"] == "ready" and copy["sha256"] == original["sha256"]


def test_the_result_handed_out_in_suzhou_completes_the_case_in_xinyang(fed: Federation, story: dict[str, Any]) -> None:
    number = story["forwarded"]["number"]
    assert story["handed_out"] == {"status": "completed"}
    assert story["delivery_sent"][0]["delivered"] == 1
    assert case_row(fed["xinyang"], number)["status"] == "completed"
    assert story["completion_back"][0]["delivered"] == 1
    suzhou = fed["suzhou"]
    here = events(suzhou, case_row(suzhou, number)["id"])
    assert here[-1]["action"] == "deliver" and here[-1]["payload"]["node"] == "xinyang"
    assert case_row(suzhou, number)["status"] == "completed"


def test_an_online_application_on_the_home_portal_is_decided_at_the_items_node(
    fed: Federation, story: dict[str, Any]
) -> None:
    online = story["online"]["own"]
    assert (online["status"], online["channel"]) == ("forwarded", "online")
    assert story["online_sent"][0]["delivered"] == 6  # two cases: each its transfer and two files
    there = case_row(fed["xinyang"], online["number"])
    assert (there["status"], there["channel"], there["origin_node"]) == ("pending", "online", "suzhou")
    assert events(fed["xinyang"], there["id"])[0]["payload"]["channel"] == "online"


def test_an_organisations_online_application_arrives_with_the_organisation_registered_there(
    fed: Federation, story: dict[str, Any]
) -> None:
    company = story["online"]["company"]
    assert (company["status"], company["channel"]) == ("forwarded", "online")
    xinyang = fed["xinyang"]
    there = case_row(xinyang, company["number"])
    assert (there["status"], there["origin_node"]) == ("pending", "suzhou")
    [row] = xinyang.rows(
        "SELECT c.applicant_name, o.uscc, o.name, o.region_id, rep.name, rep.id_number, agent.name "
        "FROM cases_case c JOIN identity_organisation o ON c.applicant_organisation_id = o.id "
        "JOIN identity_person rep ON o.legal_representative_id = rep.id "
        "JOIN identity_person agent ON c.agent_id = agent.id WHERE c.number = ?",
        (company["number"],),
    )
    assert row == ("苏州丝绸有限公司", COMPANY_USCC, "苏州丝绸有限公司", "320500", "李强", ONLINE_APPLICANT, "李强")


def test_the_comparison_at_xinyang_sets_suzhous_published_guide_beside_its_own(story: dict[str, Any]) -> None:
    compared = story["compared"]
    assert compared["unanswered"] == []
    columns = {key: (node, materials) for key, node, materials in compared["columns"]}
    assert columns[IMPLEMENTATION] == ("", ["居民身份证", "退休证明"])  # this node's own
    assert columns[SUZHOU_USCC + "0000000000002"] == ("suzhou", ["居民身份证", "退休证明", "退休审批表"])
    assert "material:退休审批表" in compared["differences"]
