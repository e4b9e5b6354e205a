"""异地代收代办 at one node: receiving another node's item at this region's window under an agreement,
forwarding it (the outbox holds the transfer and its files, in order, on the case's stream), and the
messages' handlers at the other end — the case opened under the pinned guide, files checked by SM3,
statuses sent back and mirrored, the delivery at the receiving window completing the case where it was
decided. The whole journey between two real node processes is tests/federation/test_transfer_nodes.py.
"""

from __future__ import annotations

import base64
import io
from datetime import date, datetime
from typing import Any

import pytest

from tests import factories as f
from tests.cases.make import PDF
from tests.federation.conftest import PEER, federation  # noqa: F401
from tests.identity import make
from tongban.cases import services
from tongban.cases.choices import Status
from tongban.cases.models import Case
from tongban.cases.services import transfer
from tongban.catalog import services as catalog
from tongban.core.errors import Conflict, DomainError
from tongban.federation.envelope import Envelope, uuid7
from tongban.federation.models import OutboxMessage
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Person

pytestmark = pytest.mark.django_db

MATERIALS = [{"name": "居民身份证"}, {"name": "退休证明"}]


@pytest.fixture
def nodes(federation, settings, tmp_path):  # noqa: F811
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    federation.accept()
    return federation


def their_item(agreement: bool = True):  # type: ignore[no-untyped-def]
    """A 苏州 item (decided by the peer node) that windows here may receive when the agreement says so."""
    impl = f.implementation(
        f.item(name="正常退休提取住房公积金"), f.department("320500"), material_list=MATERIALS, region_code="320500"
    )
    if agreement:
        catalog.create_agreement(
            SYSTEM,
            name="信阳—苏州跨省通办合作协议",
            kind="p2p",
            region_codes=["411500", "320500"],
            item_codes=[impl.item.basic_code],
            modes=["proxy"],
            effective_from=date(2020, 1, 1),
        )
    return impl


def received(impl: Any) -> tuple[Case, Any]:
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    person = make.person("411500", name="王芳")
    case = services.receive(clerk, implementation=impl, person=person, identity_check="身份证读卡器核验")
    for material in case.materials.all():
        services.attach_file(clerk, case, material_id=material.pk, upload=io.BytesIO(PDF), name="scan.pdf")
    case.refresh_from_db()
    return case, clerk


def test_a_window_receives_another_regions_item_for_the_node_that_decides_it(nodes):
    case, clerk = received(their_item())
    assert case.home_node == PEER and case.channel == "proxy" and case.status == Status.PENDING
    assert services.allowed_actions(clerk, case) == ["forward", "withdraw"]  # accepting is the other node's
    with pytest.raises(Conflict) as refused:
        services.accept(clerk, case)
    assert refused.value.problems[0].code == "handled_elsewhere"


def test_without_an_agreement_the_item_cannot_be_received_here(nodes):
    impl = their_item(agreement=False)
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    with pytest.raises(DomainError) as refused:
        services.receive(clerk, implementation=impl, person=make.person("411500"), identity_check="身份证")
    assert refused.value.problems[0].code == "not_receivable"
    assert not Case.objects.exists()


def test_forwarding_queues_the_case_and_each_file_in_order_on_the_cases_stream(nodes):
    case, clerk = received(their_item())
    services.forward(clerk, case, carrier="EMS", tracking_number="EMS1234567890")
    case.refresh_from_db()
    assert case.status == Status.FORWARDED and case.dispatch == {"carrier": "EMS", "tracking_number": "EMS1234567890"}
    sent = list(OutboxMessage.objects.filter(stream=f"case:{case.number}").order_by("id"))
    assert [m.type for m in sent] == ["case.transfer", "case.file", "case.file"]
    assert {m.receiver for m in sent} == {PEER}
    body = sent[0].body
    assert body["guide_hash"] == case.guide_version.content_hash and body["applicant"]["name"] == "王芳"
    assert body["received_by"] == clerk.user.username
    files = {m.body["material"]: m.body for m in sent[1:]}
    assert base64.b64decode(files["居民身份证"]["data"]) == PDF
    assert files["居民身份证"]["sm3"] == case.materials.get(name="居民身份证").files.get().sm3
    assert services.allowed_actions(clerk, case) == []


def test_only_a_window_clerk_of_the_receiving_region_forwards(nodes):
    case, _clerk = received(their_item())
    for other in (make.staff("reviewer", "411500"), make.staff("window_clerk", "320500")):
        with pytest.raises(PolicyDenied):
            services.forward(actor_for_user(other), case)
    case.refresh_from_db()
    assert case.status == Status.PENDING and not OutboxMessage.objects.exists()


def test_forwarding_needs_every_required_material(nodes):
    impl = their_item()
    clerk = actor_for_user(make.staff("window_clerk", "411500"))
    case = services.receive(clerk, implementation=impl, person=make.person("411500"), identity_check="身份证")
    with pytest.raises(DomainError) as refused:
        services.forward(clerk, case)
    assert {p.code for p in refused.value.problems} == {"material_missing"}
    assert not OutboxMessage.objects.exists()


# --- the handling node's side ---------------------------------------------------------------------------


def envelope(type: str, body: dict[str, Any], sender: str = PEER) -> Envelope:
    return Envelope(header={"id": uuid7(), "type": type, "sender": sender}, body=body, signature="")


def transferred(**overrides: Any) -> tuple[Case, Any]:
    """A case of this node's item, received at the peer's window, arriving here."""
    impl = f.implementation(f.item(name="正常退休提取住房公积金"), f.department("411500"), material_list=MATERIALS)
    guide = impl.current_version
    body = {
        "number": "320500-20261122-000007",
        "implementation": impl.implementation_code,
        "guide_version": guide.number,
        "guide_hash": guide.content_hash,
        "applicant": {
            "name": "王芳",
            "id_type": "resident_id",
            "id_number": make.resident_id("411502", "20000301"),
            "nationality": "CHN",
            "phone": "",
        },
        "agent": None,
        "form_data": {},
        "materials": [
            {"name": m["name"], "state": "provided", "evidence": "upload", "file_sm3": "x"} for m in MATERIALS
        ],
        "receiving_region": "320500",
        "received_by": "clerk-suzhou",
        "identity_check": "身份证读卡器核验",
        "arrived_at": "2026-11-22T09:00:00+08:00",
        "dispatch": {"carrier": "EMS", "tracking_number": "EMS1"},
        **overrides,
    }
    transfer.receive_transfer(envelope("case.transfer", body))
    return Case.objects.get(number=body["number"]), impl


def test_the_handling_node_opens_the_case_under_the_pinned_guide_and_checks_each_file(nodes):
    case, _impl = transferred()
    assert case.origin_node == PEER and case.status == Status.PENDING and case.receiving_region_id == "320500"
    assert Person.objects.filter(name="王芳").exists()
    assert case.events.get().payload["received_by"] == "clerk-suzhou"
    assert set(case.materials.values_list("state", flat=True)) == {"missing"}  # until their files arrive
    good = {"number": case.number, "material": "居民身份证", "original_name": "scan.pdf", "size": len(PDF)}
    import hashlib

    sm3 = hashlib.new("sm3", PDF).hexdigest()
    with pytest.raises(DomainError) as refused:
        transfer.receive_file(envelope("case.file", {**good, "sm3": "0" * 64, "data": base64.b64encode(PDF).decode()}))
    assert refused.value.problems[0].code == "digest_mismatch"
    transfer.receive_file(envelope("case.file", {**good, "sm3": sm3, "data": base64.b64encode(PDF).decode()}))
    material = case.materials.get(name="居民身份证")
    assert material.state == "provided" and material.files.get().sm3 == sm3
    with pytest.raises(DomainError):  # only the node that sent the case sends its files
        transfer.receive_file(envelope("case.file", {**good, "sm3": sm3, "data": ""}, sender="huanggang"))


def test_a_guide_version_this_node_does_not_publish_is_refused(nodes):
    with pytest.raises(DomainError) as refused:
        transferred(guide_hash="f" * 64)
    assert refused.value.problems[0].code == "not_published_here"
    assert not Case.objects.exists()


def test_every_status_change_goes_back_and_the_delivery_there_completes_it_here(nodes):
    case, impl = transferred(
        materials=[{"name": m["name"], "state": "provided", "evidence": "original_seen"} for m in MATERIALS]
    )
    clerk = actor_for_user(make.staff("window_clerk", "411500", department=impl.department))
    head = actor_for_user(make.staff("department_head", "411500", department=impl.department))
    services.accept(clerk, case)
    case.refresh_from_db()
    reviews = 0
    while "review" in services.allowed_actions(head, case):
        services.review(head, case, opinion="符合条件")
        case.refresh_from_db()
        reviews += 1
    services.extend(head, case, days=5, reason="需实地核查")
    case.refresh_from_db()
    services.approve(head, case, opinion="准予")
    services.issue(clerk, case)
    back = OutboxMessage.objects.filter(type="case.status", receiver=PEER).order_by("id")
    # Every act, not only changes of status: 审查 and 延期 leave the case in review, and still go back.
    assert [m.body["action"] for m in back] == ["accept", *["review"] * reviews, "extend", "approve", "issue"]
    assert [m.body["status"] for m in back][-2:] == [Status.APPROVED, Status.ISSUED]
    [extended] = [m for m in back if m.body["action"] == "extend"]
    assert datetime.fromisoformat(extended.body["promised_deadline"]) == case.promised_deadline
    assert extended.body["payload"]["days"] == 5
    assert back.last().body["actor"] == clerk.user.username
    transfer.receive_delivery(
        envelope(
            "case.delivered",
            {"number": case.number, "method": "window", "delivery": {"recipient_id_check": "苏州窗口身份证核验"}},
        )
    )
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert back.last().body["status"] == Status.COMPLETED


def test_the_receiving_node_mirrors_what_the_handling_node_did_and_hands_the_result_out(nodes):
    case, clerk = received(their_item())
    services.forward(clerk, case)
    for status, action, who in [(Status.IN_REVIEW, "accept", "clerk-xy"), (Status.ISSUED, "issue", "reviewer-xy")]:
        transfer.mirror_status(
            envelope(
                "case.status",
                {
                    "number": case.number,
                    "status": status,
                    "action": action,
                    "actor": who,
                    "payload": {"acceptance_number": "X"},
                    "at": "2026-11-23T10:00:00+08:00",
                },
            )
        )
    case.refresh_from_db()
    assert case.status == Status.ISSUED
    assert case.events.filter(action="accept").get().payload["remote_actor"] == "clerk-xy"
    with pytest.raises(DomainError):  # only the node that decides the case reports on it
        transfer.mirror_status(
            envelope("case.status", {"number": case.number, "status": "completed"}, sender="huanggang")
        )
    services.deliver(clerk, case, method="window", recipient_id_check="身份证原件")
    delivered = OutboxMessage.objects.get(type="case.delivered")
    assert delivered.receiver == PEER and delivered.body["delivery"]["recipient_id_check"] == "身份证原件"
    case.refresh_from_db()
    assert case.status == Status.COMPLETED


def test_an_act_there_that_keeps_the_status_is_recorded_here_and_moves_the_deadline(nodes):
    case, clerk = received(their_item())
    services.forward(clerk, case)
    common = {"number": case.number, "status": Status.IN_REVIEW, "at": "2026-11-23T10:00:00+08:00"}
    transfer.mirror_status(envelope("case.status", {**common, "action": "accept", "actor": "clerk-xy"}))
    later = "2027-01-15T17:00:00+08:00"
    extend = {"action": "extend", "actor": "head-xy", "promised_deadline": later, "payload": {"days": 5}}
    transfer.mirror_status(envelope("case.status", {**common, **extend}))
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert case.promised_deadline.isoformat() == "2027-01-15T09:00:00+00:00"
    event = case.events.get(action="extend")
    assert (event.payload["remote_actor"], event.payload["days"]) == ("head-xy", 5)


def test_online_an_applicant_here_applies_for_another_regions_item_and_it_goes_there_on_submission(nodes):
    impl = their_item(agreement=False)
    catalog.create_agreement(
        SYSTEM,
        name="信阳—苏州全程网办协议",
        kind="p2p",
        region_codes=["411500", "320500"],
        item_codes=[impl.item.basic_code],
        modes=["online"],
        effective_from=date(2020, 1, 1),
    )
    applicant = actor_for_user(make.applicant("411500"))
    case = services.create_draft(applicant, implementation=impl)
    assert case.home_node == PEER and case.receiving_region_id == "411500"
    for material in case.materials.all():
        services.attach_file(applicant, case, material_id=material.pk, upload=io.BytesIO(PDF), name="m.pdf")
    services.submit(applicant, case)
    case.refresh_from_db()
    assert case.status == Status.FORWARDED and case.channel == "online"
    sent = OutboxMessage.objects.filter(stream=f"case:{case.number}").order_by("id")
    assert [m.type for m in sent] == ["case.transfer", "case.file", "case.file"]
    assert sent[0].body["channel"] == "online"


def test_online_without_an_agreement_another_regions_item_cannot_be_applied_for(nodes):
    impl = their_item()  # the agreement allows a window here to receive it (proxy), not online applications
    with pytest.raises(DomainError) as refused:
        services.create_draft(actor_for_user(make.applicant("411500")), implementation=impl)
    assert refused.value.problems[0].code == "not_online_here"
    assert not Case.objects.exists()


def test_a_correction_request_from_there_is_collected_here_and_sent_back(nodes):
    case, clerk = received(their_item())
    services.forward(clerk, case)
    transfer.mirror_status(
        envelope("case.status", {"number": case.number, "status": Status.IN_REVIEW, "action": "accept"})
    )
    with pytest.raises(Conflict):
        services.correct(clerk, case)  # nothing was asked yet
    items = [{"name": "退休证明", "problem": "扫描件不清晰", "requirement": "重新扫描"}]
    transfer.mirror_status(
        envelope(
            "case.status",
            {
                "number": case.number,
                "status": Status.CORRECTION,
                "action": "request-correction",
                "payload": {"items": items},
            },
        )
    )
    asked = case.materials.get(name="退休证明")
    assert (asked.state, asked.problem) == ("rejected", "扫描件不清晰")
    case.refresh_from_db()
    assert services.allowed_actions(clerk, case) == ["correct"]
    clearer = PDF.replace(b"small", b"clear")
    services.attach_file(clerk, case, material_id=asked.pk, upload=io.BytesIO(clearer), name="clear.pdf")
    services.correct(clerk, case)
    case.refresh_from_db()
    assert case.status == Status.FORWARDED  # on its way again, not to be forwarded a second time
    sent = OutboxMessage.objects.get(type="case.correction")
    assert [m["material"] for m in sent.body["materials"]] == ["退休证明"]
    assert base64.b64decode(sent.body["materials"][0]["data"]) == clearer
    transfer.mirror_status(
        envelope("case.status", {"number": case.number, "status": Status.PENDING, "action": "correct"})
    )
    case.refresh_from_db()
    assert case.status == Status.FORWARDED and services.allowed_actions(clerk, case) == []


def test_the_handling_node_takes_the_corrected_materials_and_awaits_acceptance_again(nodes):
    import hashlib

    case, impl = transferred(
        materials=[{"name": m["name"], "state": "provided", "evidence": "original_seen"} for m in MATERIALS]
    )
    clerk = actor_for_user(make.staff("window_clerk", "411500", department=impl.department))
    target = case.materials.get(name="退休证明")
    services.request_correction(clerk, case, items=[{"material": target.pk, "problem": "扫描件不清晰"}])
    back = OutboxMessage.objects.filter(type="case.status").last()
    assert back.body["status"] == Status.CORRECTION and back.body["payload"]["items"][0]["name"] == "退休证明"
    sent = {
        "material": "退休证明",
        "original_name": "clear.pdf",
        "size": len(PDF),
        "sm3": hashlib.new("sm3", PDF).hexdigest(),
        "data": base64.b64encode(PDF).decode(),
    }
    transfer.receive_correction(envelope("case.correction", {"number": case.number, "materials": [sent]}))
    case.refresh_from_db()
    target.refresh_from_db()
    assert case.status == Status.PENDING and target.state == "provided" and target.files.count() == 1


def test_the_mirrored_clock_is_coloured_like_a_local_one_and_an_old_message_without_it_breaks_nothing(nodes):
    case, clerk = received(their_item())
    services.forward(clerk, case)
    body = {"number": case.number, "status": Status.IN_REVIEW, "action": "accept"}
    # A sender of an earlier version sent the deadline without the acceptance time: the rule skips it.
    transfer.mirror_status(envelope("case.status", {**body, "promised_deadline": "2026-11-30T23:59:59+08:00"}))
    assert services.refresh_warnings() == 0
    transfer.mirror_status(
        envelope(
            "case.status",
            {**body, "accepted_at": "2020-01-06T09:00:00+08:00", "promised_deadline": "2020-01-10T23:59:59+08:00"},
        )
    )
    assert services.refresh_warnings() == 1
    case.refresh_from_db()
    assert case.warning == "red"  # long overdue there, and shown so here


def test_the_deciding_node_does_not_hand_out_a_result_the_receiving_window_hands_out(nodes):
    case, impl = transferred(
        materials=[{"name": m["name"], "state": "provided", "evidence": "original_seen"} for m in MATERIALS]
    )
    clerk = actor_for_user(make.staff("window_clerk", "411500", department=impl.department))
    head = actor_for_user(make.staff("department_head", "411500", department=impl.department))
    services.accept(clerk, case)
    case.refresh_from_db()
    while "review" in services.allowed_actions(head, case):
        services.review(head, case, opinion="符合条件")
        case.refresh_from_db()
    services.approve(head, case, opinion="准予")
    services.issue(clerk, case)
    case.refresh_from_db()
    assert "deliver" not in services.allowed_actions(clerk, case)
    with pytest.raises(Conflict) as refused:
        services.deliver(clerk, case, method="window", recipient_id_check="身份证原件")
    assert refused.value.problems[0].code == "handled_elsewhere"
    case.refresh_from_db()
    assert case.status == Status.ISSUED  # nothing changed
