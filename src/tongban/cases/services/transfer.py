"""异地代收代办: a window in one region receives a case that another region's node decides (收受分离).

At the **receiving node** the clerk receives the application for the other region's item (the agreements
must let this region's windows receive it in mode ``proxy``), checks identity and materials, and
``forward``s it: the case becomes ``forwarded`` and, in the same transaction, the outbox takes
``case.transfer`` (the pinned guide version and its content hash, the applicant, the form, each
material's state and SM3, who received and how the identity was checked, the originals' dispatch) and
one ``case.file`` per stored file, all on the case's own stream, so they arrive in order.

At the **handling node** ``case.transfer`` opens the case (same number: numbers carry the receiving
region) under the guide version the receiving window showed, refusing a version it does not publish;
``case.file`` stores each file after checking its size and SM3. From then on every status change there
goes back as ``case.status``; the receiving node mirrors it and records the act with who did it there,
so both records show each side's acts (责任追溯). The result is handed out at the receiving window (or
posted from there): its ``deliver`` goes to the handling node as ``case.delivered``, which completes the
case there too.

Every message is signed, applied once, and answered with a signed receipt (tongban.federation).
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tongban.cases import events, files
from tongban.cases import services as core
from tongban.cases.choices import CLOSED, Channel, MaterialState, Status
from tongban.cases.models import Case, MaterialFile
from tongban.catalog.agreements import receivable
from tongban.catalog.models import GuideVersion, ItemImplementation
from tongban.core.errors import DomainError
from tongban.federation import node
from tongban.federation import services as federation
from tongban.federation.envelope import Envelope
from tongban.federation.handlers import handles
from tongban.federation.trust import TrustError
from tongban.identity.actor import SYSTEM, Actor
from tongban.identity.denied import require
from tongban.identity.models import Person

log = logging.getLogger("tongban.cases.transfer")


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def home_node_for(impl: ItemImplementation) -> str:
    """The node that decides ``impl`` when it is not this one ("" when this node does, or knows no other)."""
    try:
        entry = node.trust_list().node_for_region(impl.region_id)
    except TrustError:
        return ""  # a node without a trust list handles what it has, as before federation
    if entry is None or entry.node_id == node.node_id():
        return ""
    return entry.node_id


def check_proxy(actor: Actor, impl: ItemImplementation) -> None:
    """A clerk of this region may receive another region's item only where an agreement says so."""
    require(actor, "case.intake")
    region = actor.assignment.region if actor.assignment else None
    if region is None:
        raise _fail("implementation", "no_region", "请以窗口岗位收件", "receive in a window clerk's assignment")
    allowed = receivable(region, impl.item, impl.region)
    if "proxy" not in allowed.modes:
        raise _fail(
            "implementation",
            "not_receivable",
            f"没有通办协议允许{region.name}的窗口代收{impl.region.name}的“{impl.item.name}”",
            f"no agreement lets windows in {region.code} receive '{impl.item.name}' of {impl.region.code}",
        )


def check_online(impl: ItemImplementation) -> None:
    """An applicant here applies online for another region's item where an agreement says so (全程网办)."""
    from django.conf import settings

    from tongban.catalog.models import Region

    here = Region.objects.get(code=settings.TONGBAN_REGION)
    if "online" not in receivable(here, impl.item, impl.region).modes:
        raise _fail(
            "implementation",
            "not_online_here",
            f"没有通办协议允许在{here.name}网上申请{impl.region.name}的“{impl.item.name}”",
            f"no agreement lets applicants in {here.code} apply online for '{impl.item.name}' of {impl.region.code}",
        )


def _stream(case: Case) -> str:
    return f"case:{case.number}"


def _person(person: Person | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {
        "name": person.name,
        "id_type": person.id_type,
        "id_number": person.id_number,
        "nationality": person.nationality,
        "phone": person.phone,
    }


@transaction.atomic
def forward(
    actor: Actor, case: Case | int, *, carrier: str = "", tracking_number: str = "", version: int | None = None
) -> Case:
    """转递: send a case received here to the node that decides it, with its files; paper originals follow
    by post when the guide asks for them (carrier and tracking number)."""
    case = core._lock(case, version)
    row = core._row(actor, case, "forward")
    if case.applicant_organisation_id is not None:
        raise _fail(
            "applicant",
            "organisation",
            "暂只支持自然人申请的代收代办",
            "only a natural person's case can be forwarded yet",
        )
    core._materials_complete(case)
    dispatch = {
        "carrier": core._text("carrier", carrier, "寄递企业", "the carrier", required=False, limit=50),
        "tracking_number": core._text(
            "tracking_number", tracking_number, "运单号", "the tracking number", required=False, limit=50
        ),
    }
    if bool(dispatch["carrier"]) != bool(dispatch["tracking_number"]):
        raise _fail(
            "tracking_number",
            "incomplete",
            "寄递原件须同时填写寄递企业和运单号",
            "posting the originals needs both the carrier and the tracking number",
        )
    guide = case.guide_version
    clerk = actor.user.get_username() if actor.user_id else "system"
    materials = []
    stored_files = []
    for material in case.materials.prefetch_related("files"):
        latest = material.files.order_by("-version").first()
        materials.append(
            {
                "name": material.name,
                "state": material.state,
                "evidence": material.evidence,
                "note": material.note,
                "license": material.license_identifier,
                "file_sm3": latest.sm3 if latest else "",
            }
        )
        if latest is not None:
            stored_files.append((material, latest))
    body = {
        "number": case.number,
        "channel": case.channel,
        "implementation": case.implementation.implementation_code,
        "guide_version": guide.number,
        "guide_hash": guide.content_hash,
        "applicant": _person(case.applicant_person),
        "agent": _person(case.agent),
        "form_data": case.form_data,
        "materials": materials,
        "receiving_region": case.receiving_region_id,
        "received_by": clerk,
        "identity_check": case.identity_check,
        "arrived_at": case.arrived_at.isoformat() if case.arrived_at else timezone.now().isoformat(),
        "dispatch": dispatch,
    }
    federation.enqueue(receiver=case.home_node, type="case.transfer", body=body, stream=_stream(case))
    for material, stored in stored_files:
        federation.enqueue(
            receiver=case.home_node, type="case.file", stream=_stream(case), body=_file_message(case, material, stored)
        )
    case.dispatch = {k: v for k, v in dispatch.items() if v}
    return core._finish(actor, case, row, {"to_node": case.home_node, "files": len(stored_files), **case.dispatch})


# --- at the handling node ------------------------------------------------------------------------------


def _guide(body: dict[str, Any]) -> tuple[ItemImplementation, GuideVersion]:
    impl = ItemImplementation.objects.filter(implementation_code=str(body.get("implementation", ""))).first()
    if impl is None:
        raise _fail("implementation", "unknown", "本节点没有该实施清单", "this node has no such implementation")
    guide = impl.versions.filter(number=body.get("guide_version")).first()
    if guide is None or guide.content_hash != body.get("guide_hash"):
        raise _fail(
            "guide_version",
            "not_published_here",
            "收件窗口所依据的办事指南版本与本节点发布的不一致",
            "the receiving window used a guide version this node does not publish",
        )
    return impl, guide


def _find_person(data: dict[str, Any] | None, region_code: str) -> Person | None:
    if not data:
        return None
    found = Person.objects.filter(id_type=data["id_type"], id_number=data["id_number"]).first()
    if found is not None:
        return found
    from tongban.identity import services as identity

    return identity.register_person(
        SYSTEM,
        name=data["name"],
        id_type=data["id_type"],
        id_number=data["id_number"],
        nationality=data.get("nationality") or "CHN",
        phone=data.get("phone") or "",
        region_code=region_code,
    )


def _their_case(envelope: Envelope, side: str) -> Case:
    """The case the message is about, locked, if the sender is its other node (``side``: which field names it)."""
    number = str(envelope.body.get("number", ""))
    case = Case.objects.select_for_update().filter(number=number, **{side: envelope.sender}).first()
    if case is None:
        raise _fail(
            "number",
            "unknown",
            f"本节点没有与发送方“{envelope.sender}”往来的该办件",
            f"no case numbered {number} is shared with the sender {envelope.sender}",
        )
    return case


@handles("case.transfer")
def receive_transfer(envelope: Envelope) -> dict[str, Any]:
    """A case received at another node's window arrives to be decided here."""
    body = envelope.body
    number = str(body.get("number", ""))
    if Case.objects.filter(number=number).exists():
        raise _fail("number", "duplicate", "该办件编号已存在", f"a case numbered {number} exists here already")
    impl, guide = _guide(body)
    region_code = str(body.get("receiving_region", ""))
    person = _find_person(body.get("applicant"), region_code)
    agent = _find_person(body.get("agent"), region_code)
    case = core._new_case(
        SYSTEM,
        impl,
        channel=Channel.ONLINE if body.get("channel") == Channel.ONLINE else Channel.PROXY,
        status=Status.PENDING,
        person=person,
        organisation=None,
        agent=agent,
        authorisation=None,
        form_data=body.get("form_data") if isinstance(body.get("form_data"), dict) else {},
        receiving_region_code=region_code,
        number=number,
        guide=guide,
    )
    case.identity_check = str(body.get("identity_check", ""))[:200]
    case.arrived_at = parse_datetime(str(body.get("arrived_at", ""))) or timezone.now()
    case.origin_node = envelope.sender
    case.dispatch = body.get("dispatch") if isinstance(body.get("dispatch"), dict) else {}
    case.save(update_fields=["identity_check", "arrived_at", "origin_node", "dispatch"])
    arrived = case.arrived_at
    given = {m["name"]: m for m in body.get("materials") or []}
    for material in case.materials.all():
        sent = given.get(material.name, {})
        # A material with a file is given once its file has arrived and matched (case.file).
        if sent.get("state") in (MaterialState.PROVIDED, MaterialState.COMMITTED) and not sent.get("file_sm3"):
            material.state, material.evidence = sent["state"], str(sent.get("evidence", ""))[:16]
        material.note = str(sent.get("note", ""))[:500]
        material.license_identifier = str(sent.get("license", ""))[:200]
        material.save(update_fields=["state", "evidence", "note", "license_identifier"])
    events.append(
        case,
        SYSTEM,
        "receive",
        "",
        {
            "node": envelope.sender,
            "channel": case.channel,
            "received_by": str(body.get("received_by", "")),
            "identity_check": case.identity_check,
            "message": envelope.id,
            **({"dispatch": case.dispatch} if case.dispatch else {}),
        },
        at=arrived,
    )
    return {"case": case.number, "status": case.status}


def _file_message(case: Case, material: Any, stored: MaterialFile) -> dict[str, Any]:
    with stored.file.open("rb") as handle:
        data = handle.read()
    return {
        "number": case.number,
        "material": material.name,
        "original_name": stored.original_name,
        "content_type": stored.content_type,
        "size": stored.size,
        "sm3": stored.sm3,
        "data": base64.b64encode(data).decode("ascii"),
    }


def _keep_file(envelope: Envelope, case: Case, sent: dict[str, Any]) -> MaterialFile:
    """A material's file as the other node sent it: kept only when its size and SM3 are those announced."""
    material = case.materials.filter(name=str(sent.get("material", ""))).first()
    if material is None:
        raise _fail("material", "unknown", "该材料不在办件的材料清单中", "the material is not on the case's list")
    try:
        data = base64.b64decode(str(sent.get("data", "")), validate=True)
    except ValueError as exc:
        raise _fail("data", "not_base64", "文件内容不是有效的Base64", "the file is not valid base64") from exc
    # The same checks as an upload here (type, size), then the digest the sending window recorded.
    checked = files.check(io.BytesIO(data), str(sent.get("original_name", "")), field="data")
    if checked.size != sent.get("size") or checked.sm3 != sent.get("sm3"):
        raise _fail(
            "data", "digest_mismatch", "文件大小或SM3与声明不符", "the file's size or SM3 is not what was announced"
        )
    latest = material.files.order_by("-version").values_list("version", flat=True).first() or 0
    stored = MaterialFile(
        material=material,
        version=latest + 1,
        original_name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sm3=checked.sm3,
        sha256=checked.sha256,
    )
    stored.file.save(files.stored_name(checked), io.BytesIO(data), save=False)
    stored.save()
    material.state = MaterialState.PROVIDED
    material.evidence = material.evidence or "upload"
    material.problem = ""
    material.save(update_fields=["state", "evidence", "problem"])
    events.append(
        case, SYSTEM, "attach", case.status, {"material": material.name, "sm3": stored.sm3, "node": envelope.sender}
    )
    return stored


@handles("case.file")
def receive_file(envelope: Envelope) -> dict[str, Any]:
    """One material's file of a transferred case."""
    case = _their_case(envelope, "origin_node")
    stored = _keep_file(envelope, case, envelope.body)
    return {"case": case.number, "material": stored.material.name, "sm3": stored.sm3}


@handles("case.correction")
def receive_correction(envelope: Envelope) -> dict[str, Any]:
    """补正 collected at the receiving window: the listed materials again (files checked as above, or how
    the window saw them), then the case awaits acceptance here again."""
    case = _their_case(envelope, "origin_node")
    for sent in envelope.body.get("materials") or []:
        if sent.get("data"):
            _keep_file(envelope, case, sent)
            continue
        material = case.materials.filter(name=str(sent.get("material", ""))).first()
        if material is None:
            raise _fail("material", "unknown", "该材料不在办件的材料清单中", "the material is not on the case's list")
        if sent.get("state") == MaterialState.PROVIDED:
            material.state, material.evidence, material.problem = MaterialState.PROVIDED, sent.get("evidence", ""), ""
            material.save(update_fields=["state", "evidence", "problem"])
    core.correct(SYSTEM, case)
    return {"case": case.number, "status": Status.PENDING}


@handles("case.delivered")
def receive_delivery(envelope: Envelope) -> dict[str, Any]:
    """The receiving window handed the result out: the case is completed here too."""
    body = envelope.body
    case = _their_case(envelope, "origin_node")
    if case.status in CLOSED:
        return {"case": case.number, "status": case.status}
    detail = body.get("delivery") or {}
    core.deliver(
        SYSTEM,
        case,
        method=str(body.get("method", "")),
        recipient_id_check=str(detail.get("recipient_id_check", "")) or f"{envelope.sender}窗口核验",
        carrier=str(detail.get("carrier", "")),
        tracking_number=str(detail.get("tracking_number", "")),
        address=str(detail.get("address", "")),
    )
    return {"case": case.number, "status": Status.COMPLETED}


# --- status flowing back -------------------------------------------------------------------------------


def after_transition(actor: Actor, case: Case, action: str) -> None:
    """A hook of every case transition: tell the other node what happened here."""
    if case.origin_node:
        last = case.events.order_by("-seq").first()
        federation.enqueue(
            receiver=case.origin_node,
            type="case.status",
            stream=_stream(case),
            body={
                "number": case.number,
                "action": action,
                "status": case.status,
                "outcome": case.outcome,
                "at": last.at.isoformat() if last else timezone.now().isoformat(),
                "actor": last.actor if last else "system",
                "role": last.role if last else "",
                "event_hash": last.hash if last else "",
                "payload": last.payload if last else {},
                "result_number": case.result_number,
                "promised_deadline": case.promised_deadline.isoformat() if case.promised_deadline else "",
                "accepted_at": case.accepted_at.isoformat() if case.accepted_at else "",
            },
        )
    elif case.home_node and action == "correct":
        federation.enqueue(
            receiver=case.home_node, type="case.correction", stream=_stream(case), body=_correction(case)
        )
    elif case.home_node and action == "deliver":
        federation.enqueue(
            receiver=case.home_node,
            type="case.delivered",
            stream=_stream(case),
            body={"number": case.number, "method": case.delivery_method, "delivery": case.delivery},
        )


def _correction(case: Case) -> dict[str, Any]:
    """What the window collected for the handling node's last correction request (补正)."""
    asked = case.events.filter(action="request-correction").order_by("-seq").first()
    names = [i.get("name") for i in (asked.payload.get("items") or [])] if asked else []
    materials = []
    for material in case.materials.filter(name__in=names):
        latest = material.files.order_by("-version").first()
        if latest is not None and asked is not None and latest.uploaded_at > asked.at:
            materials.append(_file_message(case, material, latest))
        else:
            materials.append({"material": material.name, "state": material.state, "evidence": material.evidence})
    return {"number": case.number, "materials": materials}


@handles("case.status")
def mirror_status(envelope: Envelope) -> dict[str, Any]:
    """The handling node's act, recorded on the case this window received (and its status mirrored)."""
    body = envelope.body
    case = _their_case(envelope, "home_node")
    status = str(body.get("status", ""))
    if status not in Status.values:
        raise _fail("status", "unknown", f"未知的办件状态“{status}”", f"unknown case status '{status}'")
    if status == Status.PENDING:
        status = Status.FORWARDED  # awaiting acceptance there again (after a correction): forwarded, here
    before = case.status
    if not (before in CLOSED and status == Status.COMPLETED):  # delivered here first: the completion is ours
        case.status = status
    case.outcome = str(body.get("outcome", ""))[:8]
    case.result_number = str(body.get("result_number", ""))[:80]
    deadline = parse_datetime(str(body.get("promised_deadline", "")))
    if deadline is not None:
        case.promised_deadline = deadline
    accepted = parse_datetime(str(body.get("accepted_at", "")))
    if accepted is not None:  # the window shows the legal clock as it runs there
        case.accepted_at = accepted
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    if status == Status.CORRECTION:  # the window sees what to collect again (一次性告知)
        for item in payload.get("items") or []:
            case.materials.filter(name=str(item.get("name", ""))).update(
                state=MaterialState.REJECTED, problem=str(item.get("problem", ""))[:500]
            )
    if isinstance(payload.get("reasons"), str) and payload["reasons"]:
        case.reasons = payload["reasons"][:2000]  # a refusal's or denial's reasons, shown where it was received
    case.version += 1
    case.save()
    events.append(
        case,
        SYSTEM,
        str(body.get("action", ""))[:32],
        before,
        {
            **payload,
            "node": envelope.sender,
            "remote_actor": str(body.get("actor", ""))[:150],
            "remote_role": str(body.get("role", ""))[:20],
            "remote_event_hash": str(body.get("event_hash", ""))[:64],
        },
        at=parse_datetime(str(body.get("at", ""))) or timezone.now(),
    )
    if case.status != before:
        # What waits on this case here (a 一件事 whose part another node handles, 多地联办) moves on.
        for hook in core.AFTER_TRANSITION:
            if hook is not after_transition:
                hook(SYSTEM, case, str(body.get("action", "")))
    return {"case": case.number, "status": case.status}
