"""The event record of a case (办件日志): appended by every command, hash-chained per case with SM3.

Each event's hash covers its content and the previous event's hash, so changing, removing or reordering
any event breaks every link after it; ``verify_chain`` reports the first broken one. The first event's
previous hash is the SM3 of the case number, which ties the chain to its case.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from tongban.cases.models import Case, CaseEvent
from tongban.identity.actor import Actor


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def canonical(value: Any) -> bytes:
    """One byte form per value: sorted keys, no spaces, UTF-8 (enough for our own JSON-able payloads)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def genesis(case_number: str) -> str:
    return sm3_hex(case_number.encode())


def _content(event: CaseEvent, case_number: str) -> dict[str, Any]:
    return {
        "case": case_number,
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "actor": event.actor,
        "role": event.role,
        "region": event.region_code,
        "department": event.department_id_at,
        "before": event.status_before,
        "after": event.status_after,
        "payload": event.payload,
        "prev": event.prev_hash,
    }


def event_hash(event: CaseEvent, case_number: str) -> str:
    return sm3_hex(canonical(_content(event, case_number)))


def append(
    case: Case,
    actor: Actor,
    action: str,
    status_before: str,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Append one event; call inside the command's transaction, after the case row is locked."""
    last = CaseEvent.objects.filter(case=case).order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, genesis(case.number))
    assignment = actor.assignment
    event = CaseEvent(
        case=case,
        seq=seq,
        at=at or timezone.now(),
        action=action,
        user=actor.user if actor.user_id else None,
        actor="system" if actor.system else (actor.user.get_username() if actor.user_id else "anonymous"),
        role=assignment.role if assignment else ("" if actor.system else "applicant"),
        assignment=assignment,
        region_code=assignment.region_id if assignment else "",
        department_id_at=assignment.department_id if assignment else None,
        status_before=status_before,
        status_after=case.status,
        payload=json.loads(canonical(payload or {})),
        prev_hash=prev,
    )
    event.hash = event_hash(event, case.number)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainReport:
    case_number: str
    events: int
    broken_at: int | None  # the seq of the first event whose link does not hold
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(case: Case) -> ChainReport:
    prev = genesis(case.number)
    expected_seq = 1
    count = 0
    for event in CaseEvent.objects.filter(case=case).order_by("seq").iterator():
        count += 1
        if event.seq != expected_seq:
            return ChainReport(case.number, count, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainReport(case.number, count, event.seq, "does not link to the event before it")
        if event_hash(event, case.number) != event.hash:
            return ChainReport(case.number, count, event.seq, "its content does not match its hash")
        prev = event.hash
        expected_seq += 1
    return ChainReport(case.number, count, None)
