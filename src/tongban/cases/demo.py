"""Demo cases: a few applications of the demo applicant in the node's region, one in each main status,
driven through the same commands the pages use, so the demo's pages have something to show."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model

from tongban.cases import services
from tongban.cases.models import Case
from tongban.catalog.choices import GuideStatus
from tongban.catalog.models import ItemImplementation
from tongban.identity.actor import Actor, actor_for_user
from tongban.identity.models import StaffAssignment

# The smallest valid PDF we can show as a "scanned" material.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _actor(username: str, role: str | None = None) -> Actor:
    user = get_user_model().objects.get(username=username)
    if role is None:
        return actor_for_user(user)
    assignment = StaffAssignment.objects.filter(user=user, role=role, active=True).first()
    return actor_for_user(user, str(assignment.pk) if assignment else None)


_SAMPLES = {
    "id_number": "110101199003070011",
    "spouse_id_number": "110101199105120024",
    "phone": "13800000000",
    "uscc": "91411500MA9ABCDE0X",
    "partners": 2,
    "relation": "配偶",
}


def _sample_form(schema: dict) -> dict:
    """A filled form for the demo: a plausible value for every field the guide's schema asks for."""
    form: dict = {}
    for name, field in (schema.get("properties") or {}).items():
        if name in _SAMPLES:
            form[name] = _SAMPLES[name]
        elif field.get("enum"):
            form[name] = field["enum"][0]
        elif field.get("type") in ("number", "integer"):
            form[name] = max(field.get("minimum", 0), 1)
        elif field.get("type") == "boolean":
            form[name] = True
        else:
            form[name] = f"演示{field.get('title', name)}"[: field.get("maxLength", 50)]
    return form


def _license_data(case: Case) -> dict | None:
    from tongban.licenses.demo import license_data

    return license_data(case)


def _attach_all(actor: Actor, case: Case) -> None:
    for material in case.materials.all():
        services.attach_file(actor, case, material_id=material.pk, upload=io.BytesIO(DEMO_PDF), name="扫描件.pdf")


def ensure_demo_cases(region_code: str | None = None) -> int:
    """Create the demo cases once; returns how many were created (0 when they exist already)."""
    region_code = region_code or settings.TONGBAN_REGION
    applicant = _actor("applicant")
    if applicant.person is None or Case.objects.filter(applicant_person=applicant.person).exists():
        return 0
    clerk, reviewer, head = _actor("clerk"), _actor("reviewer"), _actor("head")
    impls = list(
        ItemImplementation.objects.filter(
            region_id=region_code, current_version__status=GuideStatus.PUBLISHED, current_version__case_type="promised"
        ).order_by("id")[:6]
    )
    if not impls:
        return 0

    def online(impl: ItemImplementation, submit: bool = True) -> Case:
        form = _sample_form(impl.current_version.form_schema or {})
        case = services.create_draft(applicant, implementation=impl, form_data=form)
        _attach_all(applicant, case)
        if submit:
            services.submit(applicant, case)
        case.refresh_from_db()
        return case

    def step(case: Case, *calls: Callable[[Case], object]) -> None:
        for call in calls:
            call(case)
            case.refresh_from_db()

    def through_review(case: Case) -> None:
        while "review" in services.allowed_actions(reviewer, case):
            services.review(reviewer, case, opinion="材料齐全，符合条件")
            case.refresh_from_db()

    # First the applicant's own e-licence: 即办 items mostly, whose deadlines need no next year's calendar.
    made = _licence_cases(region_code, clerk, head, online, through_review)
    pick = (impls * 6)[:6]
    made.append(online(pick[0], submit=False))  # a draft the applicant can finish
    made.append(online(pick[1]))  # submitted, awaiting acceptance
    corr = online(pick[2])
    first = corr.materials.order_by("order", "id").first()
    step(
        corr,
        lambda c: services.request_correction(
            clerk, c, items=[{"material": first.pk, "problem": "扫描件不清晰", "requirement": "请上传清晰的彩色扫描件"}]
        ),
    )
    made.append(corr)
    review = online(pick[3])
    step(review, lambda c: services.accept(clerk, c))
    made.append(review)
    suspended = online(pick[4])
    step(
        suspended,
        lambda c: services.accept(clerk, c),
        lambda c: services.suspend(reviewer, c, kind="on_site", reason="需现场核查申请人提交的材料"),
    )
    made.append(suspended)
    done = online(pick[5])
    step(
        done,
        lambda c: services.accept(clerk, c),
        through_review,
        lambda c: services.approve(head, c, opinion="同意"),
        lambda c: services.issue(clerk, c, license_data=_license_data(c)),
        lambda c: services.deliver(clerk, c, method="online"),
    )
    made.append(done)
    made += _credit_cases(region_code, applicant, clerk, reviewer, head, online, through_review)
    return len(made)


# The applicant's own certificates, for the licence wallet (SCENARIOS §2 and §7): the first the region offers.
# 黄冈 offers no 无犯罪记录证明, so there the applicant holds a 结婚证, which 信阳's 购房提取 accepts (§7).
_PERSONAL_LICENCES = ("NO_CRIMINAL_RECORD", "MARRIAGE_CERT", "HOUSEHOLD_PROOF")


def _at_window(impl: ItemImplementation, clerk: Actor) -> Case:
    """An application received at the window (items that cannot be applied for online, like 结婚登记)."""
    applicant = _actor("applicant")
    form = _sample_form(impl.current_version.form_schema or {})
    case = services.receive(
        clerk, implementation=impl, person=applicant.person, identity_check="核验居民身份证原件", form_data=form
    )
    for material in case.materials.all():
        services.record_material(clerk, case, material_id=material.pk, evidence="original_seen")
    case.refresh_from_db()
    return case


def _licence_cases(region_code, clerk, head, online, through_review) -> list[Case]:  # type: ignore[no-untyped-def]
    """One case of the region that ends in a personal e-licence of the demo applicant, taken to the end."""
    from tongban.catalog.demo_data.license_types import code

    for key in _PERSONAL_LICENCES:
        impl = (
            ItemImplementation.objects.filter(
                region_id=region_code,
                current_version__status=GuideStatus.PUBLISHED,
                current_version__result_license_type=code(key),
            )
            .order_by("id")
            .first()
        )
        if impl is None:
            continue
        case = online(impl) if "online" in impl.current_version.modes else _at_window(impl, clerk)
        if "accept" in services.allowed_actions(clerk, case):
            services.accept(clerk, case)
            case.refresh_from_db()
        through_review(case)
        # A 即办件 is decided at the window in one step; the others by the head after review.
        decider = clerk if "approve" in services.allowed_actions(clerk, case) else head
        services.approve(decider, case, opinion="同意")
        case.refresh_from_db()
        services.issue(clerk, case, license_data=_license_data(case))
        services.deliver(clerk, case, method="online")
        return [case]
    return []


def _tolerance_fits(impl: ItemImplementation) -> bool:
    """Whether the guide's promised limit leaves time to supply a missing material (some do not: 1 day)."""
    from tongban.cases.services.commitments import tolerance_refusal
    from tongban.core.errors import DomainError

    try:
        return tolerance_refusal(Case(guide_version=impl.current_version)) is None
    except DomainError:  # e.g. next year's calendar not loaded: not a candidate today
        return False


def _credit_cases(region_code, applicant, clerk, reviewer, head, online, through_review) -> list[Case]:  # type: ignore[no-untyped-def]
    """SCENARIOS §5 and §6 on this node: one case granted on a commitment, awaiting its 事后核查, and one
    accepted with a material missing (容缺), awaiting it."""
    made = []
    published = ItemImplementation.objects.filter(
        region_id=region_code, current_version__status=GuideStatus.PUBLISHED
    ).select_related("current_version")
    on_word = published.filter(current_version__commitment_allowed=True, current_version__case_type="promised")
    impl = on_word.exclude(current_version__commitment_conditions=[]).order_by("id").first()
    if impl is not None:
        case = online(impl, submit=False)
        conditions = list(impl.current_version.commitment_conditions)
        services.commit(applicant, case, kind="commitment", conditions=conditions, signed_how="online")
        services.submit(applicant, case)
        services.accept(clerk, case)
        case.refresh_from_db()
        through_review(case)
        services.approve(head, case, opinion="依承诺准予")
        services.issue(clerk, case, license_data=_license_data(case))
        services.deliver(clerk, case, method="online")
        made.append(case)
    tolerant = next(
        (
            impl
            for impl in published.filter(current_version__materials__necessity="tolerated").distinct().order_by("id")
            if _tolerance_fits(impl)
        ),
        None,
    )
    if tolerant is not None:
        form = _sample_form(tolerant.current_version.form_schema or {})
        case = services.create_draft(applicant, implementation=tolerant, form_data=form)
        owed = [m.pk for m in case.materials.all() if m.requirement and m.requirement.necessity == "tolerated"]
        for material in case.materials.exclude(pk__in=owed):
            services.attach_file(
                applicant, case, material_id=material.pk, upload=io.BytesIO(DEMO_PDF), name="扫描件.pdf"
            )
        services.commit(applicant, case, kind="tolerance", materials=owed, signed_how="online")
        services.submit(applicant, case)
        services.accept(clerk, case)
        case.refresh_from_db()
        made.append(case)
    return made
