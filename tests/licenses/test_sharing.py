"""免提交: a holder's licence found with consent and used for a case's material, verified before it counts."""

from __future__ import annotations

import copy

import pytest

from tests.cases import make
from tests.licenses import factories as lf
from tongban.cases import services as cases
from tongban.cases.choices import MaterialEvidence, MaterialState
from tongban.core.errors import DomainError
from tongban.licenses import services, sharing
from tongban.licenses.models import LicenseLookup

CONSENT = "申请人本人到场，签字同意调用其电子证照"


@pytest.fixture
def shared(db, federation, tmp_path, monkeypatch):
    """A case whose first material accepts a licence type; the applicant holds such a licence."""
    lf.isolated_keys(monkeypatch, tmp_path / "var")
    federation.accept()
    license_type = lf.license_type()
    w = make.world(
        materials=[
            {"name": "职业资格证书", "form": "original", "paper_copies": 1, "license_types": [license_type.code]},
            {"name": "居民身份证", "form": "original", "paper_copies": 1},
        ]
    )
    department = lf.issuing_department(name="信阳市人社局证照科")
    seal = lf.seal(department)
    lf.publish(federation, seal)
    person = w.actor("applicant").person
    lic = lf.license(
        license_type,
        department,
        holder=lf.person_holder(person.name, person.id_number),
        data=lf.certificate_data(person.name, person.id_number),
    )
    case = cases.create_draft(w.actor("applicant"), implementation=w.implementation)
    return w, case, lic, license_type


def material(case, name="职业资格证书"):  # type: ignore[no-untyped-def]
    return case.materials.get(name=name)


def test_a_lookup_needs_consent_and_a_valid_code_and_is_recorded(shared):
    w, _case, lic, license_type = shared
    clerk = w.actor("clerk")
    person = w.actor("applicant").person
    with pytest.raises(DomainError) as no_consent:
        sharing.find(clerk, holder_code=person.id_number, type_codes=[license_type.code], purpose="办理", consent="")
    assert no_consent.value.problems[0].field == "consent"
    with pytest.raises(DomainError) as bad_code:
        sharing.find(
            clerk, holder_code="41150019900101001X", type_codes=[license_type.code], purpose="办理", consent=CONSENT
        )
    assert bad_code.value.problems[0].field == "holder_code"
    assert not LicenseLookup.objects.exists()
    found = sharing.find(
        clerk,
        holder_code=person.id_number,
        type_codes=[license_type.code],
        purpose="办理",
        consent=CONSENT,
        ask_others=False,
    )
    assert [f.as_dict()["identifier"] for f in found] == [lic.identifier]
    assert found[0].report.valid
    lookup = LicenseLookup.objects.get()
    assert (lookup.holder_code, lookup.found, lookup.consent) == (person.id_number, 1, CONSENT)
    assert lookup.asked_by.startswith(w.clerk.username)


def test_the_applicant_may_look_up_their_own_but_not_others(shared):
    w, case, _lic, license_type = shared
    person = w.actor("applicant").person
    own = sharing.find(
        w.actor("applicant"),
        holder_code=person.id_number,
        type_codes=[license_type.code],
        purpose="网上申办",
        consent="本人网上申请时同意",
        case=case,
        ask_others=False,
    )
    assert len(own) == 1


def test_a_verified_licence_satisfies_the_material(shared):
    w, case, lic, _type = shared
    m = material(case)
    sharing.use_license(
        w.actor("applicant"), case, material_id=m.pk, license_document=services.with_proof(lic), consent=CONSENT
    )
    m.refresh_from_db()
    assert (m.state, m.evidence, m.license_identifier) == (
        MaterialState.PROVIDED,
        MaterialEvidence.LICENSE,
        lic.identifier,
    )
    event = case.events.get(action="use-license")
    assert event.payload["license"] == lic.identifier and "signature" in event.payload["checks"]
    # kept as verified, with its log proof, so the decision can be checked later without the issuing node
    assert m.license_document["license"] == lic.document["license"] and "log" in m.license_document


def test_a_licence_of_another_type_or_holder_or_tampered_changes_nothing(shared):
    w, case, lic, _type = shared
    applicant = w.actor("applicant")
    doc = services.with_proof(lic)
    with pytest.raises(DomainError) as wrong_material:
        sharing.use_license(
            applicant, case, material_id=material(case, "居民身份证").pk, license_document=doc, consent=CONSENT
        )
    assert wrong_material.value.problems[0].code == "type_not_accepted"
    other = lf.license(
        lic.license_type,
        lic.issuer,
        holder=lf.person_holder("旁人", "110101199003070011"),
        data=lf.certificate_data("旁人", "110101199003070011"),
    )
    with pytest.raises(DomainError) as not_theirs:
        sharing.use_license(
            applicant, case, material_id=material(case).pk, license_document=services.with_proof(other), consent=CONSENT
        )
    assert not_theirs.value.problems[0].code == "not_the_applicants"
    forged = copy.deepcopy(doc)
    forged["license"]["data"]["level"] = "一级"
    with pytest.raises(DomainError) as tampered:
        sharing.use_license(applicant, case, material_id=material(case).pk, license_document=forged, consent=CONSENT)
    assert tampered.value.problems[0].code == "license_content_changed"
    assert tampered.value.status == 422
    m = material(case)
    assert m.state == MaterialState.MISSING and not m.license_identifier
    assert not case.events.filter(action="use-license").exists()


def test_a_revoked_licence_is_refused(shared):
    w, case, lic, _type = shared
    services.revoke(make_head(w, lic), lic, reason="撤销")
    with pytest.raises(DomainError) as refused:
        sharing.use_license(
            w.actor("applicant"),
            case,
            material_id=material(case).pk,
            license_document=services.with_proof(lic),
            consent=CONSENT,
        )
    assert refused.value.problems[0].code == "license_revoked"


def make_head(w, lic):  # type: ignore[no-untyped-def]
    from tests.identity import make as identity

    return make_actor(identity.staff("department_head", lic.issuer.region_id, department=lic.issuer))


def make_actor(user):  # type: ignore[no-untyped-def]
    from tongban.identity.actor import actor_for_user

    return actor_for_user(user)


# --- the API ---------------------------------------------------------------------------------------


def api_client(user):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def test_the_lookup_and_use_through_the_api(shared):
    w, case, lic, license_type = shared
    person = w.actor("applicant").person
    applicant = api_client(w.applicant)
    body = {
        "holder_code": person.id_number,
        "type_codes": [license_type.code],
        "purpose": "网上申办",
        "consent": "本人网上同意",
        "case": case.number,
        "others": False,
    }
    answer = applicant.post("/api/v1/license-lookups/", body, format="json")
    assert answer.status_code == 200, answer.content.decode()
    found = answer.json()["found"]
    assert [f["identifier"] for f in found] == [lic.identifier] and found[0]["verification"]["valid"]
    missing = applicant.post("/api/v1/license-lookups/", {**body, "consent": ""}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "consent"
    m = material(case)
    used = applicant.post(
        f"/api/v1/cases/{case.number}/materials/{m.pk}/use-license/",
        {"license_document": found[0]["document"], "consent": "本人网上同意"},
        format="json",
    )
    assert used.status_code == 200, used.content.decode()
    m.refresh_from_db()
    assert m.evidence == MaterialEvidence.LICENSE and m.license_identifier == lic.identifier


def test_someone_elses_case_cannot_use_a_licence(shared):
    _w, case, lic, _type = shared
    from tests.identity import make as identity

    stranger = api_client(identity.applicant("411500"))
    answer = stranger.post(
        f"/api/v1/cases/{case.number}/materials/{material(case).pk}/use-license/",
        {"identifier": lic.identifier, "consent": "同意"},
        format="json",
    )
    assert answer.status_code in (403, 404)
    assert material(case).state == MaterialState.MISSING


def test_an_applicant_may_not_look_up_someone_else_and_unreachable_nodes_are_named(shared):
    w, case, _lic, license_type = shared
    with pytest.raises(DomainError) as refused:
        sharing.lookup(
            w.actor("applicant"),
            holder_code="110101199003070011",
            type_codes=[license_type.code],
            purpose="网上申办",
            consent="同意",
            case=case,
        )
    assert (refused.value.problems[0].code, refused.value.status) == ("not_own", 403)
    assert not LicenseLookup.objects.exists()
    # the peer on the trust list (suzhou.test) cannot be reached: the answer says so, the local licence stays
    result = sharing.lookup(
        w.actor("clerk"),
        holder_code=w.actor("applicant").person.id_number,
        type_codes=[license_type.code],
        purpose="办理",
        consent=CONSENT,
    )
    assert result.unanswered == ["suzhou"] and len(result.found) == 1
