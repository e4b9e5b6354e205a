"""The e-licence API: who sees which licences, the public status that says nothing of the holder, the
public verification of documents, PDFs and credentials (and its refusals), the licence commands and who
may take them, and the public transparency log."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from pypdf import PdfWriter
from rest_framework.test import APIClient

from tests import factories as f
from tests.identity import make
from tongban.identity.models import PersonalDataAccess
from tongban.licenses import api, document, identifiers, ledger, merkle, services, vc
from tongban.licenses.models import License, LicenseEvent, LogLeaf

if TYPE_CHECKING:
    from tests.licenses.api_fixtures import World

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.licenses.api_fixtures"]


def as_user(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(lic: License, tail: str = "") -> str:
    return f"/api/v1/licenses/{lic.identifier}/{tail}"


def errors(response: Any) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


def checks(report: dict[str, Any]) -> dict[str, tuple[bool | None, str]]:
    return {c["check"]: (c["ok"], c["code"]) for c in report["checks"]}


def pdf_with(attachment: bytes | None) -> bytes:
    """A one-page PDF, carrying ``attachment`` as license.json when given (as the printed form does)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if attachment is not None:
        writer.add_attachment("license.json", attachment)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client: APIClient, name: str, content: bytes) -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post("/api/v1/license-verifications/", {"file": file}, format="multipart")


def verify(client: APIClient, doc: Any) -> Any:
    return client.post("/api/v1/license-verifications/", doc, format="json")


# --- who sees which licences --------------------------------------------------------------------------


def test_the_holder_and_the_issuing_department_see_the_licence_others_do_not(world: World):
    lic = world.license
    own = as_user(world.holder).get("/api/v1/licenses/").json()
    assert [r["identifier"] for r in own["results"]] == [lic.identifier]
    row = own["results"][0]
    assert row["holder_code"] != lic.holder_code and row["holder_code"].startswith(lic.holder_code[:4])  # masked
    assert (row["type_code"], row["status"], row["printed"]) == (world.license_type.code, "valid", False)

    clerk = as_user(world.clerk).get("/api/v1/licenses/").json()
    assert [r["identifier"] for r in clerk["results"]] == [lic.identifier]

    elsewhere = make.staff("window_clerk", "411500", department=f.department("411500"))
    assert as_user(elsewhere).get("/api/v1/licenses/").json()["results"] == []
    assert as_user(elsewhere).get(url(lic)).status_code == 404
    assert as_user(make.applicant()).get("/api/v1/licenses/").json()["results"] == []
    assert as_user().get("/api/v1/licenses/").status_code in (401, 403)


def test_the_detail_shows_the_signed_data_and_events_and_a_staff_look_is_logged(world: World):
    lic = world.license
    mine = as_user(world.holder).get(url(lic))
    assert mine.status_code == 200
    body = mine.json()
    assert body["data"] == lic.document["license"]
    assert body["holder_code"] == lic.holder_code  # whole in the detail: it is what the seal signed
    assert [e["kind"] for e in body["events"]] == ["issue"]
    assert PersonalDataAccess.objects.count() == 0  # one's own licence is not someone else's data

    looked = as_user(world.clerk).get(url(lic) + "?reason=核对申请材料")
    assert looked.status_code == 200
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.record_type, entry.record_id, entry.reason) == (
        world.clerk,
        "licenses.license",
        str(lic.pk),
        "核对申请材料",
    )


def test_list_filters_and_a_lookup_by_someone_elses_id_number_needs_a_reason(world: World):
    lic, clerk = world.license, as_user(world.clerk)
    assert len(clerk.get(f"/api/v1/licenses/?type={world.license_type.code}&status=valid").json()["results"]) == 1
    assert clerk.get("/api/v1/licenses/?status=revoked").json()["results"] == []
    day = lic.issued_on.isoformat()
    assert len(clerk.get(f"/api/v1/licenses/?issued_from={day}&issued_to={day}").json()["results"]) == 1
    assert clerk.get("/api/v1/licenses/?issued_from=2000-01-01&issued_to=2000-12-31").json()["results"] == []

    wrong = clerk.get("/api/v1/licenses/?status=lost")
    assert (wrong.status_code, errors(wrong)) == (400, [("status", "unknown")])
    assert errors(clerk.get("/api/v1/licenses/?issued_from=2026-13-01")) == [("issued_from", "invalid_date")]

    no_reason = clerk.get(f"/api/v1/licenses/?holder_code={lic.holder_code}")
    assert (no_reason.status_code, errors(no_reason)) == (400, [("reason", "required")])
    found = clerk.get(f"/api/v1/licenses/?holder_code={lic.holder_code}&reason=窗口核验")
    assert [r["identifier"] for r in found.json()["results"]] == [lic.identifier]
    assert PersonalDataAccess.objects.filter(record_id=str(lic.pk), reason="窗口核验").count() == 1


def test_a_wrong_check_character_is_named_and_an_unknown_licence_is_404(world: World):
    lic = world.license
    wrong = lic.identifier[:-1] + ("A" if lic.identifier[-1] != "A" else "B")
    answer = as_user(world.clerk).get(f"/api/v1/licenses/{wrong}/")
    assert (answer.status_code, errors(answer)) == (400, [("identifier", "bad_check_character")])
    assert answer.json()["errors"][0]["message_en"].startswith("the check character should be")
    status = as_user().get(f"/api/v1/licenses/{wrong}/status/")
    assert (status.status_code, errors(status)) == (400, [("identifier", "bad_check_character")])


# --- the document, the printed form, the credential ---------------------------------------------------


def test_the_document_carries_a_log_proof_that_verifies(world: World):
    answer = as_user(world.holder).get(url(world.license, "document/"))
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["license"] == world.license.document["license"]
    assert set(doc["log"]) == {"index", "leaf", "tree_head", "proof"}
    assert document.verify(doc, world.trust).valid


def test_the_pdf_is_404_with_a_clear_message_until_rendered(world: World):
    lic, holder = world.license, as_user(world.holder)
    missing = holder.get(url(lic, "pdf/"))
    assert (missing.status_code, errors(missing)) == (404, [("pdf", "not_rendered")])
    assert "JSON" in missing.json()["errors"][0]["message_en"]
    lic.pdf.save(f"{lic.identifier}.pdf", ContentFile(pdf_with(b"{}")))
    ready = holder.get(url(lic, "pdf/"))
    assert (ready.status_code, ready["Content-Type"]) == (200, "application/pdf")
    assert b"".join(ready.streaming_content).startswith(b"%PDF-")


def test_the_vc_export_carries_the_same_signature_and_verifies_back(world: World):
    answer = as_user(world.holder).get(url(world.license, "vc/"))
    assert answer.status_code == 200
    credential = answer.json()
    assert credential["type"] == ["VerifiableCredential", "ChineseElectronicLicense"]
    assert credential["credentialStatus"]["id"].endswith(url(world.license, "status/"))
    signature = base64.b64decode(world.license.document["signature"]["value"])
    proof_value = credential["proof"]["proofValue"][1:]
    assert base64.urlsafe_b64decode(proof_value + "=" * (-len(proof_value) % 4)) == signature
    assert document.verify(vc.from_vc(credential), world.trust).valid
    assert verify(as_user(), credential).json()["valid"] is True  # the public verification takes it too


# --- public status ------------------------------------------------------------------------------------


def test_public_status_says_whether_it_is_in_force_and_nothing_about_the_holder(world: World):
    lic = world.license
    answer = as_user().get(url(lic, "status/"))
    assert answer.status_code == 200
    assert answer.json() == {
        "identifier": lic.identifier,
        "valid": True,
        "status": "valid",
        "type_name": world.license_type.name,
        "issuer_name": world.department.name,
        "valid_to": lic.valid_to.isoformat(),
    }
    text = answer.content.decode()
    for secret in (lic.holder_name, lic.holder_code, lic.holder_code[-4:], "permit_scope", "预包装食品"):
        assert secret not in text

    as_user(world.head).post(url(lic, "suspend/"), {"reason": "涉嫌违规经营，立案调查"}, format="json")
    assert as_user().get(url(lic, "status/")).json()["valid"] is False
    assert as_user().get(url(lic, "status/")).json()["status"] == "suspended"


def test_public_status_of_a_licence_this_node_did_not_issue_is_404(world: World):
    other = str(identifiers.make(world.license_type.code, world.department.uscc, "NOSUCH1", 1))
    answer = as_user().get(f"/api/v1/licenses/{other}/status/")
    assert (answer.status_code, errors(answer)) == (404, [("identifier", "not_found")])


# --- public verification ------------------------------------------------------------------------------


def test_a_genuine_document_verifies_and_a_changed_one_says_what_changed(world: World):
    doc = services.with_proof(world.license)
    public = as_user()
    genuine = verify(public, doc)
    assert genuine.status_code == 200
    assert genuine.json()["valid"] is True
    assert checks(genuine.json())["signature"] == (True, "ok")
    assert checks(genuine.json())["status"] == (True, "ok")

    changed = copy.deepcopy(doc)
    changed["license"]["data"]["permit_scope"] = "全部商品销售"
    report = verify(public, changed).json()
    assert report["valid"] is False
    assert checks(report)["content"] == (False, "content_changed")

    forged = copy.deepcopy(doc)
    raw = bytearray(base64.b64decode(forged["signature"]["value"]))
    raw[-3] ^= 0x01
    forged["signature"]["value"] = base64.b64encode(bytes(raw)).decode()
    assert checks(verify(public, forged).json())["signature"] == (False, "bad_signature")

    stranger = copy.deepcopy(doc)
    stranger["signature"]["seal"]["id"] = world.department.uscc + "9999"
    report = verify(public, stranger).json()
    assert (report["valid"], checks(report)["seal"]) == (False, (False, "unknown_seal"))


def test_a_wrong_check_character_in_the_document_is_reported(world: World):
    doc = copy.deepcopy(services.with_proof(world.license))
    ident = doc["license"]["identifier"]
    doc["license"]["identifier"] = ident[:-1] + ("A" if ident[-1] != "A" else "B")
    report = verify(as_user(), doc).json()
    assert report["valid"] is False
    assert checks(report)["identifier"] == (False, "bad_check_character")


def test_a_revoked_licence_still_verifies_its_signature_but_not_its_status(world: World):
    doc = services.with_proof(world.license)
    as_user(world.head).post(url(world.license, "revoke/"), {"reason": "以欺骗手段取得"}, format="json")
    report = verify(as_user(), doc).json()
    assert checks(report)["signature"] == (True, "ok")
    assert checks(report)["status"] == (False, "revoked")
    assert report["valid"] is False


def test_a_pdf_with_the_attached_document_verifies_and_one_without_is_refused(world: World):
    doc = services.with_proof(world.license)
    attached = pdf_with(json.dumps(doc, ensure_ascii=False).encode())
    answer = upload(as_user(), "证照.pdf", attached)
    assert (answer.status_code, answer.json()["valid"]) == (200, True)
    bare = upload(as_user(), "证照.pdf", pdf_with(None))
    assert (bare.status_code, errors(bare)) == (400, [("file", "no_attachment")])


def test_an_uploaded_json_document_or_credential_verifies(world: World):
    doc = services.with_proof(world.license)
    as_file = upload(as_user(), "license.json", json.dumps(doc).encode())
    assert as_file.json()["valid"] is True
    credential = vc.to_vc(doc, base_url="http://xinyang.test")
    assert upload(as_user(), "license.vc.json", json.dumps(credential).encode()).json()["valid"] is True


def test_malformed_wrong_and_oversized_input_is_refused_naming_the_field(world: World, monkeypatch):
    public = as_user()
    broken = public.post("/api/v1/license-verifications/", b'{"format": ', content_type="application/json")
    assert (broken.status_code, errors(broken)) == (400, [("document", "not_json")])
    assert broken.json()["errors"][0]["message_zh"] and broken.json()["errors"][0]["message_en"]
    assert errors(verify(public, [1, 2])) == [("document", "not_an_object")]
    assert errors(verify(public, {"hello": "world"})) == [("document", "not_a_license")]
    assert errors(upload(public, "seal.png", b"\x89PNG\r\n\x1a\n" + bytes(64))) == [("file", "not_json")]
    empty = public.post("/api/v1/license-verifications/", {}, format="multipart")
    assert errors(empty) == [("file", "required")]
    forged_vc = vc.to_vc(services.with_proof(world.license), base_url="http://xinyang.test")
    forged_vc["credentialSubject"]["data"]["permit_scope"] = "全部商品销售"
    assert errors(verify(public, forged_vc)) == [("credentialSubject", "disagrees_with_license")]

    monkeypatch.setattr(api, "MAX_VERIFY_BYTES", 1024)
    big = upload(public, "license.json", b" " * 4096 + json.dumps(services.with_proof(world.license)).encode())
    assert (big.status_code, errors(big)) == (400, [("file", "too_large")])
    too_long = public.post(
        "/api/v1/license-verifications/", b" " * (200 * 1024) + b"{}", content_type="application/json"
    )
    assert errors(too_long) == [("document", "too_large")]


# --- commands -----------------------------------------------------------------------------------------


def test_the_department_head_annotates_suspends_reinstates_and_revokes(world: World):
    lic, head = world.license, as_user(world.head)
    noted = head.post(url(lic, "annotate/"), {"text": "经营场所门牌号变更", "reason": "地名调整"}, format="json")
    assert noted.status_code == 200
    assert [(e["kind"], e["text"]) for e in noted.json()["events"]][-1] == ("annotate", "经营场所门牌号变更")
    assert head.post(url(lic, "suspend/"), {"reason": "立案调查"}, format="json").json()["status"] == "suspended"
    assert head.post(url(lic, "reinstate/"), {"reason": "调查结束"}, format="json").json()["status"] == "valid"
    revoked = head.post(url(lic, "revoke/"), {"reason": "以欺骗手段取得"}, format="json")
    assert (revoked.json()["status"], revoked.json()["status_reason"]) == ("revoked", "以欺骗手段取得")
    again = head.post(url(lic, "suspend/"), {"reason": "再次中止"}, format="json")
    assert (again.status_code, errors(again)) == (409, [("status", "wrong_state")])
    missing = head.post(url(lic, "annotate/"), {"reason": "无内容"}, format="json")
    assert (missing.status_code, errors(missing)) == (400, [("text", "required")])
    kinds = list(LogLeaf.objects.order_by("index").values_list("kind", flat=True))
    assert kinds == ["issue", "annotate", "suspend", "reinstate", "revoke"]


def test_a_new_version_gets_a_new_identifier_and_replaces_the_old(world: World):
    lic = world.license
    answer = as_user(world.head).post(
        url(lic, "new-version/"),
        {"changes": {"premises": "信阳市浉河区民权路2号"}, "reason": "经营场所变更"},
        format="json",
    )
    assert answer.status_code == 201
    fresh = answer.json()
    assert (fresh["version"], fresh["previous"]) == (2, lic.identifier)
    assert fresh["identifier"] != lic.identifier and fresh["data"]["data"]["premises"] == "信阳市浉河区民权路2号"
    old = as_user(world.head).get(url(lic)).json()
    assert (old["status"], old["next_version"]) == ("superseded", fresh["identifier"])
    doc = as_user(world.holder).get(f"/api/v1/licenses/{fresh['identifier']}/document/").json()
    assert document.verify(doc, world.trust).valid


def test_the_wrong_people_cannot_act_and_nothing_changes(world: World):
    lic = world.license
    before = (LogLeaf.objects.count(), LicenseEvent.objects.count())
    holder = as_user(world.holder).post(url(lic, "revoke/"), {"reason": "我不想要了"}, format="json")
    assert holder.status_code == 403
    assert holder.json()["errors"][0]["message_zh"] and holder.json()["errors"][0]["message_en"]
    other_head = make.staff("department_head", "411500", department=f.department("411500"))
    assert as_user(other_head).post(url(lic, "suspend/"), {"reason": "越权"}, format="json").status_code in (403, 404)
    assert as_user().post(url(lic, "revoke/"), {"reason": "匿名"}, format="json").status_code in (401, 403)
    changed = as_user(world.holder).post(
        url(lic, "new-version/"), {"changes": {"premises": "别处"}, "reason": "自改"}, format="json"
    )
    assert changed.status_code == 403
    lic.refresh_from_db()
    assert lic.status == "valid"
    assert (LogLeaf.objects.count(), LicenseEvent.objects.count()) == before


# --- the licence types and the log --------------------------------------------------------------------


def test_licence_types_are_public(world: World):
    answer = as_user().get("/api/v1/license-types/")
    assert answer.status_code == 200
    row = next(r for r in answer.json()["results"] if r["code"] == world.license_type.code)
    assert row["defining_organ_code"] == world.license_type.code[:18]
    assert row["schema"]["required"] == ["permit_scope"]
    assert (row["holder_kind"], row["validity_years"]) == ("natural", 5)


def test_the_log_head_and_proofs_are_public_and_check_out(world: World):
    public = as_user()
    head = public.get("/api/v1/log/head/").json()
    ledger.verify_head(head, world.trust)  # signed by this node's key on the trust list
    inclusion = public.get("/api/v1/log/inclusion/?index=0").json()
    leaf = public.get("/api/v1/log/leaves/0/").json()
    assert json.loads(leaf["data"])["identifier"] == world.license.identifier
    assert merkle.leaf_hash(leaf["data"].encode()).hex() == leaf["leaf_hash"] == inclusion["leaf_hash"]
    assert inclusion["tree_head"]["root"] == inclusion["root"]
    assert merkle.verify_inclusion(
        bytes.fromhex(inclusion["leaf_hash"]),
        0,
        inclusion["size"],
        [bytes.fromhex(h) for h in inclusion["proof"]],
        bytes.fromhex(inclusion["root"]),
    )

    as_user(world.head).post(url(world.license, "annotate/"), {"text": "注", "reason": "因"}, format="json")
    as_user(world.head).post(url(world.license, "suspend/"), {"reason": "因"}, format="json")
    grown = public.get("/api/v1/log/head/").json()
    assert grown["size"] == 3
    consistency = public.get(f"/api/v1/log/consistency/?old=1&new={grown['size']}").json()
    assert consistency["new_root"] == grown["root"]
    assert merkle.verify_consistency(
        1,
        3,
        bytes.fromhex(consistency["old_root"]),
        bytes.fromhex(consistency["new_root"]),
        [bytes.fromhex(h) for h in consistency["proof"]],
    )
    assert public.get("/api/v1/log/inclusion/?index=2&size=3").status_code == 200


def test_log_queries_with_wrong_numbers_are_refused_naming_the_parameter(world: World):
    public = as_user()
    assert errors(public.get("/api/v1/log/inclusion/")) == [("index", "required")]
    assert errors(public.get("/api/v1/log/inclusion/?index=-1")) == [("index", "not_integer")]
    assert errors(public.get("/api/v1/log/inclusion/?index=0&size=0")) == [("size", "not_integer")]
    assert errors(public.get("/api/v1/log/inclusion/?index=5&size=1")) == [("index", "beyond_size")]
    assert public.get("/api/v1/log/inclusion/?index=0&size=9").status_code == 404
    assert errors(public.get("/api/v1/log/consistency/?old=2&new=1")) == [("new", "before_old")]
    assert errors(public.get("/api/v1/log/consistency/?new=1")) == [("old", "required")]
    assert public.get("/api/v1/log/leaves/7/").status_code == 404


def test_peer_heads_and_fork_alerts_are_for_node_operators(world: World):
    from tongban.licenses.models import ForkAlert

    ForkAlert.objects.create(
        node="suzhou", size=4, root=b"\x01" * 32, other_size=4, other_root=b"\x02" * 32, detail="x"
    )
    operator = as_user(make.staff("node_operator", "411500"))
    forks = operator.get("/api/v1/log/forks/")
    assert forks.status_code == 200
    assert [(a["node"], a["root"]) for a in forks.json()["results"]] == [("suzhou", "01" * 32)]
    assert operator.get("/api/v1/log/peers/").json()["results"] == []
    assert as_user(world.clerk).get("/api/v1/log/forks/").status_code == 403
    assert as_user(world.clerk).get("/api/v1/log/peers/").status_code == 403
    assert as_user().get("/api/v1/log/peers/").status_code in (401, 403)
