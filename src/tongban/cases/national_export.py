"""Cases in the national platform's exchange shape (STANDARDS §7), one JSON object per line.

Each record has the four parts the national platform takes: acceptance (受理信息), process steps
(办理过程), special procedures (特别程序) and result (办结信息). Cases are chosen by the day their
application arrived. Document numbers are masked unless the caller asks for them whole (the operator's
CLI only: the national platform needs them, nobody else does).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from tongban.cases.choices import DeliveryMethod
from tongban.cases.models import Case
from tongban.identity.masking import mask_id_number

# 申请人类型 and 证件类型 codes as the national tables use them (111 = 居民身份证, 001 = USCC).
_ID_TYPE_CODES = {
    "resident_id": "111",
    "passport": "414",
    "hk_macao_permit": "516",
    "taiwan_permit": "511",
    "foreign_permanent_resident": "553",
}


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _applicant(case: Case, full: bool) -> dict[str, Any]:
    if case.applicant_organisation_id:
        org = case.applicant_organisation
        rep = org.legal_representative
        return {
            "applicant_type": "2",
            "applicant_name": org.name,
            "id_type": "001",
            "id_number": org.uscc,
            "legal_representative": rep.name if rep else "",
        }
    person = case.applicant_person
    number = person.id_number if person else ""
    return {
        "applicant_type": "1",
        "applicant_name": case.applicant_name,
        "id_type": _ID_TYPE_CODES.get(person.id_type, "999") if person else "",
        "id_number": number if full else mask_id_number(number),
        "legal_representative": "",
    }


def _steps(case: Case) -> list[dict[str, Any]]:
    events = {e.action: e for e in case.events.all()}
    steps: list[dict[str, Any]] = []
    accept = events.get("accept") or events.get("deem-accepted") or events.get("approve")
    if case.accepted_at:
        steps.append(
            {
                "step": "受理",
                "action": accept.action if accept else "accept",
                "start": _iso(case.arrived_at),
                "end": _iso(case.accepted_at),
                "opinion": "予以受理",
                "handler": accept.actor if accept else "",
            }
        )
    for opinion in case.opinions.all():
        steps.append(
            {
                "step": opinion.step_name,
                "action": opinion.outcome or "review",
                "start": _iso(opinion.started_at),
                "end": _iso(opinion.at),
                "opinion": opinion.opinion,
                "handler": opinion.handler_name,
            }
        )
    for action, name in (("issue", "制证"), ("deliver", "送达")):
        event = events.get(action)
        if event is not None:
            steps.append(
                {
                    "step": name,
                    "action": action,
                    "start": _iso(event.at),
                    "end": _iso(event.at),
                    "opinion": "",
                    "handler": event.actor,
                }
            )
    return steps


def record(case: Case, *, full: bool = False) -> dict[str, Any]:
    dept = case.department
    return {
        "case_number": case.number,
        "acceptance": {
            **_applicant(case, full),
            "agent_name": case.agent.name if case.agent_id else "",
            "applied_at": _iso(case.arrived_at),
            "accepted_at": _iso(case.accepted_at),
            "acceptance_number": case.acceptance_number,
            "department_name": dept.name,
            "department_code": dept.uscc,
            "promised_at": _iso(case.promised_deadline),
            "basic_code": case.implementation.item.basic_code or "",
            "implementation_code": case.implementation.implementation_code,
            "item_name": case.item_name,
            "status": case.status,
        },
        "process": _steps(case),
        "special_procedures": [
            {
                "kind": s.kind,
                "reason": s.reason,
                "start": _iso(s.started_at),
                "end": _iso(s.ended_at),
                "result": s.result,
            }
            for s in case.suspensions.all()
        ],
        "result": {
            "decided_at": _iso(case.decided_at),
            "outcome": case.outcome,
            "license_name": case.guide_version.result_name if case.outcome == "approve" else "",
            "license_number": case.result_number,
            "posted": case.delivery_method == DeliveryMethod.POST,
            "delivered_at": _iso(case.delivered_at),
            "revoked_at": _iso(case.revoked_at),  # 撤销: an approval revoked later (a false 告知承诺)
            "satisfaction": None,  # filled once evaluations (好差评) exist
        },
    }


def cases_between(start: date, end: date, queryset: QuerySet | None = None) -> QuerySet:
    zone = timezone.get_current_timezone()
    lo = datetime.combine(start, time.min, zone)
    hi = datetime.combine(end, time.max, zone)
    qs = queryset if queryset is not None else Case.objects.all()
    return (
        qs.filter(arrived_at__gte=lo, arrived_at__lte=hi)
        .select_related(
            "department",
            "guide_version",
            "implementation__item",
            "applicant_person",
            "applicant_organisation__legal_representative",
            "agent",
        )
        .prefetch_related("events", "opinions", "suspensions")
        .order_by("arrived_at", "id")
    )


def lines(start: date, end: date, *, full: bool = False, queryset: QuerySet | None = None) -> Iterator[str]:
    for case in cases_between(start, end, queryset).iterator(chunk_size=500):
        yield json.dumps(record(case, full=full), ensure_ascii=False) + "\n"
