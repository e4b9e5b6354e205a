"""Identity commands: bad input names the field in both languages and writes nothing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests import factories as f
from tests.identity import make
from tongban.core.errors import Conflict, DomainError
from tongban.identity import services
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.identity.models import Authorisation, Organisation, Person, PersonalDataAccess, StaffAssignment

pytestmark = pytest.mark.django_db


def refused(call, field, code, exc=DomainError):  # type: ignore[no-untyped-def]
    with pytest.raises(exc) as caught:
        call()
    problem = caught.value.problems[0]
    assert (problem.field, problem.code) == (field, code)
    assert problem.text.zh and problem.text.en and problem.text.zh != problem.text.en
    return caught.value


def clerk_actor(region="411500"):  # type: ignore[no-untyped-def]
    return actor_for_user(make.staff("window_clerk", region))


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": " "}, "name", "required"),
        ({"id_type": "licence"}, "id_type", "id_type_unknown"),
        ({"id_number": "411502200001011233"}, "id_number", "id_checksum"),
        ({"id_number": "41150220000101"}, "id_number", "id_length"),
        ({"nationality": "USA"}, "nationality", "nationality_mismatch"),
        ({"nationality": "U1"}, "nationality", "nationality_format"),
        ({"phone": "call me"}, "phone", "phone_format"),
        ({"region_code": "419999"}, "region", "unknown_region"),
    ],
)
def test_register_person_names_the_bad_field(changes, field, code):
    actor = clerk_actor()
    data = {"name": "张三", "id_type": "resident_id", "id_number": make.resident_id(), "phone": "13812345678"}
    refused(lambda: services.register_person(actor, **(data | changes)), field, code)
    assert not Person.objects.exists()


def test_register_person_in_the_clerks_region_and_records_the_role():
    account = make.staff("window_clerk", "411500")
    actor = actor_for_user(account)
    person = services.register_person(actor, name="张三", id_type="resident_id", id_number=make.resident_id(seq=5))
    assert person.region_id == "411500"
    assert person.registered_by == account and person.registered_as == actor.assignment


def test_the_same_document_twice_conflicts():
    actor = clerk_actor()
    number = make.resident_id()
    services.register_person(actor, name="张三", id_type="resident_id", id_number=number)
    refused(
        lambda: services.register_person(actor, name="张三", id_type="resident_id", id_number=number.lower()),
        "id_number",
        "duplicate",
        Conflict,
    )
    assert Person.objects.count() == 1


def test_applicants_register_only_themselves():
    account = make.user()
    actor = actor_for_user(account)
    number = make.resident_id()
    with pytest.raises(PolicyDenied):
        services.register_person(actor, name="王五", id_type="resident_id", id_number=number, region_code="411500")
    assert not Person.objects.exists()
    mine = services.register_person(
        actor, name="王五", id_type="resident_id", id_number=number, region_code="411500", user=account
    )
    assert mine.user == account


def test_register_organisation_checks_the_code_and_the_representative():
    actor = clerk_actor()
    rep = make.person()
    refused(
        lambda: services.register_organisation(
            actor, name="信阳某公司", uscc="91411500MA0000000X", legal_representative=rep
        ),
        "uscc",
        "uscc_checksum",
    )
    refused(
        lambda: services.register_organisation(actor, name="信阳某公司", uscc=f.uscc(), legal_representative=999999),
        "legal_representative",
        "unknown_person",
    )
    assert not Organisation.objects.exists()
    org = services.register_organisation(actor, name="信阳某公司", uscc=f.uscc(), legal_representative=rep.pk)
    assert org.region_id == "411500" and org.legal_representative == rep


def _auth_kwargs(**changes):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    data = {
        "principal_person": make.person(name="委托人"),
        "agent": make.person(name="受托人"),
        "scope": "代为办理住房公积金提取",
        "valid_from": today,
        "valid_to": today + timedelta(days=30),
        "evidence": "in_person",
        "id_check_note": "核验居民身份证原件",
    }
    return data | changes


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"principal_person": None}, "principal", "one_principal"),
        ({"agent": None}, "agent", "unknown_person"),
        ({"scope": ""}, "scope", "required"),
        ({"valid_to": None}, "valid_to", "required"),
        ({"evidence": "phone_call"}, "evidence", "invalid_choice"),
        ({"id_check_note": " "}, "id_check_note", "required"),
        ({"evidence": "signed_form"}, "evidence_file", "required"),
        (
            {"evidence": "signed_form", "evidence_file": SimpleUploadedFile("form.exe", b"MZ")},
            "evidence_file",
            "file_type",
        ),
    ],
)
def test_record_authorisation_names_the_bad_field(changes, field, code):
    actor = clerk_actor()
    kwargs = _auth_kwargs(**changes)
    refused(lambda: services.record_authorisation(actor, **kwargs), field, code)
    assert not Authorisation.objects.exists()


def test_authorisation_dates_and_parties():
    actor = clerk_actor()
    today = timezone.localdate()
    kwargs = _auth_kwargs(valid_from=today, valid_to=today - timedelta(days=1))
    refused(lambda: services.record_authorisation(actor, **kwargs), "valid_to", "before_start")
    kwargs = _auth_kwargs(valid_from=today - timedelta(days=9), valid_to=today - timedelta(days=1))
    refused(lambda: services.record_authorisation(actor, **kwargs), "valid_to", "in_the_past")
    same = make.person()
    kwargs = _auth_kwargs(principal_person=same, agent=same)
    refused(lambda: services.record_authorisation(actor, **kwargs), "agent", "agent_is_principal")
    assert not Authorisation.objects.exists()


def test_signed_form_is_stored_and_revocation_needs_a_reason(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}
    }
    actor = clerk_actor()
    form = SimpleUploadedFile("委托书.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    auth = services.record_authorisation(actor, **_auth_kwargs(evidence="signed_form", evidence_file=form))
    assert auth.evidence_file.read() == b"%PDF-1.4 signed"
    refused(lambda: services.revoke_authorisation(actor, auth, reason=""), "reason", "required")
    services.revoke_authorisation(actor, auth, reason="委托人撤回")
    auth.refresh_from_db()
    assert auth.revoked_at is not None and not auth.in_force(timezone.localdate())
    refused(
        lambda: services.revoke_authorisation(actor, auth, reason="again"), "revoked_at", "already_revoked", Conflict
    )


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"user": "nobody"}, "user", "unknown_user"),
        ({"role": "king"}, "role", "invalid_choice"),
        ({"region_code": "41150"}, "region", "region_format"),
        ({"region_code": "419999"}, "region", "unknown_region"),
        ({"department": 999999}, "department", "unknown_department"),
    ],
)
def test_assign_role_names_the_bad_field(changes, field, code):
    operator = actor_for_user(make.staff("node_operator", "411500", descendants=True))
    target = make.user("target")
    data = {"user": target, "role": "window_clerk", "region_code": "411500"}
    refused(lambda: services.assign_role(operator, **(data | changes)), field, code)
    assert not StaffAssignment.objects.filter(user=target).exists()


def test_a_department_must_lie_inside_the_assignments_region():
    operator = actor_for_user(make.staff("node_operator", "411500", descendants=True))
    target = make.user("target")
    county_dept = f.department("411502")
    refused(
        lambda: services.assign_role(
            operator, user=target, role="reviewer", region_code="411500", department=county_dept.pk
        ),
        "department",
        "department_outside_region",
    )
    assignment = services.assign_role(
        operator,
        user=target,
        role="reviewer",
        region_code="411500",
        department=county_dept.pk,
        include_descendants=True,
    )
    assert assignment.department == county_dept
    refused(
        lambda: services.assign_role(
            operator,
            user=target,
            role="reviewer",
            region_code="411500",
            department=county_dept,
            include_descendants=True,
        ),
        "role",
        "duplicate",
        Conflict,
    )


def test_nobody_gives_themself_a_role_and_ending_is_final():
    account = make.staff("node_operator", "411500")
    operator = actor_for_user(account)
    refused(
        lambda: services.assign_role(operator, user=account, role="supervisor", region_code="411500"),
        "user",
        "self_assignment",
    )
    clerk = make.staff("window_clerk", "411500")
    assignment = make.assignment_of(clerk)
    services.end_assignment(operator, assignment)
    assignment.refresh_from_db()
    assert not assignment.active and assignment.ended_by == account
    refused(lambda: services.end_assignment(operator, assignment), "active", "already_ended", Conflict)


def test_the_access_log_needs_a_reason_and_is_append_only():
    reviewer = actor_for_user(make.staff("reviewer", "411500"))
    person = make.person()
    refused(
        lambda: services.log_personal_data_access(reviewer, record=person, fields=["id_number"], reason=" "),
        "reason",
        "required",
    )
    refused(
        lambda: services.log_personal_data_access(reviewer, record=person, fields=[], reason="核对"),
        "fields",
        "required",
    )
    assert not PersonalDataAccess.objects.exists()
    entry = services.log_personal_data_access(reviewer, record=person, fields=["id_number"], reason="核对身份")
    assert entry.person == person and entry.assignment == reviewer.assignment and entry.region_id == "411500"
    entry.reason = "changed"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    assert services.log_personal_data_access(SYSTEM, record=person, fields=["x"], reason="y") is None
