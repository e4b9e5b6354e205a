"""异地代收代办: a window in one region receives a case that another region's node decides (收受分离).

At the **receiving node** the clerk receives the application for the other region's item (the agreements
must let this region's windows receive it in mode ``proxy``), checks identity and materials, and
``forward``s it: the case becomes ``forwarded`` and, in the same transaction, the outbox takes
``case.transfer`` (the pinned guide version and its content hash, the applicant, the form, each
material's state and SM3, who received and how the identity was checked, the originals' dispatch) and
one ``case.file`` per stored file (several for a file larger than a message), all on the case's own
stream, so they arrive in order.

At the **handling node** ``case.transfer`` opens the case (same number: numbers carry the receiving
region) under the guide version the receiving window showed, refusing a version it does not publish; the
applicant, a person or an organisation (法人, by its unified social credit code), and the agent are found
or registered there. ``case.file`` stores each file after checking its size and SM3; a large file comes
in pieces (分片, ``transfer_files``). From then on every act there — a change of status, or one that
leaves it, as 审查 and 延期 — goes back as ``case.status``, with the notices (文书) it produced; the
receiving node mirrors it, records the act with who did it there, so both records show each side's acts
(责任追溯), and keeps a copy of each notice, rendered by its own worker, for the applicant at its window.
The result is handed out at the receiving window (or posted from there): its ``deliver`` goes to the
handling node as ``case.delivered``, which completes the case there too.

Every message is signed, applied once, and answered with a signed receipt (tongban.federation).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tongban.cases import events
from tongban.cases import services as core
from tongban.cases.choices import CLOSED, Channel, MaterialState, Status
from tongban.cases.models import Case, CaseMaterial, MaterialFile
from tongban.cases.services import transfer_files, transfer_notices
from tongban.catalog.agreements import receivable
from tongban.catalog.models import GuideVersion, ItemImplementation, Region
from tongban.core.codes import CodeError, validate_uscc
from tongban.core.errors import DomainError, Problem
from tongban.federation import node
from tongban.federation import services as federation
from tongban.federation.envelope import Envelope
from tongban.federation.handlers import handles
from tongban.federation.trust import TrustError
from tongban.identity.actor import SYSTEM, Actor
from tongban.identity.denied import require
from tongban.identity.models import Authorisation, Organisation, Person

log = logging.getLogger("tongban.cases.transfer")
M = TypeVar("M", bound=Model)


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


def _organisation(organisation: Organisation | None) -> dict[str, Any] | None:
    """What the deciding node needs to find or register the applicant organisation (法人)."""
    if organisation is None:
        return None
    return {
        "name": organisation.name,
        "uscc": organisation.uscc,
        "legal_representative": _person(organisation.legal_representative),
        "region": organisation.region_id,
    }


def _authorisation(authorisation: Authorisation | None) -> dict[str, str] | None:
    """How the agent acts for the applicant, as checked at the window (the signed form stays there)."""
    if authorisation is None:
        return None
    return {
        "scope": authorisation.scope,
        "valid_from": authorisation.valid_from.isoformat(),
        "valid_to": authorisation.valid_to.isoformat(),
        "evidence": authorisation.evidence,
    }


@transaction.atomic
def forward(
    actor: Actor, case: Case | int, *, carrier: str = "", tracking_number: str = "", version: int | None = None
) -> Case:
    """转递: send a case received here to the node that decides it, with its files; paper originals follow
    by post when the guide asks for them (carrier and tracking number)."""
    case = core._lock(case, version)
    row = core._row(actor, case, "forward")
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
        "organisation": _organisation(case.applicant_organisation),
        "agent": _person(case.agent),
        "authorisation": _authorisation(case.authorisation),
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
        _send_file(case, material, stored)
    case.dispatch = {k: v for k, v in dispatch.items() if v}
    return core._finish(actor, case, row, {"to_node": case.home_node, "files": len(stored_files), **case.dispatch})


def _send_file(case: Case, material: CaseMaterial, stored: MaterialFile) -> None:
    """Queue a material's file for the deciding node: whole, or in pieces when larger than a message."""
    for body in transfer_files.file_messages(case, material, stored):
        federation.enqueue(receiver=case.home_node, type="case.file", stream=_stream(case), body=body)


# --- at the handling node ------------------------------------------------------------------------------


def _one(rows: QuerySet[M]) -> M | None:
    """The row a unique key finds, or None: ``first()`` without the ORDER BY it would compile (a message
    handler runs thousands of these a minute)."""
    return next(iter(rows.order_by()[:1]), None)


def _guide(body: dict[str, Any]) -> tuple[ItemImplementation, GuideVersion]:
    impl = _one(ItemImplementation.objects.filter(implementation_code=str(body.get("implementation", ""))))
    if impl is None:
        raise _fail("implementation", "unknown", "本节点没有该实施清单", "this node has no such implementation")
    guide = _one(impl.versions.filter(number=body.get("guide_version")))
    if guide is None or guide.content_hash != body.get("guide_hash"):
        raise _fail(
            "guide_version",
            "not_published_here",
            "收件窗口所依据的办事指南版本与本节点发布的不一致",
            "the receiving window used a guide version this node does not publish",
        )
    return impl, guide


@contextmanager
def _within(part: str) -> Iterator[None]:
    """Errors of the identity commands name their own fields (``uscc``); say which part of the message."""
    try:
        yield
    except DomainError as exc:
        raise type(exc)(
            [Problem(f"{part}.{p.field}" if p.field else part, p.code, p.text) for p in exc.problems], exc.status
        ) from exc


def _find_person(data: Any, region_code: str, part: str) -> Person | None:
    """The person the message names, found here by their document, else registered (identity's command)."""
    if not data:
        return None
    if not isinstance(data, dict):
        raise _fail(part, "not_object", "人员信息应为对象", "a person is given as an object")
    id_type, id_number = str(data.get("id_type", "")), str(data.get("id_number", ""))
    found = _one(Person.objects.filter(id_type=id_type, id_number=id_number.strip().upper()))
    if found is not None:
        return found
    from tongban.identity import services as identity

    with _within(part):
        return identity.register_person(
            SYSTEM,
            name=str(data.get("name", "")),
            id_type=id_type,
            id_number=id_number,
            nationality=str(data.get("nationality") or "CHN"),
            phone=str(data.get("phone") or ""),
            region_code=region_code,
        )


def _find_organisation(data: Any, region_code: str) -> Organisation | None:
    """The applicant organisation (法人), found here by its unified social credit code, else registered
    with its legal representative (identity's command); a malformed code is refused, naming it."""
    if not data:
        return None
    if not isinstance(data, dict):
        raise _fail("organisation", "not_object", "单位信息应为对象", "an organisation is given as an object")
    try:
        uscc = validate_uscc(str(data.get("uscc", "")))
    except CodeError as exc:
        raise DomainError.from_code_error("organisation.uscc", exc) from exc
    found = _one(Organisation.objects.filter(uscc=uscc))
    if found is not None:
        return found
    representative = _find_person(data.get("legal_representative"), region_code, "organisation.legal_representative")
    if representative is None:
        raise _fail(
            "organisation.legal_representative",
            "required",
            "单位须有法定代表人",
            "an organisation needs its legal representative",
        )
    # Registered in the region the other node registered it in, when this node knows that region.
    region = str(data.get("region", ""))
    from tongban.identity import services as identity

    with _within("organisation"):
        return identity.register_organisation(
            SYSTEM,
            name=str(data.get("name", "")),
            uscc=uscc,
            legal_representative=representative,
            region_code=region if Region.objects.filter(code=region).exists() else region_code,
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
    organisation = _find_organisation(body.get("organisation"), region_code)
    person = None if organisation else _find_person(body.get("applicant"), region_code, "applicant")
    if person is None and organisation is None:
        raise _fail("applicant", "required", "转来的办件没有申请人", "the case names no applicant")
    agent = _find_person(body.get("agent"), region_code, "agent")
    given = {m["name"]: m for m in body.get("materials") or [] if isinstance(m, dict) and "name" in m}

    def as_given(material: CaseMaterial) -> None:
        sent = given.get(material.name, {})
        # A material with a file is given once its file has arrived and matched (case.file).
        if sent.get("state") in (MaterialState.PROVIDED, MaterialState.COMMITTED) and not sent.get("file_sm3"):
            material.state, material.evidence = sent["state"], str(sent.get("evidence", ""))[:16]
        material.note = str(sent.get("note", ""))[:500]
        material.license_identifier = str(sent.get("license", ""))[:200]

    case = core._new_case(
        SYSTEM,
        impl,
        channel=Channel.ONLINE if body.get("channel") == Channel.ONLINE else Channel.PROXY,
        status=Status.PENDING,
        person=person,
        organisation=organisation,
        agent=agent,
        authorisation=None,
        form_data=body.get("form_data") if isinstance(body.get("form_data"), dict) else {},
        receiving_region_code=region_code,
        number=number,
        guide=guide,
        fields={
            "identity_check": str(body.get("identity_check", ""))[:200],
            "arrived_at": parse_datetime(str(body.get("arrived_at", ""))) or timezone.now(),
            "origin_node": envelope.sender,
            "dispatch": body.get("dispatch") if isinstance(body.get("dispatch"), dict) else {},
        },
        prepare_material=as_given,
    )
    arrived = case.arrived_at
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
            **({"agent": agent.name} if agent else {}),
            # The authorisation stays at the window that checked it; its terms are recorded here.
            **({"authorisation": body["authorisation"]} if isinstance(body.get("authorisation"), dict) else {}),
        },
        at=arrived,
    )
    return {"case": case.number, "status": case.status}


@handles("case.file")
def receive_file(envelope: Envelope) -> dict[str, Any]:
    """One material's file of a transferred case, whole or one of its pieces (分片)."""
    case = _their_case(envelope, "origin_node")
    body = envelope.body
    if transfer_files.is_piece(body):
        stored = transfer_files.keep_piece(envelope, case, body)
        if stored is None:
            return {"case": case.number, "material": str(body.get("material", "")), "piece": body.get("index")}
    else:
        stored = transfer_files.keep_whole(envelope, case, body)
    return {"case": case.number, "material": stored.material.name, "sm3": stored.sm3}


@handles("case.correction")
def receive_correction(envelope: Envelope) -> dict[str, Any]:
    """补正 collected at the receiving window: the listed materials again (files checked as above, inline
    or gone ahead in pieces, or how the window saw them), then the case awaits acceptance here again."""
    case = _their_case(envelope, "origin_node")
    transfer_files.no_file_half_sent(case)
    for i, sent in enumerate(envelope.body.get("materials") or []):
        if sent.get("data"):
            transfer_files.keep_whole(envelope, case, sent)
            continue
        if sent.get("chunks"):  # its pieces came first, as case.file messages, and were put together
            transfer_files.given_in_pieces(case, sent, f"materials[{i}]")
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
    transfer_files.no_file_half_sent(case)
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


# --- status flowing back, with the notices it produced ------------------------------------------------


def after_act(actor: Actor, case: Case, action: str) -> None:
    """A hook of every act on a case (a change of status or not, e.g. 审查, 延期): tell the other node."""
    if case.origin_node:
        last = case.events.order_by("-seq").first()
        unsent = transfer_notices.unsent(case)
        message = federation.enqueue(
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
                "notices": [transfer_notices.body(n) for n in unsent],
            },
        )
        transfer_notices.sent_with(case, message, unsent)
    elif case.home_node and action == "correct":
        body, large = _correction(case)
        for material, stored in large:  # their pieces go first, and the correction names them
            _send_file(case, material, stored)
        federation.enqueue(receiver=case.home_node, type="case.correction", stream=_stream(case), body=body)
    elif case.home_node and action == "deliver":
        federation.enqueue(
            receiver=case.home_node,
            type="case.delivered",
            stream=_stream(case),
            body={"number": case.number, "method": case.delivery_method, "delivery": case.delivery},
        )


def _correction(case: Case) -> tuple[dict[str, Any], list[tuple[CaseMaterial, MaterialFile]]]:
    """What the window collected for the handling node's last correction request (补正): the message, and
    the files too large for it, which go ahead in pieces."""
    asked = case.events.filter(action="request-correction").order_by("-seq").first()
    names = [i.get("name") for i in (asked.payload.get("items") or [])] if asked else []
    materials: list[dict[str, Any]] = []
    large: list[tuple[CaseMaterial, MaterialFile]] = []
    for material in case.materials.filter(name__in=names):
        latest = material.files.order_by("-version").first()
        if latest is not None and asked is not None and latest.uploaded_at > asked.at:
            if transfer_files.fits(latest):
                [whole] = transfer_files.file_messages(case, material, latest)
                materials.append(whole)
            else:
                large.append((material, latest))
                materials.append(
                    {
                        "material": material.name,
                        "size": latest.size,
                        "sm3": latest.sm3,
                        "chunks": transfer_files.piece_count(latest.size),
                    }
                )
        else:
            materials.append({"material": material.name, "state": material.state, "evidence": material.evidence})
    return {"number": case.number, "materials": materials}, large


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
    notices = transfer_notices.keep_copies(envelope, case, body.get("notices"))
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
            **({"notices": [n.number for n in notices]} if notices else {}),
        },
        at=parse_datetime(str(body.get("at", ""))) or timezone.now(),
    )
    if case.status != before:
        # What waits on this case here (a 一件事 whose part another node handles, 多地联办) moves on.
        for hook in core.AFTER_TRANSITION:
            hook(SYSTEM, case, str(body.get("action", "")))
    return {"case": case.number, "status": case.status}
