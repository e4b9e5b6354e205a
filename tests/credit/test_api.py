"""The credit API as its clients use it: scoped and masked lists, logged look-ups, recording, repairs,
imports, eligibility, and errors in the API's one shape."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests import factories as f
from tests.cases.conftest import ZONE
from tests.credit import make as cm
from tests.identity import make
from tongban.credit.models import CreditEntry, CreditImport
from tongban.identity import services as identity_services
from tongban.identity.actor import SYSTEM
from tongban.identity.models import Person, PersonalDataAccess

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/credit-entries/"
ELIGIBILITY = "/api/v1/credit-eligibility/"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def codes(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [e["id"] for e in response.json()["results"]]


def test_an_applicant_sees_only_their_own_entries_and_their_organisations():
    applicant = make.applicant()
    me = Person.objects.get(user=applicant)
    org = identity_services.register_organisation(
        SYSTEM, name="李四的公司", uscc=f.uscc(category="91"), legal_representative=me, region_code="411500"
    )
    mine = cm.entry("broken_commitment", me.id_number)
    ours = cm.entry("dishonest", org.uscc, subject_type="organisation", name=org.name)
    cm.entry("dishonest")  # someone else's
    api = client_for(applicant)
    assert sorted(codes(api.get(ENTRIES))) == sorted([mine.pk, ours.pk])
    # Looking up one's own code needs no reason and is not logged.
    assert codes(api.get(ENTRIES, {"subject_code": me.id_number})) == [mine.pk]
    assert not PersonalDataAccess.objects.exists()
    other = CreditEntry.objects.exclude(pk__in=[mine.pk, ours.pk]).get()
    assert api.get(f"{ENTRIES}{other.pk}/").status_code == 404


def test_staff_see_the_entries_of_their_region_only():
    entry = cm.entry("dishonest")  # recorded in 411500
    assert codes(client_for(make.staff("window_clerk", "411500")).get(ENTRIES)) == [entry.pk]
    elsewhere = client_for(make.staff("window_clerk", "320500"))
    assert codes(elsewhere.get(ENTRIES)) == []
    assert elsewhere.get(f"{ENTRIES}{entry.pk}/").status_code == 404
    # A supervisor of the province reads everything below it.
    assert codes(client_for(make.staff("supervisor", "410000")).get(ENTRIES)) == [entry.pk]


def test_lists_mask_persons_document_numbers_but_not_credit_codes():
    code, uscc = make.resident_id(), f.uscc(category="91")
    cm.entry("dishonest", code)
    cm.entry("dishonest", uscc, subject_type="organisation", name="某公司")
    listed = client_for(make.staff("reviewer")).get(ENTRIES).json()["results"]
    shown = {e["subject_type"]: e["subject_code"] for e in listed}
    assert shown == {"person": code[:4] + "*" * 10 + code[-4:], "organisation": uscc}
    assert code not in str(listed)


def test_entries_say_whether_they_are_in_force_and_repaired():
    live = cm.entry("dishonest")
    expired = cm.entry("dishonest", occurred_on=date(2026, 1, 1), valid_until=date(2026, 11, 22))
    repaired = cm.entry("false_commitment")
    supervisor = make.staff("supervisor")
    api = client_for(supervisor)
    fix = api.post(f"{ENTRIES}{repaired.pk}/repair/", {"decision": "修复〔2026〕5号"}, format="json")
    assert fix.status_code == 201, fix.content
    by_id = {e["id"]: e for e in api.get(ENTRIES).json()["results"]}
    assert (by_id[live.pk]["in_force"], by_id[live.pk]["repaired"]) == (True, False)
    assert (by_id[expired.pk]["in_force"], by_id[expired.pk]["repaired"]) == (False, False)
    assert (by_id[repaired.pk]["in_force"], by_id[repaired.pk]["repaired"]) == (False, True)
    assert by_id[repaired.pk]["repaired_by"] == fix.json()["id"] and fix.json()["repairs"] == repaired.pk
    in_force = codes(api.get(ENTRIES, {"in_force": "true", "kind": "dishonest"}))
    assert in_force == [live.pk]


def test_looking_someone_up_by_code_needs_a_reason_and_is_logged():
    person = make.person(name="王五")
    entry = cm.entry("dishonest", person.id_number)
    clerk = make.staff("window_clerk")
    api = client_for(clerk)
    bare = api.get(ENTRIES, {"subject_code": person.id_number})
    assert bare.status_code == 400 and bare.json()["errors"][0]["field"] == "reason"
    assert not PersonalDataAccess.objects.exists()
    found = api.get(ENTRIES, {"subject_code": person.id_number, "reason": "受理前核查信用"})
    assert codes(found) == [entry.pk]
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.record_type, access.record_id) == (clerk, "credit.creditentry", str(entry.pk))
    assert (access.person, access.reason) == (person, "受理前核查信用")
    assert access.assignment == make.assignment_of(clerk)


def test_organisations_are_looked_up_without_a_reason_and_not_logged():
    uscc = f.uscc(category="91")
    entry = cm.entry("dishonest", uscc, subject_type="organisation", name="某公司")
    api = client_for(make.staff("window_clerk"))
    assert codes(api.get(ENTRIES, {"subject_type": "organisation", "subject_code": uscc})) == [entry.pk]
    assert not PersonalDataAccess.objects.exists()


def test_opening_someone_elses_entry_is_logged():
    entry = cm.entry("dishonest")
    reviewer = make.staff("reviewer")
    detail = client_for(reviewer).get(f"{ENTRIES}{entry.pk}/")
    assert detail.status_code == 200 and "*" in detail.json()["subject_code"]
    assert PersonalDataAccess.objects.get().user == reviewer


def test_bad_filters_are_named():
    api = client_for(make.staff("reviewer"))
    for params, field in (
        ({"kind": "awful"}, "kind"),
        ({"subject_type": "x"}, "subject_type"),
        ({"in_force": "2"}, "in_force"),
    ):
        response = api.get(ENTRIES, params)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_a_supervisor_records_an_entry_and_a_clerk_may_not():
    body = {
        "subject_type": "person",
        "subject_code": make.resident_id(),
        "subject_name": "王五",
        "kind": "dishonest",
        "occurred_on": "2026-03-01",
        "decision": "豫信〔2026〕9号",
    }
    clerk = client_for(make.staff("window_clerk")).post(ENTRIES, body, format="json")
    assert clerk.status_code == 403 and clerk.json()["errors"][0]["code"] == "role_required"
    assert not CreditEntry.objects.exists()
    created = client_for(make.staff("supervisor")).post(ENTRIES, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["kind"], data["source"], data["region"], data["in_force"]) == ("dishonest", "manual", "411500", True)
    assert "*" in data["subject_code"]


def test_recording_errors_come_in_both_languages_naming_the_field():
    body = {"subject_type": "person", "subject_code": "411502200001011230", "subject_name": "王五", "kind": "dishonest"}
    response = client_for(make.staff("supervisor")).post(ENTRIES, {**body, "occurred_on": "2026-03-01"}, format="json")
    error = response.json()["errors"][0]
    assert response.status_code == 400 and error["field"] == "subject_code"
    assert error["message_zh"] and error["message_en"] and error["message_zh"] != error["message_en"]
    bad_date = client_for(make.staff("supervisor")).post(ENTRIES, {**body, "occurred_on": "2026-13-01"}, format="json")
    assert bad_date.json()["errors"][0]["field"] == "occurred_on"


def test_repairs_by_a_supervisor_not_by_a_clerk():
    entry = cm.entry("dishonest")
    clerk = client_for(make.staff("window_clerk")).post(
        f"{ENTRIES}{entry.pk}/repair/", {"decision": "D"}, format="json"
    )
    assert clerk.status_code == 403
    api = client_for(make.staff("supervisor"))
    assert api.post(f"{ENTRIES}{entry.pk}/repair/", {}, format="json").json()["errors"][0]["field"] == "decision"
    assert api.post(f"{ENTRIES}{entry.pk}/repair/", {"decision": "D"}, format="json").status_code == 201
    again = api.post(f"{ENTRIES}{entry.pk}/repair/", {"decision": "D"}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_repaired"


def _upload(data: bytes, name: str = "list.csv") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "source_name": "信用中国（河南）"}


def test_a_node_operator_imports_a_list_and_a_clerk_may_not():
    code = make.resident_id()
    data = cm.csv_bytes(f"person,{code},王五,dishonest,2026-03-01,,,,R-1,", bom=True)
    refused = client_for(make.staff("window_clerk")).post(f"{ENTRIES}import/", _upload(data), format="multipart")
    assert refused.status_code == 403
    api = client_for(make.staff("node_operator"))
    first = api.post(f"{ENTRIES}import/", _upload(data), format="multipart")
    assert first.status_code == 201, first.content
    assert (first.json()["rows"], first.json()["skipped"], first.json()["format"]) == (1, 0, "csv")
    second = api.post(f"{ENTRIES}import/", _upload(data), format="multipart")
    assert (second.json()["rows"], second.json()["skipped"]) == (0, 1)
    assert CreditImport.objects.count() == 2 and CreditEntry.objects.count() == 1


def test_a_refused_import_lists_every_problem():
    data = cm.csv_bytes("robot,1,王五,dishonest,2026-03-01,,,,R-1,", "person,x,,dishonest,2026-03-01,,,,R-2,")
    response = client_for(make.staff("supervisor")).post(f"{ENTRIES}import/", _upload(data), format="multipart")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [
        "rows[2].subject_type",
        "rows[3].subject_code",
        "rows[3].subject_name",
    ]
    missing = client_for(make.staff("supervisor")).post(f"{ENTRIES}import/", {"source_name": "x"}, format="multipart")
    assert missing.json()["errors"][0]["field"] == "file"


def test_staff_check_eligibility_and_barring_entries_of_persons_are_logged():
    person = make.person(name="王五")
    entry = cm.entry("dishonest", person.id_number, source_name="信用中国（河南）")
    api = client_for(make.staff("window_clerk"))
    query = {"subject_type": "person", "subject_code": person.id_number}
    barred = api.get(ELIGIBILITY, {**query, "privilege": "commitment"})
    assert barred.status_code == 200
    assert barred.json() == {
        "allowed": False,
        "reason_zh": "自2026-03-01起列入失信名单（来源：信用中国（河南）），信用修复前不能适用告知承诺",
        "reason_en": "on the dishonest list since 2026-03-01 (source: 信用中国（河南）) until repaired: "
        "commitment (告知承诺) is not available",
        "blocking": [entry.pk],
    }
    assert PersonalDataAccess.objects.get().person == person
    clean = api.get(ELIGIBILITY, {**query, "subject_code": make.resident_id(), "privilege": "tolerance"})
    assert clean.json() == {"allowed": True, "reason_zh": None, "reason_en": None, "blocking": []}


def test_eligibility_checks_its_input():
    api = client_for(make.staff("window_clerk"))
    cases = [
        ({"subject_type": "person", "subject_code": make.resident_id()}, "privilege"),
        ({"subject_type": "person", "subject_code": "411502200001011230", "privilege": "commitment"}, "subject_code"),
        ({"subject_type": "alien", "subject_code": "X", "privilege": "commitment"}, "subject_type"),
    ]
    for params, field in cases:
        response = api.get(ELIGIBILITY, params)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_applicants_check_only_themselves():
    applicant = make.applicant()
    me = Person.objects.get(user=applicant)
    api = client_for(applicant)
    own = api.get(ELIGIBILITY, {"subject_type": "person", "subject_code": me.id_number, "privilege": "commitment"})
    assert own.status_code == 200 and own.json()["allowed"] is True
    other = api.get(
        ELIGIBILITY, {"subject_type": "person", "subject_code": make.resident_id(), "privilege": "commitment"}
    )
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "subject_code"
    # A login without a registered person has no own codes at all.
    stranger = client_for(make.user()).get(
        ELIGIBILITY, {"subject_type": "person", "subject_code": me.id_number, "privilege": "commitment"}
    )
    assert stranger.status_code == 403


def test_anonymous_callers_are_refused():
    assert APIClient().get(ENTRIES).status_code in (401, 403)
    assert APIClient().get(ELIGIBILITY).status_code in (401, 403)


def test_the_schema_describes_every_credit_field(client):
    import json

    data = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    paths = [p for p in data["paths"] if "credit" in p]
    assert sorted(paths) == [
        "/api/v1/credit-eligibility/",
        "/api/v1/credit-entries/",
        "/api/v1/credit-entries/import/",
        "/api/v1/credit-entries/{id}/",
        "/api/v1/credit-entries/{id}/repair/",
    ]
    ours = {
        "CreditEntry",
        "CreditEntryWriteRequest",
        "RepairRequest",
        "ImportUploadRequest",
        "CreditImport",
        "Eligibility",
    }
    missing = [
        f"{name}.{prop}"
        for name in ours
        for prop, spec in data["components"]["schemas"][name]["properties"].items()
        if not spec.get("description")
    ]
    assert missing == []


def test_in_force_follows_the_days(clock):
    entry = cm.entry("dishonest", valid_until=cm.TODAY + timedelta(days=1))
    reviewer = make.staff("reviewer")
    assert codes(client_for(reviewer).get(ENTRIES, {"in_force": "1"})) == [entry.pk]
    clock.set(datetime(2026, 11, 24, 23, 59, tzinfo=ZONE))  # its last day
    assert codes(client_for(reviewer).get(ENTRIES, {"in_force": "1"})) == [entry.pk]
    clock.set(datetime(2026, 11, 25, 0, 1, tzinfo=ZONE))
    assert codes(client_for(reviewer).get(ENTRIES, {"in_force": "1"})) == []
    assert client_for(reviewer).get(f"{ENTRIES}{entry.pk}/").json()["in_force"] is False
