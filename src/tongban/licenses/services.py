"""Licence commands (电子证照): issue on a case's issue step, annotate (加注), suspend, reinstate, revoke,
replace with a new version; and the document as handed out, with its log proof.

Each command checks its input (DomainError naming the field), asks the policy, writes the licence row,
its event and the transparency-log leaf in one transaction. The signed document is never changed: a
change of content is a new version with a new identifier; a change of status is an event and a leaf.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import jsonschema
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tongban.catalog.models import Department, LicenseType
from tongban.core.errors import Conflict, DomainError, NotFound, Problem
from tongban.core.messages import Text
from tongban.federation.sm2 import SM2Error
from tongban.identity.actor import Actor
from tongban.identity.denied import require
from tongban.licenses import document, identifiers, ledger, seals
from tongban.licenses.models import License, LicenseEvent, LicenseEventKind, LicenseStatus, Seal

# GB/T 36903 holder code types: 111 resident identity card; 049 unified social credit code.
CODE_TYPE_ID_CARD = "111"
CODE_TYPE_USCC = "049"
MAX_TEXT = 500


def _fail(field: str, code: str, zh: str, en: str, status: int | None = None) -> DomainError:
    return DomainError.single(field, code, zh, en, status)


def _text(field: str, value: str | None, zh: str, en: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _fail(field, "required", f"请填写{zh}", f"{en} is required")
    if len(text) > MAX_TEXT:
        raise _fail(field, "too_long", f"{zh}不得超过{MAX_TEXT}字", f"{en} may have at most {MAX_TEXT} characters")
    return text


def _who(actor: Actor) -> tuple[str, str]:
    if actor.system:
        return "system", ""
    name = actor.user.get_username() if actor.user_id else "anonymous"
    assignment = actor.assignment
    return name, str(assignment.department or assignment.region) if assignment else ""


# --- issuing -----------------------------------------------------------------------------------------


def license_type_for(code: str) -> LicenseType:
    found = LicenseType.objects.filter(code=code).first()
    if found is None:
        raise _fail(
            "result_license_type",
            "license_type_unknown",
            f"本节点未定义证照类型“{code}”，无法生成电子证照",
            f"licence type '{code}' is not defined on this node, so no e-licence can be made",
            409,
        )
    return found


def _holder(license_type: LicenseType, data: dict[str, Any], case: Any) -> dict[str, str]:
    """Who holds the licence: named by the type's schema (``x-holder``), else the applicant."""
    mapping = license_type.schema.get("x-holder") or {}
    if mapping:
        name, code = data.get(mapping.get("name", "")), data.get(mapping.get("code", ""))
        code_type = mapping.get("code_type", CODE_TYPE_ID_CARD)
        if not name or not code:
            raise _fail(
                "license_data",
                "no_holder",
                f"证照数据须包含持证主体的名称（{mapping.get('name')}）和代码（{mapping.get('code')}）",
                f"the licence data must name the holder ({mapping.get('name')}) and their code ({mapping.get('code')})",
            )
        return {"name": str(name), "code": str(code), "code_type": str(code_type)}
    if case is not None and case.applicant_organisation_id:
        org = case.applicant_organisation
        return {"name": org.name, "code": org.uscc, "code_type": CODE_TYPE_USCC}
    if case is not None and case.applicant_person_id:
        person = case.applicant_person
        return {"name": person.name, "code": person.id_number, "code_type": CODE_TYPE_ID_CARD}
    raise _fail("holder", "no_holder", "无法确定持证人", "the holder cannot be determined")


def _checked_data(license_type: LicenseType, given: dict[str, Any]) -> dict[str, Any]:
    schema = {k: v for k, v in license_type.schema.items() if not k.startswith("x-")}
    problems = []
    for error in sorted(jsonschema.Draft202012Validator(schema).iter_errors(given), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            where = missing
            title = schema.get("properties", {}).get(missing, {}).get("title", missing)
            text = Text(f"证照数据缺少“{title}”", f"the licence data needs '{missing}'")
        else:
            text = Text(f"证照数据“{where}”不符合要求：{error.message}", f"licence data '{where}': {error.message}")
        problems.append(Problem(f"license_data.{where}" if where else "license_data", "invalid", text))
    if problems:
        raise DomainError(problems)
    return given


def _typed(properties: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Numbers typed into a form arrive as text; read them as the schema's type (a text that is no number
    stays text, and the schema check then names the field)."""
    out = dict(given)
    for name, value in given.items():
        kind = (properties.get(name) or {}).get("type")
        if kind in ("number", "integer") and isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                continue
            out[name] = int(number) if kind == "integer" or number.is_integer() else number
    return out


def _valid_to(license_type: LicenseType, start: date) -> date | None:
    if not license_type.validity_years:
        return None
    years = license_type.validity_years
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + years, day=28)
    return anniversary - timedelta(days=1)


def serial_for_case(number: str) -> str:
    """The serial of a case's licence: the case number's digits (region, day, sequence), unique per node."""
    return re.sub(r"[^0-9A-Z]", "", number.upper())[:32]


def _seal_info(seal: Seal) -> dict[str, Any]:
    return {
        "id": seal.seal_id,
        "kind": seal.kind,
        "name": seal.name,
        "organisation_code": seal.department.uscc,
        "key_id": seal.key_id,
    }


def _sign_and_store(
    *,
    license_type: LicenseType,
    issuer: Department,
    serial: str,
    version: int,
    holder: dict[str, str],
    data: dict[str, Any],
    case: Any,
    item: dict[str, str] | None,
    valid_from: date,
    valid_to: date | None,
    previous: License | None,
) -> License:
    if not issuer.uscc:
        raise _fail(
            "issuer",
            "no_uscc",
            f"颁发机构“{issuer.name}”没有统一社会信用代码",
            f"the issuer '{issuer.name}' has no USCC",
            409,
        )
    ident = identifiers.make(license_type.code, issuer.uscc, serial, version)
    now = timezone.now()
    seal = seals.current_seal(issuer, now)
    content = {
        "identifier": str(ident),
        "name": license_type.name,
        "number": serial,
        "version": ident.version,
        "type": {"code": license_type.code, "name": license_type.name},
        "issuer": {"code": issuer.uscc, "name": issuer.name},
        "defining_organ": {"code": license_type.defining_organ_code, "name": license_type.defining_organ_name},
        "issued_on": now.date().isoformat() if previous is None else previous.issued_on.isoformat(),
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat() if valid_to else None,
        "jurisdiction": issuer.region_id,
        "holder": holder,
        "item": item,
        "case": case.number if case is not None else None,
        "node": settings.TONGBAN_NODE_ID,
        "data": data,
    }
    block = document.signature_block(content, _seal_info(seal), now)
    value = seals.sign(seal, document.to_be_signed(block), at=now)
    signed = document.assemble(content, block, value)
    leaf = ledger.append(
        LicenseEventKind.ISSUE,
        {"identifier": str(ident), "content_sm3": block["content_sm3"], "seal": seal.seal_id},
    )
    lic = License.objects.create(
        identifier=str(ident),
        license_type=license_type,
        serial=serial,
        version=version,
        previous=previous,
        number=serial,
        issuer=issuer,
        jurisdiction=issuer.region_id,
        holder_name=holder["name"],
        holder_code=holder["code"],
        holder_code_type=holder["code_type"],
        case=case,
        issued_on=date.fromisoformat(content["issued_on"]),
        valid_from=valid_from,
        valid_to=valid_to,
        document=signed,
        content_sm3=block["content_sm3"],
        seal=seal,
        signed_at=now,
        log_index=leaf.index,
    )
    _queue_rendering(lic)
    return lic


def _queue_rendering(lic: License) -> None:
    try:
        from tongban.licenses.tasks import render_license
    except ImportError:  # the printed form is optional to the signature; without it there is the JSON
        return
    transaction.on_commit(lambda: render_license.enqueue(lic.pk))


def issue_for_case(actor: Actor, case: Any, license_data: dict[str, Any] | None = None) -> License | None:
    """The e-licence of a case whose guide names a result licence type; None when it names none.

    The licence data is the case's form where the type's fields share its names, completed by
    ``license_data`` (what the issuing officer enters: the registration number, the scope…)."""
    code = case.guide_version.result_license_type
    if not code:
        return None
    license_type = license_type_for(code)
    if License.objects.filter(case=case, license_type=license_type).exists():
        raise _fail("case", "already_issued", "本办件已生成该电子证照", "this case already has this e-licence", 409)
    if license_data is not None and not isinstance(license_data, dict):
        raise _fail("license_data", "not_an_object", "证照数据应为对象", "the licence data must be an object")
    properties = license_type.schema.get("properties") or {}
    data = {k: v for k, v in (case.form_data or {}).items() if k in properties}
    data.update(_typed(properties, license_data or {}))
    data = _checked_data(license_type, data)
    holder = _holder(license_type, data, case)
    today = timezone.localdate()
    item = {"code": case.implementation.implementation_code, "name": case.item_name}
    lic = _sign_and_store(
        license_type=license_type,
        issuer=case.department,
        serial=serial_for_case(case.number),
        version=1,
        holder=holder,
        data=data,
        case=case,
        item=item,
        valid_from=today,
        valid_to=_valid_to(license_type, today),
        previous=None,
    )
    _event(actor, lic, LicenseEventKind.ISSUE, lic.log_index)
    return lic


def _event(
    actor: Actor,
    lic: License,
    kind: str,
    log_index: int,
    *,
    text: str = "",
    reason: str = "",
    until: date | None = None,
) -> LicenseEvent:
    who, org = _who(actor)
    return LicenseEvent.objects.create(
        license=lic, kind=kind, text=text, reason=reason, until=until, actor=who, organisation=org, log_index=log_index
    )


# --- status ------------------------------------------------------------------------------------------


def get(identifier: str) -> License:
    ident = identifiers.parse(identifier)
    found = License.objects.select_related("license_type", "issuer", "seal").filter(identifier=str(ident)).first()
    if found is None:
        raise NotFound.single("identifier", "not_found", "本节点没有签发该证照", "this node issued no such licence")
    return found


def _lock(lic: License | str | int) -> License:
    if isinstance(lic, str):
        lic = get(lic)
    pk = lic.pk if isinstance(lic, License) else lic
    found = License.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound.single("license", "not_found", "证照不存在", "no such licence")
    return found


_ALLOWED_FROM = {
    LicenseEventKind.ANNOTATE: {LicenseStatus.VALID, LicenseStatus.SUSPENDED},
    LicenseEventKind.SUSPEND: {LicenseStatus.VALID},
    LicenseEventKind.REINSTATE: {LicenseStatus.SUSPENDED},
    LicenseEventKind.REVOKE: {LicenseStatus.VALID, LicenseStatus.SUSPENDED},
    LicenseEventKind.SUPERSEDE: {LicenseStatus.VALID},
}
_NEW_STATUS = {
    LicenseEventKind.SUSPEND: LicenseStatus.SUSPENDED,
    LicenseEventKind.REINSTATE: LicenseStatus.VALID,
    LicenseEventKind.REVOKE: LicenseStatus.REVOKED,
    LicenseEventKind.SUPERSEDE: LicenseStatus.SUPERSEDED,
}


def _change(
    actor: Actor, lic: License | str | int, kind: str, *, text: str = "", reason: str, until: date | None = None
) -> License:
    lic = _lock(lic)
    require(actor, "license.manage", lic)
    if lic.status not in _ALLOWED_FROM[kind]:
        raise Conflict.single(
            "status",
            "wrong_state",
            f"证照当前为“{lic.get_status_display()}”，不能{LicenseEventKind(kind).label}",
            f"the licence is {lic.status}; it cannot be {kind}d now",
        )
    if until is not None and until < timezone.localdate():
        raise _fail("until", "in_the_past", "期限不能早于今天", "'until' may not be in the past")
    leaf = ledger.append(
        kind,
        {"identifier": lic.identifier, "text": text, "reason": reason, "until": until.isoformat() if until else None},
    )
    if kind in _NEW_STATUS:
        lic.status = _NEW_STATUS[kind]
        lic.status_reason = reason
        lic.save(update_fields=["status", "status_reason"])
    _event(actor, lic, kind, leaf.index, text=text, reason=reason, until=until)
    return lic


@transaction.atomic
def annotate(actor: Actor, lic: License | str | int, *, text: str, reason: str, until: date | None = None) -> License:
    """加注: a note on the licence (what, who, why, until) without changing what was signed."""
    text = _text("text", text, "加注内容", "the annotation")
    reason = _text("reason", reason, "加注原因", "the reason")
    return _change(actor, lic, LicenseEventKind.ANNOTATE, text=text, reason=reason, until=until)


@transaction.atomic
def suspend(actor: Actor, lic: License | str | int, *, reason: str, until: date | None = None) -> License:
    """中止: the licence may not be relied on until reinstated."""
    return _change(
        actor, lic, LicenseEventKind.SUSPEND, reason=_text("reason", reason, "中止原因", "the reason"), until=until
    )


@transaction.atomic
def reinstate(actor: Actor, lic: License | str | int, *, reason: str) -> License:
    return _change(actor, lic, LicenseEventKind.REINSTATE, reason=_text("reason", reason, "恢复原因", "the reason"))


@transaction.atomic
def revoke(actor: Actor, lic: License | str | int, *, reason: str) -> License:
    """撤销 or 注销: for good. The signature stays verifiable; the status says it is no longer in force."""
    return _change(actor, lic, LicenseEventKind.REVOKE, reason=_text("reason", reason, "撤销原因", "the reason"))


@transaction.atomic
def new_version(actor: Actor, lic: License | str | int, *, changes: dict[str, Any], reason: str) -> License:
    """换发: the same licence with changed data, a version number up and a new identifier; the old one is
    marked replaced."""
    reason = _text("reason", reason, "换发原因", "the reason")
    if not isinstance(changes, dict) or not changes:
        raise _fail("changes", "required", "请给出变更的证照数据", "give the licence data that changes")
    old = _lock(lic)
    require(actor, "license.manage", old)
    if old.status != LicenseStatus.VALID:
        raise Conflict.single(
            "status", "wrong_state", "只有有效的证照可以换发", "only a licence in force can be replaced"
        )
    data = _checked_data(old.license_type, {**old.document["license"]["data"], **changes})
    holder = (
        _holder(old.license_type, data, old.case)
        if old.license_type.schema.get("x-holder")
        else {"name": old.holder_name, "code": old.holder_code, "code_type": old.holder_code_type}
    )
    fresh = _sign_and_store(
        license_type=old.license_type,
        issuer=old.issuer,
        serial=old.serial,
        version=old.version + 1,
        holder=holder,
        data=data,
        case=old.case,
        item=old.document["license"].get("item"),
        valid_from=timezone.localdate(),
        valid_to=old.valid_to,
        previous=old,
    )
    _event(actor, fresh, LicenseEventKind.ISSUE, fresh.log_index, reason=reason)
    _change(actor, old, LicenseEventKind.SUPERSEDE, text=fresh.identifier, reason=reason)
    return fresh


# --- the document as handed out ----------------------------------------------------------------------


def with_proof(lic: License) -> dict[str, Any]:
    """The signed document with a fresh proof that its issuance is in this node's log."""
    try:
        head = ledger.signed_head(lic.log_index + 1)
    except SM2Error as exc:
        raise DomainError.single(
            None,
            "no_node_key",
            "本节点尚无签名密钥，无法出具日志存证证明；请节点管理员生成密钥（tongban federation keygen）",
            "this node has no signing key, so it cannot sign the log proof; the operator creates one "
            "(tongban federation keygen)",
            503,
        ) from exc
    proof = ledger.inclusion_proof(lic.log_index, head.size)
    leaf = ledger.leaf(lic.log_index)
    return {
        **lic.document,
        "log": {
            "index": lic.log_index,
            "leaf": bytes(leaf.data).decode(),
            "tree_head": head.to_dict(),
            "proof": [p.hex() for p in proof],
        },
    }


def status_of(identifier: str) -> tuple[str, str] | None:
    found = License.objects.filter(identifier=identifier).values_list("status", "status_reason").first()
    return (found[0], found[1]) if found else None


def verify_here(doc: dict[str, Any]) -> document.Report:
    """Verify with this node's trust list, and the status when this node issued the licence."""
    from tongban.federation import node

    return document.verify(doc, node.trust_list(), status=status_of)
