"""告知承诺 and 容缺受理 through the case commands: who may use them, what acceptance starts, what a
missed deadline or a false commitment leads to (SCENARIOS §5, §6; STANDARDS §6)."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.cases import make as m
from tests.cases.conftest import ZONE
from tongban.cases import services
from tongban.cases.choices import (
    CommitmentState,
    MaterialState,
    NoticeKind,
    Status,
    VerificationState,
)
from tongban.cases.models import Case, Commitment, Verification
from tongban.core.errors import Conflict, DomainError
from tongban.credit.choices import EntryKind
from tongban.credit.models import CreditEntry
from tongban.identity.models import Person

pytestmark = pytest.mark.django_db


def _dishonest(person: Person, *, since: date = date(2026, 3, 1), until: date | None = None) -> CreditEntry:
    from tongban.catalog.models import Region
    from tongban.credit.choices import EntrySource, SubjectType

    return CreditEntry.objects.create(
        subject_type=SubjectType.PERSON,
        subject_code=person.id_number,
        subject_name=person.name,
        kind=EntryKind.DISHONEST,
        source=EntrySource.IMPORT,
        source_name="信用中国（河南）",
        source_ref=f"HN-2026-{CreditEntry.objects.count() + 1:04d}",
        occurred_on=since,
        valid_until=until,
        region=Region.objects.get(code="411500"),
    )


def _applicant(w: m.World) -> Person:
    return Person.objects.get(user=w.applicant)


def _accept(w: m.World, case: Case) -> Case:
    services.accept(w.actor("clerk"), case)
    case.refresh_from_db()
    return case


def _to_approved(w: m.World, case: Case) -> Case:
    services.review(w.actor("reviewer"), case, opinion="材料齐全")
    services.approve(w.actor("head"), case, opinion="同意", basis="住房公积金管理条例")
    case.refresh_from_db()
    return case


# --- eligibility -----------------------------------------------------------------------------------


def test_a_subject_on_the_dishonest_list_is_refused_both_with_the_reason_and_nothing_changes():
    w = m.credit_world()
    _dishonest(_applicant(w))
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    before = (case.version, case.events.count())
    for kind, material in (("commitment", m.REPLACEABLE), ("tolerance", m.TOLERATED)):
        with pytest.raises(DomainError) as refused:
            services.commit(
                w.actor("applicant"),
                case,
                kind=kind,
                materials=[m.material_id(case, material)],
                signed_how="online",
            )
        problem = refused.value.problems[0]
        assert (problem.field, problem.code) == ("kind", "not_eligible")
        assert "失信" in problem.text.zh and "2026-03-01" in problem.text.zh
    case.refresh_from_db()
    assert (case.version, case.events.count()) == before
    assert not Commitment.objects.exists()
    assert set(case.materials.values_list("state", flat=True)) == {MaterialState.MISSING}


def test_a_repaired_or_expired_entry_no_longer_refuses():
    w = m.credit_world()
    person = _applicant(w)
    _dishonest(person, until=date(2026, 11, 22))  # expired yesterday (the clock says 2026-11-23)
    case = m.online_with(w, "tolerance")
    assert case.commitments.get().kind == "tolerance"

    w2 = m.credit_world()
    entry = _dishonest(_applicant(w2))
    with pytest.raises(DomainError):
        m.online_with(w2, "commitment")
    from tongban.credit import services as credit

    credit.repair(w2.actor("supervisor"), entry, decision="信用修复决定书 豫信修〔2026〕12号")
    assert m.online_with(w2, "commitment").commitments.get().kind == "commitment"


def test_only_what_the_guide_offers_may_be_committed():
    w = m.credit_world()
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    main = m.material_id(case, "居民身份证")
    with pytest.raises(DomainError) as not_tolerable:
        services.commit(w.actor("applicant"), case, kind="tolerance", materials=[main], signed_how="online")
    assert not_tolerable.value.problems[0].code == "not_tolerable"
    with pytest.raises(DomainError) as not_replaceable:
        services.commit(
            w.actor("applicant"),
            case,
            kind="commitment",
            materials=[m.material_id(case, m.TOLERATED)],
            signed_how="online",
        )
    assert not_replaceable.value.problems[0].code == "not_replaceable"
    with pytest.raises(DomainError) as not_offered:
        services.commit(w.actor("applicant"), case, kind="commitment", conditions=["别的条件"], signed_how="online")
    assert (not_offered.value.problems[0].field, not_offered.value.problems[0].code) == ("conditions[0]", "not_offered")

    plain = m.world()
    draft = services.create_draft(plain.actor("applicant"), implementation=plain.implementation)
    with pytest.raises(Conflict) as no_row:
        services.commit(
            plain.actor("applicant"), draft, kind="commitment", conditions=[m.CONDITION], signed_how="online"
        )
    assert no_row.value.problems[0].code == "condition_not_met"


def test_at_the_window_the_commitment_is_a_signed_paper_whose_scan_is_kept():
    w = m.credit_world()
    person = _applicant(w)
    case = services.receive(w.actor("clerk"), implementation=w.implementation, person=person, identity_check="读卡核验")
    tolerated = m.material_id(case, m.TOLERATED)
    with pytest.raises(DomainError) as online:
        services.commit(w.actor("clerk"), case, kind="tolerance", materials=[tolerated], signed_how="online")
    assert online.value.problems[0].code == "paper_at_window"
    with pytest.raises(DomainError) as no_scan:
        services.commit(w.actor("clerk"), case, kind="tolerance", materials=[tolerated], signed_how="paper")
    assert (no_scan.value.problems[0].field, no_scan.value.problems[0].code) == ("file", "required")
    commitment = services.commit(
        w.actor("clerk"),
        case,
        kind="tolerance",
        materials=[tolerated],
        signed_how="paper",
        upload=io.BytesIO(m.PDF),
        file_name="容缺受理承诺书.pdf",
    )
    assert commitment.sm3 == m.independent_sm3(m.PDF)
    assert commitment.signer_name == person.name
    last = case.events.order_by("-seq").first()
    assert (last.action, last.payload["materials"], last.payload["signed_how"]) == ("commit", [m.TOLERATED], "paper")


# --- 容缺受理 ---------------------------------------------------------------------------------------


def test_tolerated_material_gets_its_deadline_and_notice_at_acceptance_and_blocks_the_result():
    w = m.credit_world(promised_limit=10)
    case = _accept(w, m.online_with(w, "tolerance"))
    material = case.materials.get(name=m.TOLERATED)
    # Accepted Monday 23 Nov; the promised deadline is the 10th working day (7 Dec); the supply deadline is
    # 2 working days before it (Thursday 3 Dec), sooner than 20 working days.
    assert case.promised_deadline.astimezone(ZONE).date() == date(2026, 12, 7)
    assert material.state == MaterialState.TOLERATED
    assert material.supply_by.astimezone(ZONE).date() == date(2026, 12, 3)
    notice = case.notices.get(kind=NoticeKind.TOLERANCE)
    assert notice.context["deadline"] == "2026-12-03"
    assert [i["name"] for i in notice.context["items"]] == [m.TOLERATED]

    case = _to_approved(w, case)
    with pytest.raises(Conflict) as blocked:
        services.issue(w.actor("clerk"), case)
    assert blocked.value.problems[0].code == "condition_not_met"
    assert "容缺" in blocked.value.problems[0].text.zh

    services.supply(
        w.actor("applicant"), case, material_id=material.pk, upload=io.BytesIO(m.PDF), file_name="盖章页.pdf"
    )
    case.refresh_from_db()
    assert case.commitments.get().state == CommitmentState.KEPT
    assert case.events.filter(action="supply").count() == 1
    services.issue(w.actor("clerk"), case)
    case.refresh_from_db()
    assert case.status == Status.ISSUED


def test_supply_deadline_counts_working_days_over_the_national_day_holiday(clock):
    # Accepted on Monday 28 September 2026: 1-7 October are holidays, 10 October (Saturday) is a make-up day.
    clock.set(datetime(2026, 9, 28, 9, tzinfo=ZONE))
    w = m.credit_world(promised_limit=10)
    case = _accept(w, m.online_with(w, "tolerance"))
    working = [date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    working += [date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14), date(2026, 10, 15), date(2026, 10, 16)]
    assert case.promised_deadline.astimezone(ZONE).date() == working[9]  # 16 October
    assert case.materials.get(name=m.TOLERATED).supply_by.astimezone(ZONE).date() == working[7]  # 14 October


def test_a_promised_limit_too_short_for_the_margin_refuses_tolerance():
    w = m.credit_world(promised_limit=2)
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    with pytest.raises(DomainError) as short:
        services.commit(
            w.actor("applicant"),
            case,
            kind="tolerance",
            materials=[m.material_id(case, m.TOLERATED)],
            signed_how="online",
        )
    assert short.value.problems[0].code == "limit_too_short"


def test_a_missed_supply_deadline_terminates_with_a_notice_and_a_broken_commitment_entry(clock):
    w = m.credit_world()
    case = _accept(w, m.online_with(w, "tolerance"))
    due = case.materials.get(name=m.TOLERATED).supply_by
    clock.set(due - timedelta(minutes=1))
    assert services.lapse_overdue() == 0  # not yet
    clock.set(due + timedelta(minutes=1))
    assert services.lapse_overdue() == 1
    assert services.lapse_overdue() == 0  # once
    case.refresh_from_db()
    assert case.status == Status.TERMINATED
    assert case.commitments.get().state == CommitmentState.BROKEN
    notice = case.notices.get(kind=NoticeKind.LAPSE)
    assert notice.context["deadline"] == "2026-12-03"
    entry = CreditEntry.objects.get(case=case)
    assert (entry.kind, entry.decision, entry.subject_code) == (
        EntryKind.BROKEN_COMMITMENT,
        notice.number,
        _applicant(w).id_number,
    )
    last = case.events.order_by("-seq").first()
    assert (last.action, last.actor, last.status_after) == ("lapse", "system", Status.TERMINATED)
    # The broken promise now bars 容缺 for this applicant, and says why.
    later = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    with pytest.raises(DomainError) as barred:
        services.commit(
            w.actor("applicant"),
            later,
            kind="tolerance",
            materials=[m.material_id(later, m.TOLERATED)],
            signed_how="online",
        )
    assert barred.value.problems[0].code == "not_eligible"


def test_supplying_an_already_supplied_material_is_refused_and_records_once():
    w = m.credit_world()
    case = _accept(w, m.online_with(w, "tolerance"))
    pk = m.material_id(case, m.TOLERATED)
    services.supply(w.actor("clerk"), case, material_id=pk, evidence="original_seen")
    with pytest.raises(Conflict) as again:
        services.supply(w.actor("applicant"), case, material_id=pk, upload=io.BytesIO(m.PDF), file_name="x.pdf")
    assert again.value.problems[0].code in ("not_owed", "condition_not_met")
    assert case.events.filter(action="supply").count() == 1


@pytest.fixture
def committed_world():  # type: ignore[no-untyped-def]
    """A credit world in a test whose transactions commit (threads need that to see each other's rows)."""
    w = m.credit_world()
    yield w
    # The flush after the test does not empty SQLite's full-text table (it is no model's): drop this
    # world's entry, or a later search would count it.
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DELETE FROM catalog_search_fts WHERE rowid = %s", [w.implementation.pk])


@pytest.mark.django_db(transaction=True)
def test_two_clerks_supplying_the_same_material_at_once_record_it_once(committed_world):
    w = committed_world
    case = _accept(w, m.online_with(w, "tolerance"))
    pk = m.material_id(case, m.TOLERATED)
    if connection.vendor == "sqlite":
        # SQLite serialises writers for the whole file, so two threads cannot race here; what remains to
        # show is that two clerks who loaded the same version cannot both record it.
        seen = case.version
        services.supply(w.actor("clerk"), case.pk, material_id=pk, evidence="copy_scanned", version=seen)
        with pytest.raises(Conflict) as stale:
            services.supply(w.actor("clerk"), case.pk, material_id=pk, evidence="copy_scanned", version=seen)
        assert stale.value.problems[0].code == "stale_version"
        assert Case.objects.get(pk=case.pk).events.filter(action="supply").count() == 1
        return
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk() -> None:
        try:
            start.wait()
            services.supply(w.actor("clerk"), case.pk, material_id=pk, evidence="copy_scanned")
            outcomes.append("supplied")
        except Conflict as exc:
            outcomes.append(exc.problems[0].code)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "supplied" and outcomes.count("supplied") == 1
    assert Case.objects.get(pk=case.pk).events.filter(action="supply").count() == 1


# --- 告知承诺 and 事后核查 ----------------------------------------------------------------------------


def test_commitment_replaces_the_proof_and_opens_a_verification_due_in_sixty_days():
    w = m.credit_world()
    case = m.online_with(w, "commitment")
    assert case.materials.get(name=m.REPLACEABLE).state == MaterialState.COMMITTED
    assert case.notices.get(kind=NoticeKind.COMMITMENT).context["conditions"] == [m.CONDITION]
    case = _accept(w, case)
    verification = case.verifications.get()
    assert verification.state == VerificationState.OPEN
    assert verification.due_at.astimezone(ZONE).date() == date(2027, 1, 22)  # 60 days after 23 November


def test_a_true_commitment_is_recorded_as_good_conduct():
    w = m.credit_world()
    case = _to_approved(w, _accept(w, m.online_with(w, "commitment")))
    services.verify(w.actor("reviewer"), case, method="data_sharing", outcome="true", finding="人社部门数据核验一致")
    assert case.commitments.get().state == CommitmentState.KEPT
    assert CreditEntry.objects.get(case=case).kind == EntryKind.GOOD_CONDUCT


def test_a_false_commitment_leads_by_the_heads_decision_to_revocation_a_credit_entry_and_a_notice():
    """SCENARIOS §5: the post-check finds the statement false; the licence is revoked; next time, refused."""
    w = m.credit_world()
    case = _to_approved(w, _accept(w, m.online_with(w, "commitment")))
    services.issue(w.actor("clerk"), case)
    services.deliver(w.actor("clerk"), case, method="online")
    services.verify(w.actor("reviewer"), case, method="on_site", outcome="false", finding="经营场所与申报不符")
    assert not CreditEntry.objects.filter(case=case).exists()  # a finding is not yet a decision
    case.refresh_from_db()
    assert "revoke" not in services.allowed_actions(w.actor("reviewer"), case)
    assert "revoke" in services.allowed_actions(w.actor("head"), case)
    services.revoke(w.actor("head"), case, reasons="承诺不实", basis="《中华人民共和国行政许可法》第六十九条")
    case.refresh_from_db()
    assert (case.status, case.revoked_at is not None) == (Status.REVOKED, True)
    notice = case.notices.get(kind=NoticeKind.REVOCATION)
    assert notice.context["finding"] == "经营场所与申报不符"
    entry = CreditEntry.objects.get(case=case)
    assert (entry.kind, entry.decision) == (EntryKind.FALSE_COMMITMENT, notice.number)
    from tongban.cases.national_export import record

    exported = record(case)
    revoked_at = timezone.localtime(case.revoked_at).isoformat(timespec="seconds")
    assert (exported["acceptance"]["status"], exported["result"]["revoked_at"]) == ("revoked", revoked_at)

    later = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    with pytest.raises(DomainError) as refused:
        services.commit(w.actor("applicant"), later, kind="commitment", conditions=[m.CONDITION], signed_how="online")
    assert refused.value.problems[0].code == "not_eligible"
    assert "虚假承诺" in refused.value.problems[0].text.zh or "承诺" in refused.value.problems[0].text.zh


def test_found_false_before_the_decision_the_denial_records_the_false_commitment():
    w = m.credit_world()
    case = _accept(w, m.online_with(w, "commitment"))
    services.verify(w.actor("reviewer"), case, method="documents", outcome="false", finding="退休手续尚未办理")
    services.review(w.actor("reviewer"), case, opinion="承诺不实")
    services.deny(w.actor("head"), case, reasons="承诺不实，不符合条件", basis="住房公积金管理条例第二十四条")
    assert CreditEntry.objects.get(case=case).kind == EntryKind.FALSE_COMMITMENT


def test_overdue_verifications_are_found_by_due_date(clock):
    w = m.credit_world()
    case = _accept(w, m.online_with(w, "commitment"))
    due = case.verifications.get().due_at
    assert not Verification.objects.filter(state="open", due_at__lt=due - timedelta(days=1)).exists()
    clock.set(due + timedelta(days=1))
    from tongban.cases.services.commitments import overdue_verifications

    assert list(overdue_verifications(Verification.objects.all())) == [case.verifications.get()]
