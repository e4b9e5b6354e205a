"""What a notice (文书) says: built once from the case when the notice is created and stored with it,
so the PDF can be rendered again, identically, at any time."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tongban.cases.choices import MaterialState
from tongban.cases.models import Case
from tongban.identity.masking import mask_id_number


def _day(value: Any) -> str | None:
    return timezone.localdate(value).isoformat() if value else None


def _applicant_id(case: Case) -> str:
    if case.applicant_organisation_id:
        return case.applicant_organisation.uscc
    return mask_id_number(case.applicant_person.id_number) if case.applicant_person_id else ""


def verify_url(token: str) -> str:
    return settings.TONGBAN_PUBLIC_URL.rstrip("/") + reverse("cases:notice-verify", args=[token])


def notice_context(case: Case, kind: str, number: str, token: str, extra: dict[str, Any]) -> dict[str, Any]:
    guide = case.guide_version
    context: dict[str, Any] = {
        "number": number,
        "kind": kind,
        "issued_on": timezone.localdate().isoformat(),
        "organ": case.department.name,
        "region_name": case.region.name,
        "case_number": case.number,
        "item_name": case.item_name,
        "applicant_name": case.applicant_name,
        "applicant_id_masked": _applicant_id(case),
        "arrived_on": _day(case.arrived_at),
        "verify_url": verify_url(token),
        "enquiry_phone": guide.enquiry_phone,
    }
    if kind == "acceptance":
        context.update(
            accepted_on=_day(case.accepted_at),
            acceptance_number=case.acceptance_number,
            statutory_deadline=_day(case.statutory_deadline),
            promised_deadline=_day(case.promised_deadline),
            materials=[
                {"name": m.name, "form": m.get_evidence_display() if m.evidence else ""}
                for m in case.materials.all()
                if m.state == MaterialState.PROVIDED
            ],
        )
    elif kind == "refusal":
        context.update(reasons=case.reasons, basis=case.basis)
    elif kind == "correction":
        context.update(items=extra.get("items", []), note=extra.get("note", ""))
    elif kind in ("tolerance", "commitment", "lapse", "revocation"):
        # The commands that create these notices know their content: commitments, deadlines, findings.
        context.update({k: v for k, v in extra.items() if v not in (None, "")})
    elif kind == "decision":
        context.update(
            outcome=case.outcome,
            reasons=case.reasons,
            basis=case.basis,
            result_name=guide.result_name,
            delivery="可选择窗口领取、邮寄送达或网上下载" if case.outcome == "approve" else "",
        )
    return context
