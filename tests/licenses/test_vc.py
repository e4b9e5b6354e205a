"""A licence as a W3C Verifiable Credential 2.0: the same seal signature, the readable claims bound to
what was signed, and the way back to the exact signed document."""

from __future__ import annotations

import base64
import copy
import json
from typing import TYPE_CHECKING

import gmalg
import pytest

from tongban.core.errors import DomainError
from tongban.federation.canonical import canonical
from tongban.licenses import document, services, vc

if TYPE_CHECKING:
    from tests.licenses.api_fixtures import World

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.licenses.api_fixtures"]
BASE = "https://zwfw.xinyang.example"


def independent_sm3(data: bytes) -> str:
    h = gmalg.SM3()
    h.update(data)
    return h.value().hex()


@pytest.fixture
def doc(world: World) -> dict:
    return services.with_proof(world.license)


def field_of(exc: pytest.ExceptionInfo[DomainError]) -> tuple[str | None, str]:
    problem = exc.value.problems[0]
    return problem.field, problem.code


def test_the_round_trip_gives_back_the_signed_document_exactly_and_it_verifies(world: World, doc: dict):
    credential = vc.to_vc(doc, base_url=BASE)
    back = vc.from_vc(json.loads(json.dumps(credential, ensure_ascii=False)))  # as it travels
    assert back == doc
    assert canonical(back) == canonical(doc)
    assert document.verify(back, world.trust).valid


def test_the_credential_says_what_the_licence_says(world: World, doc: dict):
    lic = doc["license"]
    credential = vc.to_vc(doc, base_url=BASE)
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["type"] == ["VerifiableCredential", "ChineseElectronicLicense"]
    assert credential["id"] == f"urn:gbt36904:{lic['identifier']}"
    assert credential["issuer"] == {"id": f"urn:uscc:{world.department.uscc}", "name": world.department.name}
    assert credential["validFrom"] == f"{lic['valid_from']}T00:00:00+08:00"
    assert credential["validUntil"] == f"{lic['valid_to']}T23:59:59+08:00"
    subject = credential["credentialSubject"]
    assert subject["licenseHolder"] == lic["holder"] and subject["data"] == lic["data"]
    assert subject["licenseIdentifier"] == lic["identifier"] and subject["licenseType"] == lic["type"]
    assert "type" not in subject and "id" not in subject  # JSON-LD keywords are left to the VC model
    assert credential["credentialStatus"] == {
        "id": f"{BASE}/api/v1/licenses/{lic['identifier']}/status/",
        "type": "TongbanLicenseStatus",
    }
    proof = credential["proof"]
    seal = doc["signature"]["seal"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "sm2-sm3-jcs-2026")
    assert proof["verificationMethod"] == f"urn:seal:{seal['id']}#{seal['key_id']}"
    assert proof["created"] == doc["signature"]["signed_at"]
    assert proof["transparencyLog"] == doc["log"]
    # The signed block names the SM3 of the licence; an SM3 independent of OpenSSL agrees.
    assert proof["signedBlock"]["content_sm3"] == independent_sm3(canonical(proof["license"]))
    value = proof["proofValue"]
    assert value.startswith("u")
    raw = base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4))
    assert raw == base64.b64decode(doc["signature"]["value"])


def test_a_document_without_its_log_proof_round_trips_too(doc: dict):
    bare = {k: v for k, v in doc.items() if k != "log"}
    credential = vc.to_vc(bare, base_url=BASE)
    assert "transparencyLog" not in credential["proof"]
    assert vc.from_vc(credential) == bare


def test_readable_claims_that_differ_from_the_signed_licence_are_refused(doc: dict):
    credential = vc.to_vc(doc, base_url=BASE)
    for path, value in (
        (("credentialSubject", "data", "permit_scope"), "全部商品销售"),
        (("credentialSubject", "licenseHolder", "name"), "王五"),
        (("issuer", "name"), "别的机关"),
        (("validUntil",), "2099-12-31T23:59:59+08:00"),
        (("proof", "created"), "2020-01-01T00:00:00+00:00"),
    ):
        changed = copy.deepcopy(credential)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(DomainError) as exc:
            vc.from_vc(changed)
        assert field_of(exc)[1] == "disagrees_with_license"
        assert field_of(exc)[0] == (path[0] if path[0] != "proof" else "proof.created")


def test_a_changed_signed_licence_or_signature_fails_verification(world: World, doc: dict):
    credential = vc.to_vc(doc, base_url=BASE)
    changed = copy.deepcopy(credential)
    changed["proof"]["license"]["data"]["permit_scope"] = "全部商品销售"
    changed["credentialSubject"]["data"]["permit_scope"] = "全部商品销售"  # kept in agreement
    report = document.verify(vc.from_vc(changed), world.trust)
    assert next((c.name, c.code) for c in report.failed) == ("content", "content_changed")

    forged = copy.deepcopy(credential)
    raw = bytearray(base64.urlsafe_b64decode(forged["proof"]["proofValue"][1:] + "=="))
    raw[-2] ^= 0x01
    forged["proof"]["proofValue"] = "u" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    report = document.verify(vc.from_vc(forged), world.trust)
    assert ("signature", "bad_signature") in [(c.name, c.code) for c in report.failed]


def test_what_is_not_our_credential_is_refused_naming_the_member(doc: dict):
    credential = vc.to_vc(doc, base_url=BASE)
    with pytest.raises(DomainError) as exc:
        vc.from_vc([credential])
    assert field_of(exc) == ("vc", "not_an_object")
    other = {**credential, "type": ["VerifiableCredential", "UniversityDegreeCredential"]}
    with pytest.raises(DomainError) as exc:
        vc.from_vc(other)
    assert field_of(exc) == ("type", "not_a_license_credential")
    suite = copy.deepcopy(credential)
    suite["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    with pytest.raises(DomainError) as exc:
        vc.from_vc(suite)
    assert field_of(exc) == ("proof.cryptosuite", "unsupported")
    value = copy.deepcopy(credential)
    value["proof"]["proofValue"] = "z3FXQ"
    with pytest.raises(DomainError) as exc:
        vc.from_vc(value)
    assert field_of(exc) == ("proof.proofValue", "malformed")
    with pytest.raises(DomainError) as exc:
        vc.to_vc({"format": "something-else/1"}, base_url=BASE)
    assert field_of(exc) == ("document", "not_a_license")
