"""全程证通 between real nodes (SCENARIOS §7): 陈敏's 结婚证, issued as an e-licence in 黄冈 (huanggang,
421100), is looked up from 信阳 (xinyang, 411500) with her consent, verified at 信阳 itself (the 黄冈 seal
against the trust list, the issuance against 黄冈's signed log) and used for a material of a 购房提取住房公积金
case instead of a paper copy. A copy with one character changed is refused, and once 黄冈 revokes the
licence, 信阳 learns it from 黄冈 (`license.status`) and refuses it too.

Each node is its own processes, folder, SQLite file and port (see tests/federation/nodes.py). What a node
does runs in one `manage.py shell -c` script per step of the story (a process costs about 1.5 s of CPU);
each script prints one ``RESULT <json>`` line, and the nodes' databases are read here, read-only, to check
what each recorded.

The story runs in order: the module's fixtures issue the licence and do the look-up once, the tests check
what they left, and the last test revokes the licence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.federation import nodes
from tests.federation.nodes import HUANGGANG, XINYANG, Federation, Node
from tongban.core.codes import uscc_check_char

# Real node processes on SQLite whatever the suite's database: the PostgreSQL pass would repeat them.
pytestmark = pytest.mark.nodes


def _uscc(body: str) -> str:
    return body + uscc_check_char(body)


# The 结婚证 type: a made-up defining organ's USCC and a sequence (GB/T 36903 type code, 21 characters).
TYPE_CODE = _uscc("11100000MB0000001") + "001"
REGISTRY_USCC = _uscc("11421100MB0000001")  # 黄冈市民政局, the issuing department
CENTRE_USCC = _uscc("12411500MB0000001")  # 信阳市住房公积金管理中心, the handling department
HOLDER = ("陈敏", "421102200001010010")  # valid resident ID numbers (python-stdnum's cn.ric accepts them)
SPOUSE = ("刘伟", "411502199901010010")
SERIAL = "J4211022026000123"
MATERIAL = "结婚证"
CONSENT = "申请人陈敏本人到场，签字同意调取其结婚证电子证照"
PURPOSE = "购房提取住房公积金：核验婚姻关系"
REVOKED_BECAUSE = "婚姻登记被依法撤销"
MARRIAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "id_number", "spouse_name", "spouse_id_number"],
    "properties": {
        "name": {"type": "string", "title": "持证人"},
        "id_number": {"type": "string", "title": "公民身份号码"},
        "spouse_name": {"type": "string", "title": "配偶姓名"},
        "spouse_id_number": {"type": "string", "title": "配偶公民身份号码"},
    },
    "x-holder": {"name": "name", "code": "id_number"},
}
GUIDE: dict[str, Any] = {
    "name": "购房提取住房公积金",
    "conditions": "购买自住住房的缴存职工及其配偶",
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
    {"name": MATERIAL, "form": "original", "paper_copies": 1, "license_types": [TYPE_CODE]},
    {"name": "购房合同", "form": "original", "paper_copies": 1},
]
CHECKS = ["identifier", "content", "seal", "signature", "log", "status"]
RESULT = "RESULT "
LICENCE_TABLES = ["licenses_license", "licenses_licenselookup", "licenses_seal"]


def program(body: str, **given: Any) -> str:
    """Python for `manage.py shell -c`: ``given`` as assignments (their repr is Python), then ``body``."""
    return "\n".join([*(f"{name} = {value!r}" for name, value in given.items()), body.strip()])


def result_of(out: str) -> dict[str, Any]:
    """What a script printed on its ``RESULT <json>`` line (the commands before it print their own lines)."""
    lines = [line for line in out.splitlines() if line.startswith(RESULT)]
    assert lines, f"the script printed no result:\n{out}"
    return json.loads(lines[-1][len(RESULT) :])


# --- what each node runs

# 黄冈: the licence type, the registry with its seal, and 陈敏's 结婚证, signed as `issue_for_case` signs
# (there is no marriage-registration case on the platform; the registry's own system issued it).
ISSUE = """
import json
from datetime import timedelta
from django.utils import timezone
from tongban.catalog import services as catalog
from tongban.catalog.models import LicenseType
from tongban.identity.actor import SYSTEM
from tongban.licenses import seals, services
from tongban.licenses.models import LicenseEventKind

license_type = LicenseType.objects.create(
    code=TYPE_CODE, name="结婚证", defining_organ_name="民政部", schema=SCHEMA, validity_years=None
)
registry = catalog.create_department(SYSTEM, region_code=REGION, name="黄冈市民政局", uscc=REGISTRY_USCC)
# A minute back: a licence is signed at a whole second, which may fall before a seal made this second.
seal = seals.create_seal(SYSTEM, department=registry, valid_from=timezone.now() - timedelta(minutes=1))
lic = services._sign_and_store(
    license_type=license_type,
    issuer=registry,
    serial=SERIAL,
    version=1,
    holder={"name": HOLDER[0], "code": HOLDER[1], "code_type": services.CODE_TYPE_ID_CARD},
    data=services._checked_data(
        license_type,
        {"name": HOLDER[0], "id_number": HOLDER[1], "spouse_name": SPOUSE[0], "spouse_id_number": SPOUSE[1]},
    ),
    case=None,
    item={"code": REGISTRY_USCC + "0000000000001", "name": "内地居民结婚登记"},
    valid_from=timezone.localdate(),
    valid_to=None,
    previous=None,
)
services._event(SYSTEM, lic, LicenseEventKind.ISSUE, lic.log_index)
print("RESULT " + json.dumps({"identifier": lic.identifier, "seal": seal.seal_id}))
"""

# 信阳: find 陈敏's 结婚证 (here and at every other node), set up the 公积金 item and two of her cases,
# try a forged copy on the first case, then use the licence found for it. The second case is kept for
# the revoked licence.
LOOK_UP_AND_USE = """
import copy
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.catalog import services as catalog
from tongban.core.errors import DomainError
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.licenses import sharing

out = {}
found = sharing.find(SYSTEM, holder_code=HOLDER[1], type_codes=[TYPE_CODE], purpose=PURPOSE, consent=CONSENT)
out["found"] = [f.as_dict() for f in found]

centre = catalog.create_department(SYSTEM, region_code="411500", name="信阳市住房公积金管理中心", uscc=CENTRE_USCC)
item = catalog.create_item(SYSTEM, name=GUIDE["name"], item_type="20", basic_code="T00000000001")
implementation = catalog.create_implementation(
    SYSTEM,
    item=item,
    department=centre,
    implementation_code=CENTRE_USCC + "0000000000001",
    guide=GUIDE,
    materials=MATERIALS,
)
catalog.publish_guide(SYSTEM, implementation.versions.get())
implementation.refresh_from_db()  # the guide in force is read from the row publishing changed
account = User.objects.create_user("chenmin", password="x-very-long-password-1")
identity.register_person(
    SYSTEM, name=HOLDER[0], id_type="resident_id", id_number=HOLDER[1], region_code="411500", user=account
)
applicant = actor_for_user(account)
first = cases.create_draft(applicant, implementation=implementation)
second = cases.create_draft(applicant, implementation=implementation)
out["cases"] = [first.number, second.number]


def material_of(case):
    return case.materials.get(name=MATERIAL)


def state_of(case):
    case.refresh_from_db()
    material = material_of(case)
    uses = case.events.filter(action="use-license").order_by("seq").values_list("payload", flat=True)
    return {
        "state": material.state,
        "evidence": material.evidence,
        "license": material.license_identifier,
        "version": case.version,
        "uses": list(uses),
    }


if found:
    genuine = found[0].document
    forged = copy.deepcopy(genuine)
    forged["license"]["data"]["spouse_name"] = SPOUSE[0][0] + "玮"  # one character changed
    before = state_of(first)
    try:
        sharing.use_license(
            SYSTEM, first, material_id=material_of(first).pk, license_document=forged, consent=CONSENT
        )
        out["forged"] = {"code": None, "before": before, "after": state_of(first)}
    except DomainError as exc:
        problem = exc.problems[0]
        out["forged"] = {"code": problem.code, "field": problem.field, "status": exc.status}
        out["forged"].update(before=before, after=state_of(first))
    sharing.use_license(SYSTEM, first, material_id=material_of(first).pk, license_document=genuine, consent=CONSENT)
    out["used"] = state_of(first)
print("RESULT " + json.dumps(out))
"""

REVOKE = """
import json
from tongban.identity.actor import SYSTEM
from tongban.licenses import services

lic = services.revoke(SYSTEM, IDENTIFIER, reason=REASON)
print("RESULT " + json.dumps({"status": lic.status, "reason": lic.status_reason}))
"""

# 信阳, after the revocation: the same document (as found before) for the second case's material.
USE_AGAIN = """
import json
from tongban.cases.models import Case
from tongban.core.errors import DomainError
from tongban.identity.actor import SYSTEM
from tongban.licenses import sharing

document = json.loads(open(DOCUMENT, encoding="utf-8").read())
case = Case.objects.get(number=CASE)
material = case.materials.get(name=MATERIAL)
out = {"version": case.version}
try:
    sharing.use_license(SYSTEM, case, material_id=material.pk, license_document=document, consent=CONSENT)
    out["code"] = None
except DomainError as exc:
    out.update(code=exc.problems[0].code, status=exc.status, message=exc.problems[0].text.en)
case.refresh_from_db()
material.refresh_from_db()
out.update(
    state=material.state,
    license=material.license_identifier,
    after=case.version,
    uses=case.events.filter(action="use-license").count(),
)
print("RESULT " + json.dumps(out))
"""


# --- the federation and the story's first steps, once for the module


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    federation = nodes.build(tmp_path_factory.mktemp("sharing"), (XINYANG, HUANGGANG))
    yield federation
    federation.stop()


@pytest.fixture(scope="module")
def issued(fed: Federation) -> dict[str, Any]:
    """黄冈 issues the 结婚证 and exports its seal; the operator lists the seal and signs; both nodes refresh."""
    huanggang = fed["huanggang"]
    exported = huanggang.folder / "seals.json"
    # The in-process tests make their database with run_syncdb; a node has only what its migrations make.
    migrated = {node_id: tables(fed[node_id]) for node_id in fed.nodes}
    assert migrated == dict.fromkeys(fed.nodes, LICENCE_TABLES), (
        f"`migrate` (run by `tongban serve`) left the nodes without the licences app's tables: {migrated}; "
        "does the app have its migrations (`manage.py makemigrations licenses`)?"
    )
    out = huanggang.run(
        program(
            ISSUE,
            TYPE_CODE=TYPE_CODE,
            SCHEMA=MARRIAGE_SCHEMA,
            REGION=huanggang.region,
            REGISTRY_USCC=REGISTRY_USCC,
            SERIAL=SERIAL,
            HOLDER=HOLDER,
            SPOUSE=SPOUSE,
        ),
        ["seal", "export", "--out", str(exported)],
    )
    issued = result_of(out)
    version = fed.version()
    fed.operator(
        ["federation", "trust-add-seals", str(fed.body), str(exported), "--node", "huanggang"], *fed.sign_steps()
    )
    assert fed.version() == version + 1
    huanggang.federation("refresh")
    # 信阳's `federation refresh` runs first in its look-up script (one process fewer)
    return issued


@pytest.fixture(scope="module")
def looked_up(fed: Federation, issued: dict[str, Any]) -> dict[str, Any]:
    """At 信阳, in one process: refresh the trust list, find 陈敏's 结婚证, make two of her cases, try a
    forged copy on the first and use the genuine document for it."""
    out = fed["xinyang"].run(
        ["federation", "refresh"],
        program(
            LOOK_UP_AND_USE,
            HOLDER=HOLDER,
            SPOUSE=SPOUSE,
            TYPE_CODE=TYPE_CODE,
            PURPOSE=PURPOSE,
            CONSENT=CONSENT,
            CENTRE_USCC=CENTRE_USCC,
            GUIDE=GUIDE,
            MATERIALS=MATERIALS,
            MATERIAL=MATERIAL,
        ),
    )
    assert f"trust list v{fed.version()} in force" in out
    return result_of(out)


def tables(node: Node) -> list[str]:
    """The licences app's tables the node's database holds."""
    marks = ", ".join("?" for _ in LICENCE_TABLES)
    rows = node.rows(f"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({marks})", LICENCE_TABLES)
    return sorted(name for (name,) in rows)


def lookups(node: Node) -> list[dict[str, Any]]:
    names = ["holder_code", "type_codes", "purpose", "consent", "asked_by", "node", "found"]
    rows = node.rows(f"SELECT {', '.join(names)} FROM licenses_licenselookup ORDER BY id")
    found = [dict(zip(names, row, strict=True)) for row in rows]
    for row in found:
        row["type_codes"] = json.loads(row["type_codes"])
    return found


def materials_of(node: Node, case_number: str) -> dict[str, Any]:
    """A case's 结婚证 material as the node's database holds it."""
    [(state, evidence, identifier, document)] = node.rows(
        "SELECT m.state, m.evidence, m.license_identifier, m.license_document FROM cases_casematerial m "
        "JOIN cases_case c ON c.id = m.case_id WHERE c.number = ? AND m.name = ?",
        (case_number, MATERIAL),
    )
    return {
        "state": state,
        "evidence": evidence,
        "license": identifier,
        "document": json.loads(document) if document else None,
    }


def answers(node: Node, message_type: str) -> list[dict[str, Any]]:
    """The results this node signed in its receipts for messages of this type, oldest first."""
    return [m["receipt"]["body"]["result"] for m in node.inbox() if m["type"] == message_type]


# --- the tests, in the story's order


def test_the_licence_issued_at_huanggang_is_found_and_verified_at_xinyang(
    fed: Federation, issued: dict[str, Any], looked_up: dict[str, Any]
) -> None:
    found = looked_up["found"]
    assert len(found) == 1, f"xinyang's find() should return 黄冈's licence, got {found}"
    [lic] = found
    assert (lic["node"], lic["identifier"], lic["name"], lic["issuer"]) == (
        "huanggang",
        issued["identifier"],
        "结婚证",
        "黄冈市民政局",
    )
    assert lic["status"] == "valid"  # as 黄冈 answered it
    report = lic["verification"]
    assert report["valid"] is True, report
    assert [(c["check"], c["ok"], c["code"]) for c in report["checks"]] == [(name, True, "ok") for name in CHECKS]
    document = lic["document"]
    assert document["license"]["holder"]["code"] == HOLDER[1]
    assert document["signature"]["seal"]["id"] == issued["seal"]
    assert document["log"]["tree_head"]["node"] == "huanggang"  # the proof is from 黄冈's own log
    # the seal's private key stays in 黄冈's folder; 信阳 verifies with the public key on the trust list
    assert (fed["huanggang"].folder / "keys" / "seals" / f"{issued['seal']}.pem").is_file()
    assert not (fed["xinyang"].folder / "keys" / "seals").exists()


def test_both_nodes_record_the_look_up(fed: Federation, looked_up: dict[str, Any]) -> None:
    expected = {
        "holder_code": HOLDER[1],
        "type_codes": [TYPE_CODE],
        "purpose": PURPOSE,
        "consent": CONSENT,
        "asked_by": "system",
        "found": 1,
    }
    assert lookups(fed["huanggang"]) == [{**expected, "node": "xinyang"}]  # asked by 信阳
    assert lookups(fed["xinyang"]) == [{**expected, "node": ""}]  # asked here
    [lookup] = [m for m in fed["huanggang"].inbox() if m["type"] == "license.lookup"]
    assert (lookup["sender"], lookup["outcome"]) == ("xinyang", "applied")
    assert lookup["envelope"]["body"]["consent"] == CONSENT
    [answer] = [r["licenses"] for r in answers(fed["huanggang"], "license.lookup")]
    assert [a["document"]["license"]["identifier"] for a in answer] == [looked_up["found"][0]["identifier"]]


def test_a_copy_with_one_character_changed_is_refused_and_changes_nothing(looked_up: dict[str, Any]) -> None:
    forged = looked_up.get("forged")
    assert forged is not None, "no licence was found, so the forged copy was never tried"
    assert (forged["code"], forged["field"], forged["status"]) == (
        "license_content_changed",
        "license_document",
        422,
    ), forged
    assert (
        forged["after"]
        == forged["before"]
        == {
            "state": "missing",
            "evidence": "",
            "license": "",
            "version": forged["before"]["version"],
            "uses": [],
        }
    )


def test_the_verified_licence_satisfies_the_material(
    fed: Federation, issued: dict[str, Any], looked_up: dict[str, Any]
) -> None:
    used = looked_up.get("used")
    assert used is not None, "no licence was found, so none could be used"
    assert (used["state"], used["evidence"], used["license"]) == ("provided", "license", issued["identifier"])
    [event] = used["uses"]
    assert (event["license"], event["issuer_node"], event["material"], event["consent"]) == (
        issued["identifier"],
        "huanggang",
        MATERIAL,
        CONSENT,
    )
    assert event["checks"] == CHECKS  # every check passed at 信阳, the status as 黄冈 gave it
    first = materials_of(fed["xinyang"], looked_up["cases"][0])
    assert (first["state"], first["evidence"], first["license"]) == ("provided", "license", issued["identifier"])
    assert first["document"] == looked_up["found"][0]["document"]  # kept as verified; no copy of a paper
    # use_license asked 黄冈 for the status of the genuine licence only (a forged copy fails before anyone is
    # asked), and 黄冈 answered, signed, "in force"
    assert answers(fed["huanggang"], "license.status") == [{"known": True, "status": "valid", "reason": ""}]
    # 信阳 holds no licence row: what it knows of the licence is the document and 黄冈's answers
    assert fed["xinyang"].rows("SELECT COUNT(*) FROM licenses_license") == [(0,)]


def test_once_revoked_at_huanggang_xinyang_refuses_the_licence(
    fed: Federation, issued: dict[str, Any], looked_up: dict[str, Any], tmp_path: Path
) -> None:
    assert looked_up["found"], "no licence was found, so there is none to revoke and use again"
    huanggang, xinyang = fed["huanggang"], fed["xinyang"]
    revoked = result_of(huanggang.run(program(REVOKE, IDENTIFIER=issued["identifier"], REASON=REVOKED_BECAUSE)))
    assert revoked == {"status": "revoked", "reason": REVOKED_BECAUSE}

    document = tmp_path / "found.json"  # the document as 信阳 found it before the revocation
    document.write_text(json.dumps(looked_up["found"][0]["document"], ensure_ascii=False), encoding="utf-8")
    second = looked_up["cases"][1]
    out = result_of(
        xinyang.run(program(USE_AGAIN, DOCUMENT=str(document), CASE=second, MATERIAL=MATERIAL, CONSENT=CONSENT))
    )
    assert (out["code"], out["status"]) == ("license_revoked", 422), out
    assert REVOKED_BECAUSE in out["message"]  # the reason 黄冈 gave
    assert (out["state"], out["license"], out["after"], out["uses"]) == ("missing", "", out["version"], 0)
    assert materials_of(xinyang, second)["state"] == "missing"
    # the status came from 黄冈, asked now through `license.status`
    assert answers(huanggang, "license.status")[-1] == {"known": True, "status": "revoked", "reason": REVOKED_BECAUSE}
