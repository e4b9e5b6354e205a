"""The identity API: masked by default, full data only when allowed and logged, scoped lists."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests import factories as f
from tests.identity import make
from tongban.identity.models import Authorisation, Person, PersonalDataAccess, StaffAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):  # type: ignore[no-untyped-def]
    def login(account):  # type: ignore[no-untyped-def]
        client.force_login(account)
        return client

    return login


def test_person_lists_and_details_are_masked(as_user):
    person = make.person(id_number=make.resident_id(seq=7))
    api = as_user(make.staff("window_clerk"))
    listed = api.get("/api/v1/persons/").json()["results"]
    assert [p["id_number"] for p in listed] == [person.id_number[:4] + "*" * 10 + person.id_number[-4:]]
    assert listed[0]["phone"] == "138****5678" and listed[0]["masked"] is True
    detail = api.get(f"/api/v1/persons/{person.pk}/").json()
    assert "*" in detail["id_number"]


def test_viewing_full_data_needs_a_reason_and_writes_an_access_entry(as_user):
    person = make.person()
    clerk = make.staff("window_clerk")
    api = as_user(clerk)
    before = PersonalDataAccess.objects.count()
    no_reason = api.get(f"/api/v1/persons/{person.pk}/", {"full": "1"})
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"
    assert PersonalDataAccess.objects.count() == before
    full = api.get(f"/api/v1/persons/{person.pk}/", {"full": "1", "reason": "受理公积金提取，核对身份"})
    assert full.status_code == 200
    assert full.json()["id_number"] == person.id_number and full.json()["masked"] is False
    entry = PersonalDataAccess.objects.filter(fields=["id_number", "phone"]).get()
    assert (entry.user, entry.person, entry.reason) == (clerk, person, "受理公积金提取，核对身份")
    assert entry.assignment == make.assignment_of(clerk) and entry.record_type == "identity.person"


def test_roles_without_the_need_never_see_full_data(as_user):
    person = make.person()
    for account in (make.staff("hotline_operator"), make.staff("supervisor")):
        response = as_user(account).get(f"/api/v1/persons/{person.pk}/", {"full": "1", "reason": "好奇"})
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "role_required"
    assert not PersonalDataAccess.objects.filter(fields=["id_number", "phone"]).exists()


def test_masked_look_ups_of_someone_else_are_logged_but_not_ones_own(as_user):
    applicant = make.applicant()
    own = Person.objects.get(user=applicant)
    api = as_user(applicant)
    assert api.get(f"/api/v1/persons/{own.pk}/").status_code == 200
    assert api.get("/api/v1/persons/me/", {"full": "1"}).json()["id_number"] == own.id_number
    assert not PersonalDataAccess.objects.exists()
    other = make.person()
    assert api.get(f"/api/v1/persons/{other.pk}/").status_code == 403
    reviewer = as_user(make.staff("reviewer"))
    assert reviewer.get(f"/api/v1/persons/{other.pk}/").status_code == 200
    assert PersonalDataAccess.objects.get().person == other


def test_applicants_see_only_themselves(as_user):
    make.person()
    applicant = make.applicant()
    listed = as_user(applicant).get("/api/v1/persons/").json()["results"]
    assert [p["name"] for p in listed] == ["李四"]


def test_a_clerk_registers_a_person_and_bad_input_names_the_field(as_user):
    api = as_user(make.staff("window_clerk"))
    bad = api.post(
        "/api/v1/persons/",
        {"name": "赵六", "id_type": "resident_id", "id_number": "411502200001011233"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    error = bad.json()["errors"][0]
    assert (error["field"], error["code"]) == ("id_number", "id_checksum")
    assert error["message"] == error["message_en"] and "check character" in error["message_en"]
    assert not Person.objects.exists()
    good = api.post(
        "/api/v1/persons/",
        {"name": "赵六", "id_type": "resident_id", "id_number": make.resident_id(seq=9), "phone": "13900001111"},
        content_type="application/json",
    )
    assert good.status_code == 201 and good.json()["region"] == "411500"
    assert good.json()["phone"] == "139****1111"


def test_an_applicant_registers_themself(as_user):
    account = make.user()
    api = as_user(account)
    data = {"name": "钱七", "id_type": "resident_id", "id_number": make.resident_id(), "region": "411500"}
    assert api.post("/api/v1/persons/", data, content_type="application/json").status_code == 403
    created = api.post("/api/v1/persons/", data | {"myself": True}, content_type="application/json")
    assert created.status_code == 201 and Person.objects.get().user == account
    changed = api.patch(
        f"/api/v1/persons/{created.json()['id']}/", {"phone": "13700001111"}, content_type="application/json"
    )
    assert changed.status_code == 200 and Person.objects.get().phone == "13700001111"


def test_organisations_and_authorisations_through_the_api(as_user, settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}
    }
    api = as_user(make.staff("window_clerk"))
    rep, agent = make.person(name="法人代表"), make.person(name="经办人")
    org = api.post(
        "/api/v1/organisations/",
        {"name": "信阳茶业有限公司", "uscc": f.uscc(category="91"), "legal_representative": rep.pk},
        content_type="application/json",
    )
    assert org.status_code == 201, org.json()
    assert org.json()["legal_representative"]["id_number"].count("*") == 10
    today = timezone.localdate()
    signed = api.post(
        "/api/v1/authorisations/",
        {
            "principal_organisation": org.json()["id"],
            "agent": agent.pk,
            "scope": "代办食品经营许可",
            "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=90)).isoformat(),
            "evidence": "signed_form",
            "evidence_file": SimpleUploadedFile("form.pdf", b"%PDF-1.4", content_type="application/pdf"),
        },
    )
    assert signed.status_code == 201, signed.json()
    assert signed.json()["has_evidence_file"] and signed.json()["in_force"]
    bad_date = api.post(
        "/api/v1/authorisations/",
        {"principal_person": rep.pk, "agent": agent.pk, "valid_from": "2025-13-01"},
        content_type="application/json",
    )
    assert bad_date.status_code == 400 and bad_date.json()["errors"][0]["field"] == "valid_from"
    revoked = api.post(f"/api/v1/authorisations/{signed.json()['id']}/revoke/", {"reason": "到期前撤回"})
    assert revoked.status_code == 200 and revoked.json()["in_force"] is False
    assert Authorisation.objects.get().revoke_reason == "到期前撤回"


def test_the_agent_sees_the_authorisation_and_the_organisation_but_cannot_revoke(as_user):
    clerk = as_user(make.staff("window_clerk"))
    agent_account = make.applicant()
    agent = Person.objects.get(user=agent_account)
    principal_account = make.user()
    principal = make.person(account=principal_account, name="委托人")
    today = timezone.localdate()
    created = clerk.post(
        "/api/v1/authorisations/",
        {
            "principal_person": principal.pk,
            "agent": agent.pk,
            "scope": "代办",
            "valid_from": today.isoformat(),
            "valid_to": today.isoformat(),
            "evidence": "in_person",
            "id_check_note": "核验身份证原件",
        },
        content_type="application/json",
    ).json()
    api = as_user(agent_account)
    assert [a["id"] for a in api.get("/api/v1/authorisations/").json()["results"]] == [created["id"]]
    refused = api.post(f"/api/v1/authorisations/{created['id']}/revoke/", {"reason": "x"})
    assert refused.status_code == 403
    api = as_user(principal_account)
    assert api.post(f"/api/v1/authorisations/{created['id']}/revoke/", {"reason": "不再委托"}).status_code == 200


def test_assignments_mine_and_node_operators_manage(as_user):
    clerk = make.staff("window_clerk")
    api = as_user(clerk)
    mine = api.get("/api/v1/assignments/mine/").json()
    assert [(a["role"], a["region"], a["current"]) for a in mine] == [("window_clerk", "411500", True)]
    assert (
        api.post("/api/v1/assignments/", {"user": clerk.username, "role": "supervisor", "region": "411500"}).status_code
        == 403
    )
    operator = as_user(make.staff("node_operator", "411500", descendants=True))
    created = operator.post(
        "/api/v1/assignments/",
        {"user": clerk.username, "role": "reviewer", "region": "411502"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    outside = operator.post(
        "/api/v1/assignments/",
        {"user": clerk.username, "role": "reviewer", "region": "320500"},
        content_type="application/json",
    )
    assert outside.status_code == 403 and outside.json()["errors"][0]["code"] == "out_of_scope"
    ended = operator.post(f"/api/v1/assignments/{created.json()['id']}/end/")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert StaffAssignment.objects.filter(user=clerk, active=True).count() == 1


def test_supervisors_query_the_access_log_by_person_user_and_dates(as_user):
    person, other = make.person(), make.person()
    reviewer = make.staff("reviewer")
    api = as_user(reviewer)
    api.get(f"/api/v1/persons/{person.pk}/", {"full": "1", "reason": "审查"})
    api.get(f"/api/v1/persons/{other.pk}/")
    supervisor = as_user(make.staff("supervisor", "410000"))
    today = timezone.localdate().isoformat()
    rows = supervisor.get("/api/v1/personal-data-accesses/", {"person": person.pk, "from": today, "to": today})
    assert rows.status_code == 200
    [row] = rows.json()["results"]
    assert (row["user"], row["role"], row["reason"], row["person"]) == (
        reviewer.username,
        "reviewer",
        "审查",
        person.pk,
    )
    assert row["person_name"] == "张*"
    assert supervisor.get("/api/v1/personal-data-accesses/", {"user": reviewer.username}).json()["count"] == 2
    assert (
        supervisor.get("/api/v1/personal-data-accesses/", {"from": "2000-01-01", "to": "2000-01-02"}).json()["count"]
        == 0
    )
    bad = supervisor.get("/api/v1/personal-data-accesses/", {"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "from"
    elsewhere = as_user(make.staff("supervisor", "320000"))
    assert elsewhere.get("/api/v1/personal-data-accesses/").json()["count"] == 0
    clerk = as_user(make.staff("window_clerk")).get("/api/v1/personal-data-accesses/")
    assert clerk.status_code == 200 and clerk.json()["count"] == 0  # only entries about oneself


def test_a_person_sees_who_looked_at_their_data(as_user):
    applicant = make.applicant()
    own = Person.objects.get(user=applicant)
    as_user(make.staff("reviewer")).get(f"/api/v1/persons/{own.pk}/", {"full": "1", "reason": "审查"})
    rows = as_user(applicant).get("/api/v1/personal-data-accesses/").json()["results"]
    assert [r["reason"] for r in rows] == ["审查"]
