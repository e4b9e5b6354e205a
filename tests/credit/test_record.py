"""Recording entries: from a case (the node's own), by a supervisor's hand, and repairs."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories as f
from tests.cases import make as m
from tests.credit import make as cm
from tests.identity import make
from tongban.cases import services as case_services
from tongban.core.errors import Conflict, DomainError
from tongban.credit import services
from tongban.credit.models import CreditEntry
from tongban.identity import services as identity_services
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Person

pytestmark = pytest.mark.django_db


def _problem(exc: pytest.ExceptionInfo) -> tuple[str | None, str]:
    problem = exc.value.problems[0]
    return problem.field, problem.code


# --- from a case ------------------------------------------------------------------------------------


def test_record_from_case_names_the_applicant_department_region_and_case():
    w = m.world()
    case = m.accepted(w)
    person = Person.objects.get(user=w.applicant)
    entry = services.record_from_case(case, "false_commitment", decision="信阳撤字〔2026〕3号", note="核查不实")
    assert (entry.subject_type, entry.subject_code, entry.subject_name) == ("person", person.id_number, "李四")
    assert (entry.source, entry.source_name, entry.source_ref) == ("tongban", w.department.name, "")
    assert (entry.region_id, entry.case, entry.decision, entry.note) == (
        "411500",
        case,
        "信阳撤字〔2026〕3号",
        "核查不实",
    )
    assert entry.occurred_on == cm.TODAY and entry.valid_until == date(2029, 11, 22)  # 1095 days
    assert list(case.credit_entries.all()) == [entry]
    # The entry bars the applicant's next commitment.
    assert not services.eligibility_for_case(case, "commitment")


@pytest.mark.parametrize(
    ("kind", "until"),
    [("broken_commitment", date(2027, 11, 23)), ("good_conduct", date(2027, 11, 23)), ("dishonest", None)],
)
def test_record_from_case_uses_the_default_validity_of_its_kind(kind, until):
    case = m.accepted(m.world())
    assert services.record_from_case(case, kind, decision="X").valid_until == until


def test_an_organisations_case_is_recorded_against_the_organisation():
    w = m.world()
    representative = make.person(name="赵六")
    org = identity_services.register_organisation(
        SYSTEM, name="信阳某公司", uscc=f.uscc(category="91"), legal_representative=representative, region_code="411500"
    )
    case = case_services.receive(
        SYSTEM, implementation=w.implementation, organisation=org, agent=representative, identity_check="核验原件"
    )
    entry = services.record_from_case(case, "broken_commitment", decision=case.number)
    assert (entry.subject_type, entry.subject_code, entry.subject_name) == ("organisation", org.uscc, "信阳某公司")
    assert not services.eligibility_for_case(case, "tolerance")
    assert services.eligibility_for_case(case, "commitment")
    # The representative as a person is not touched by the organisation's entry.
    assert services.eligibility(subject_type="person", subject_code=representative.id_number, privilege="tolerance")


def test_record_from_case_refuses_a_repair_and_an_unknown_kind():
    case = m.accepted(m.world())
    for kind in ("repair", "excellent"):
        with pytest.raises(DomainError) as caught:
            services.record_from_case(case, kind, decision="X")
        assert caught.value.problems[0].field == "kind"
    assert not CreditEntry.objects.exists()


# --- by hand ----------------------------------------------------------------------------------------


def test_a_supervisor_records_an_entry_in_their_region():
    account = make.staff("supervisor", "411500")
    code = make.resident_id()
    entry = services.record_entry(
        actor_for_user(account),
        subject_type="person",
        subject_code=code.lower(),
        subject_name=" 王五 ",
        kind="dishonest",
        occurred_on=date(2026, 3, 1),
        decision="豫信〔2026〕9号",
    )
    assert (entry.subject_code, entry.subject_name, entry.source, entry.region_id) == (code, "王五", "manual", "411500")
    assert entry.recorded_by == account and entry.source_name == "河南省信阳市"  # default: the region's name


def test_only_supervisors_record_entries():
    for role in ("window_clerk", "reviewer", "department_head", "node_operator"):
        with pytest.raises(PolicyDenied):
            cm.entry(actor=actor_for_user(make.staff(role)))
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"subject_type": "robot"}, "subject_type", "invalid_choice"),
        ({"subject_code": "411502200001011230"}, "subject_code", "id_checksum"),
        ({"subject_code": "ab"}, "subject_code", "id_format"),
        ({"subject_type": "organisation", "subject_code": "91411500MA12345678"}, "subject_code", "uscc_checksum"),
        ({"subject_name": "  "}, "subject_name", "required"),
        ({"kind": "repair"}, "kind", "use_repair"),
        ({"kind": "saint"}, "kind", "invalid_choice"),
        ({"occurred_on": None}, "occurred_on", "required"),
        ({"occurred_on": date(2026, 11, 24)}, "occurred_on", "in_the_future"),
        ({"valid_until": date(2026, 2, 28)}, "valid_until", "before_start"),
        ({"decision": "号" * 201}, "decision", "too_long"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(change, field, code):
    values = {
        "subject_type": "person",
        "subject_code": make.resident_id(),
        "subject_name": "王五",
        "kind": "dishonest",
        "occurred_on": date(2026, 3, 1),
    }
    values.update(change)
    actor = cm.supervisor()
    with pytest.raises(DomainError) as caught:
        services.record_entry(actor, **values)
    assert _problem(caught) == (field, code)
    assert not CreditEntry.objects.exists()


def test_other_documents_are_accepted_as_letters_and_digits():
    entry = cm.entry(code="e 1234 5678")
    assert entry.subject_code == "E12345678"


def test_entries_are_append_only():
    entry = cm.entry()
    entry.note = "changed"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


# --- repairs ----------------------------------------------------------------------------------------


def test_a_repair_is_a_new_entry_pointing_at_the_repaired_one():
    entry = cm.entry("false_commitment")
    account = make.staff("supervisor", "411500")
    fixed = services.repair(actor_for_user(account), entry, decision="修复决定〔2026〕1号", note="已整改")
    assert (fixed.kind, fixed.repairs, fixed.subject_code, fixed.occurred_on) == (
        "repair",
        entry,
        entry.subject_code,
        cm.TODAY,
    )
    assert fixed.region_id == entry.region_id and fixed.recorded_by == account
    assert CreditEntry.objects.get(pk=entry.pk).kind == "false_commitment"  # the entry itself is unchanged
    assert not entry.in_force(cm.TODAY) and entry.in_force(date(2026, 11, 22))


def test_an_entry_is_repaired_once_and_a_repair_never():
    entry = cm.entry("dishonest")
    actor = cm.supervisor()
    fixed = services.repair(actor, entry, decision="D1")
    with pytest.raises(Conflict) as again:
        services.repair(actor, entry, decision="D2")
    assert _problem(again) == ("entry", "already_repaired") and again.value.status == 409
    with pytest.raises(Conflict) as of_repair:
        services.repair(actor, fixed, decision="D3")
    assert _problem(of_repair) == ("entry", "not_repairable")
    assert CreditEntry.objects.count() == 2


def test_good_conduct_is_not_repaired_and_a_repair_needs_a_decision():
    actor = cm.supervisor()
    with pytest.raises(DomainError) as good:
        services.repair(actor, cm.entry("good_conduct"), decision="D")
    assert _problem(good) == ("entry", "not_repairable") and good.value.status == 400
    with pytest.raises(DomainError) as bare:
        services.repair(actor, cm.entry("dishonest"), decision=" ")
    assert _problem(bare) == ("decision", "required")
    with pytest.raises(DomainError) as early:
        services.repair(actor, cm.entry("dishonest"), decision="D", occurred_on=date(2026, 2, 1))
    assert _problem(early) == ("occurred_on", "before_entry")
    assert CreditEntry.objects.filter(kind="repair").count() == 0


def test_repairs_are_for_supervisors_in_scope():
    entry = cm.entry("dishonest")
    with pytest.raises(PolicyDenied):
        services.repair(actor_for_user(make.staff("window_clerk")), entry, decision="D")
    with pytest.raises(PolicyDenied) as outside:
        services.repair(cm.supervisor("320500"), entry, decision="D")
    assert outside.value.problems[0].code == "out_of_scope"
    province = actor_for_user(make.staff("supervisor", "410000", descendants=True))
    assert services.repair(province, entry, decision="D").repairs == entry
