"""Case test data: a small world (department, item, staff, applicant) and cases driven through the commands."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import gmalg
from django.contrib.auth.models import User

from tests import factories as f
from tests.identity import make
from tongban.cases import services
from tongban.cases.models import Case
from tongban.catalog.models import Department, ItemImplementation
from tongban.identity.actor import Actor, actor_for_user

PDF = b"%PDF-1.4\n% a small test file\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def independent_sm3(data: bytes) -> str:
    """SM3 by an implementation independent of the one the platform uses (OpenSSL)."""
    h = gmalg.SM3()
    h.update(data)
    return h.value().hex()


def pdf(name: str = "材料.pdf", content: bytes = PDF) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


@dataclass
class World:
    department: Department
    implementation: ItemImplementation
    clerk: User
    reviewer: User
    head: User
    supervisor: User
    applicant: User

    def actor(self, who: str) -> Actor:
        return actor_for_user(getattr(self, who))


def world(region: str = "411500", materials: list[dict[str, Any]] | None = None, **guide: Any) -> World:
    dept = f.department(region)
    impl = f.implementation(
        dept=dept, region_code=region, guide_data=f.guide(**guide) if guide else None, material_list=materials
    )
    return World(
        department=dept,
        implementation=impl,
        clerk=make.staff("window_clerk", region, department=dept),
        reviewer=make.staff("reviewer", region, department=dept),
        head=make.staff("department_head", region, department=dept),
        supervisor=make.staff("supervisor", region[:2] + "0000", descendants=True),
        applicant=make.applicant(region),
    )


def attach_all(w: World, case: Case, who: str = "applicant") -> Case:
    for material in case.materials.all():
        services.attach_file(w.actor(who), case, material_id=material.pk, upload=io.BytesIO(PDF), name="m.pdf")
    case.refresh_from_db()
    return case


def online(w: World, *, submit: bool = True) -> Case:
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    attach_all(w, case)
    if submit:
        services.submit(w.actor("applicant"), case)
        case.refresh_from_db()
    return case


def accepted(w: World) -> Case:
    case = online(w)
    services.accept(w.actor("clerk"), case)
    case.refresh_from_db()
    return case


# --- credit-backed handling (告知承诺, 容缺受理) -------------------------------------------------------

CONDITION = "已达到法定退休年龄并办理退休手续"
COMMITMENT_TEXT = "申请人承诺所告知的条件均已具备；承诺不实的，依法撤销决定并记入信用记录。"
REPLACEABLE = "退休证明"  # a commitment may replace it
TOLERATED = "银行卡复印件"  # may be supplied later (容缺)


def credit_world(region: str = "411500", promised_limit: int = 10, **guide: Any) -> World:
    """A world whose guide offers 告知承诺 (a condition and a material) and 容缺 (one material)."""
    return world(
        region,
        materials=[
            {"name": "居民身份证", "form": "original", "paper_copies": 1, "main": True},
            {"name": REPLACEABLE, "form": "original", "paper_copies": 1, "commitment_allowed": True},
            {"name": TOLERATED, "form": "copy", "paper_copies": 1, "necessity": "tolerated"},
        ],
        commitment_allowed=True,
        commitment_text=COMMITMENT_TEXT,
        commitment_conditions=[CONDITION],
        promised_limit=promised_limit,
        **guide,
    )


def material_id(case: Case, name: str) -> int:
    return case.materials.get(name=name).pk


def online_with(w: World, kind: str, *, submit: bool = True) -> Case:
    """An online application that signs a commitment (``commitment``) or a promise to supply (``tolerance``)."""
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    skipped = REPLACEABLE if kind == "commitment" else TOLERATED
    for material in case.materials.exclude(name=skipped):
        services.attach_file(w.actor("applicant"), case, material_id=material.pk, upload=io.BytesIO(PDF), name="m.pdf")
    extra = {"conditions": [CONDITION]} if kind == "commitment" else {}
    services.commit(
        w.actor("applicant"),
        case,
        kind=kind,
        materials=[material_id(case, skipped)],
        signed_how="online",
        **extra,
    )
    if submit:
        services.submit(w.actor("applicant"), case)
    case.refresh_from_db()
    return case
