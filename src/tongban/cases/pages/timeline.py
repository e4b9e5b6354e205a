"""The events of a case (办件日志) in plain language: what happened, when, by whom, and the details."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongban.cases.choices import (
    CommitmentKind,
    DeliveryMethod,
    MaterialEvidence,
    SignedHow,
    SpecialProcedure,
    Status,
    VerificationMethod,
    VerificationState,
)
from tongban.cases.models import CaseEvent
from tongban.identity.choices import Role

# Supervision is between the supervisor and the handlers; the applicant's timeline leaves it out.
INTERNAL = frozenset({"supervise", "answer-supervision"})


@dataclass
class Line:
    event: CaseEvent
    what: str
    details: list[tuple[str, str]]
    who: str


def _choice(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def status_label(value: str) -> str:
    return _choice(Status, value) if value else ""


def role_label(value: str) -> str:
    if value == "applicant":
        return pgettext("role", "applicant")
    return _choice(Role, value) if value else ""


def _what(action: str, p: dict[str, Any]) -> str:
    if action == "create":
        return _("Application started online")
    if action == "save":
        return _("Application form saved")
    if action == "submit":
        return _("Application submitted")
    if action == "receive" and p.get("node") and p.get("channel") == "online":
        return _("Application submitted online at node %(node)s and transferred here") % {"node": p["node"]}
    if action == "receive" and p.get("node"):
        return _("Application received at a window of node %(node)s (by %(clerk)s) and transferred here") % {
            "node": p.get("node", ""),
            "clerk": p.get("received_by", ""),
        }
    if action == "receive":
        return _("Application received at the window")
    if action == "forward":
        return _("Forwarded to node %(node)s, which decides it") % {"node": p.get("to_node", "")}
    if action == "attach":
        return _("File uploaded for “%(material)s” (version %(version)s)") % {
            "material": p.get("material", ""),
            "version": p.get("version", ""),
        }
    if action == "record-material":
        return _("Material recorded: “%(material)s”, %(how)s") % {
            "material": p.get("material", ""),
            "how": _choice(MaterialEvidence, p.get("evidence")),
        }
    if action == "accept":
        return _("Application accepted; the time limit started")
    if action == "deem-accepted":
        return _("Accepted by law: no correction was requested within 5 working days")
    if action == "refuse":
        return _("Acceptance refused")
    if action == "request-correction":
        return _("Corrections requested, all at once")
    if action == "correct":
        return _("Corrections supplied")
    if action == "review":
        return _("Review step “%(step)s” signed") % {"step": p.get("step", "")}
    if action == "approve":
        return _("Decision: approved")
    if action == "deny":
        return _("Decision: denied")
    if action == "extend":
        return _("Time limit extended by %(days)s working days") % {"days": p.get("days", "")}
    if action == "suspend":
        return _("Special procedure started: %(kind)s") % {"kind": _choice(SpecialProcedure, p.get("kind"))}
    if action == "resume":
        return _("Special procedure ended")
    if action == "withdraw":
        return _("Application withdrawn")
    if action == "terminate":
        return _("Handling terminated")
    if action == "issue":
        return _("Result issued")
    if action == "deliver":
        return _("Result delivered (%(method)s); the case is completed") % {
            "method": _choice(DeliveryMethod, p.get("method"))
        }
    if action == "commit":
        return _("Commitment signed: %(kind)s, %(how)s") % {
            "kind": _choice(CommitmentKind, p.get("kind")),
            "how": _choice(SignedHow, p.get("signed_how")),
        }
    if action == "supply":
        return _("Material supplied: “%(material)s”") % {"material": p.get("material", "")}
    if action == "lapse":
        return _("Handling terminated: materials accepted as missing were not supplied in time")
    if action == "verify":
        return _("Post-verification recorded: %(outcome)s") % {"outcome": _choice(VerificationState, p.get("outcome"))}
    if action == "revoke":
        return _("Approval revoked: the commitment was found false")
    if action == "supervise":
        return _("Supervision order issued")
    if action == "answer-supervision":
        return _("Supervision order answered")
    return action


def _value(key: str, value: Any) -> str:
    if key == "method":
        return _choice(VerificationMethod, value)
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _details(action: str, p: dict[str, Any], applicant: bool) -> list[tuple[str, str]]:
    labels = {
        "identity_check": _("Identity check"),
        "agent": _("Agent"),
        "acceptance_number": _("Acceptance number"),
        "reasons": _("Reasons"),
        "basis": _("Basis in law"),
        "reason": _("Reason"),
        "note": _("Note"),
        "result": _("Outcome of the procedure"),
        "result_number": _("Result number"),
        "recipient_id_check": _("Recipient's identity check"),
        "carrier": _("Carrier"),
        "tracking_number": _("Tracking number"),
        "message": _("Instruction"),
        "answer": _("Answer"),
        "opinion": _("Opinion"),
        "signer": _("Signed by"),
        "conditions": _("Conditions committed to"),
        "materials": _("Materials"),
        "method": _("Method"),
        "finding": _("Finding"),
    }
    hidden = {"opinion", "method", "finding"} if applicant else set()
    if applicant and action == "supply":
        hidden |= {"note"}  # the clerk's
    if applicant and action == "receive":
        hidden |= {"identity_check"}
    details = [(str(labels[k]), _value(k, p[k])) for k in labels if k not in hidden and p.get(k) not in (None, "", [])]
    if action == "supply" and p.get("late"):
        details.append((_("Late"), _("supplied after its deadline")))
    if action == "request-correction":
        for item in p.get("items") or []:
            text = item.get("problem", "")
            if item.get("requirement"):
                text = f"{text} — {item['requirement']}"
            details.append((str(item.get("name", "")), text))
    return details


def _who(event: CaseEvent, applicant: bool, user: Any) -> str:
    payload = event.payload if isinstance(event.payload, dict) else {}
    if event.actor == "system" and payload.get("node"):  # an act at the other node of a transferred case
        remote = payload.get("remote_actor") or payload.get("received_by") or ""
        if applicant or not remote:
            return _("node %(node)s") % {"node": payload["node"]}
        role = role_label(str(payload.get("remote_role") or ""))
        return f"{payload['node']} · {remote}" + (f" · {role}" if role else "")
    if event.actor == "system":
        return _("the system")
    if applicant:
        if event.user_id is not None and event.user_id == getattr(user, "pk", None):
            return _("you")
        if event.role and event.role != "applicant":
            return _("staff (%(role)s)") % {"role": role_label(event.role)}
        return role_label(event.role) or pgettext("role", "applicant")
    role = role_label(event.role)
    return f"{event.actor} · {role}" if role else event.actor


def lines(events: Iterable[CaseEvent], *, applicant: bool, user: Any = None) -> list[Line]:
    """The timeline of a case, oldest first; the applicant's leaves out internal supervision."""
    result = []
    for event in events:
        if applicant and event.action in INTERNAL:
            continue
        payload = event.payload if isinstance(event.payload, dict) else {}
        result.append(
            Line(
                event,
                _what(event.action, payload),
                _details(event.action, payload, applicant),
                _who(event, applicant, user),
            )
        )
    return result
