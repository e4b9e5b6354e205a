"""Issuing e-licences on a case's issue step, their identifiers, status changes and what verification says."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from tests.cases import make
from tests.licenses import factories as lf
from tongban.cases import services as cases
from tongban.cases.choices import Status
from tongban.core.errors import Conflict, DomainError
from tongban.identity.actor import SYSTEM
from tongban.licenses import identifiers, ledger, seals, services
from tongban.licenses.models import License, LicenseEvent, LicenseStatus

TITLE = {"title": "电工"}


def mod_37_36(text: str) -> str:
    """ISO 7064 MOD 37,36 written out from the standard, independent of python-stdnum."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    p = 36
    for ch in text:
        s = (p % 37) + alphabet.index(ch)
        s = s % 36 or 36
        p = (s * 2) % 37
    return alphabet[(37 - p) % 36]


# --- identifiers (GB/T 36904) ------------------------------------------------------------------------


def test_identifier_check_character_agrees_with_the_standard():
    type_code, issuer = "11100000MB01430209001", "11411500MB1234567X"[:17] + "A"
    for serial in ("1", "2026000123", "ABC123", "Z" * 32):
        ident = identifiers.make(type_code, issuer, serial, 1)
        assert ident.check == mod_37_36(f"{type_code}{issuer}{serial}001")
        assert identifiers.parse(str(ident)) == ident
        assert str(ident).startswith("1.2.156.3005.2.")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.2.156.3005.1.x", "malformed"),
        ("1.2.156.3005.2.A.B.C", "malformed"),
        ("1.2.156.3005.2.11100000MB0143020900.11411500MB1234567A.1.001.0", "malformed"),  # type code too short
        ("1.2.156.3005.2.11100000MB01430209001.11411500MB1234567A.1.01.0", "malformed"),  # version 2 digits
    ],
)
def test_malformed_identifiers_are_refused_saying_which_part(text, code):
    with pytest.raises(DomainError) as refused:
        identifiers.parse(text)
    assert refused.value.problems[0].code == code


def test_a_wrong_check_character_is_named():
    ident = identifiers.make("11100000MB01430209001", "11411500MB1234567A", "7", 1)
    wrong = "0" if ident.check != "0" else "1"
    with pytest.raises(DomainError) as refused:
        identifiers.parse(str(ident)[:-1] + wrong)
    problem = refused.value.problems[0]
    assert problem.code == "bad_check_character"
    assert ident.check in problem.text.zh


# --- issuing on the case's issue step ------------------------------------------------------------------


@pytest.fixture
def licensed(db, federation, tmp_path, monkeypatch):
    """A world whose guide's result is a licence of a real type; the department has a published seal."""
    lf.isolated_keys(monkeypatch, tmp_path / "var")
    federation.accept()
    license_type = lf.license_type()
    w = make.world(result_type="license", result_name="职业资格证书", result_license_type=license_type.code)
    seal = lf.seal(w.department)
    lf.publish(federation, seal)
    return w, license_type, seal


def approved(w) -> object:
    case = make.accepted(w)
    while "review" in cases.allowed_actions(w.actor("reviewer"), case):
        cases.review(w.actor("reviewer"), case, opinion="符合条件")
        case.refresh_from_db()
    cases.approve(w.actor("head"), case, opinion="准予")
    case.refresh_from_db()
    return case


def test_the_issue_step_signs_the_licence_and_logs_it(licensed):
    w, _license_type, seal = licensed
    case = approved(w)
    size = ledger.size()
    cases.issue(w.actor("clerk"), case, license_data={**TITLE, "name": "王芳", "id_number": "110101199003070011"})
    case.refresh_from_db()
    lic = License.objects.get(case=case)
    assert case.status == Status.ISSUED
    assert case.result_number == lic.number
    assert case.events.get(action="issue").payload["license"] == lic.identifier
    assert lic.holder_code == case.applicant_person.id_number  # the applicant holds it, not the form's text
    assert lic.seal == seal and lic.version == 1
    assert identifiers.parse(lic.identifier).issuer_code == w.department.uscc
    assert ledger.size() == size + 1 and lic.log_index == size
    report = services.verify_here(services.with_proof(lic))
    assert report.valid, [c.as_dict() for c in report.failed]
    assert [c.name for c in report.checks] == ["identifier", "content", "seal", "signature", "log", "status"]
    assert LicenseEvent.objects.get(license=lic).kind == "issue"


def test_missing_licence_data_names_the_field_and_changes_nothing(licensed):
    w, _type, _seal = licensed
    case = approved(w)
    size = ledger.size()
    with pytest.raises(DomainError) as refused:
        cases.issue(w.actor("clerk"), case, license_data={"name": "王芳", "id_number": "110101199003070011"})
    assert refused.value.problems[0].field == "license_data.title"
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert not License.objects.exists() and ledger.size() == size


def test_without_a_seal_in_force_nothing_is_issued(licensed):
    w, _type, seal = licensed
    case = approved(w)
    seals.revoke(SYSTEM, seal, reason="印章遗失")
    with pytest.raises(Conflict) as refused:
        cases.issue(w.actor("clerk"), case, license_data={**TITLE, "name": "王芳", "id_number": "110101199003070011"})
    assert refused.value.problems[0].code == "no_seal"
    case.refresh_from_db()
    assert case.status == Status.APPROVED and not License.objects.exists()


def test_a_guide_without_a_result_licence_type_issues_no_licence(db, federation):
    w = make.world()
    case = approved(w)
    cases.issue(w.actor("clerk"), case)
    assert not License.objects.exists()


# --- status --------------------------------------------------------------------------------------------


def issued(licensed) -> License:
    w, _type, _seal = licensed
    case = approved(w)
    cases.issue(w.actor("clerk"), case, license_data={**TITLE, "name": "王芳", "id_number": "110101199003070011"})
    return License.objects.get(case=case)


def failed_codes(lic: License) -> list[str]:
    return [c.code for c in services.verify_here(services.with_proof(lic)).failed]


def test_suspend_reinstate_revoke_each_logged_and_seen_by_verification(licensed):
    w = licensed[0]
    lic = issued(licensed)
    head = w.actor("head")
    size = ledger.size()
    services.suspend(head, lic, reason="涉嫌违规，调查期间中止", until=date.today() + timedelta(days=30))
    assert failed_codes(lic) == ["suspended"]
    services.reinstate(head, lic, reason="调查结束")
    assert failed_codes(lic) == []
    services.annotate(head, lic, text="住所变更为某路1号", reason="住所变更")
    services.revoke(head, lic, reason="以欺骗手段取得")
    lic.refresh_from_db()
    assert lic.status == LicenseStatus.REVOKED
    assert failed_codes(lic) == ["revoked"]
    assert ledger.size() == size + 4
    assert list(lic.events.values_list("kind", flat=True)) == ["issue", "suspend", "reinstate", "annotate", "revoke"]
    with pytest.raises(Conflict) as again:
        services.reinstate(head, lic, reason="再次恢复")
    assert again.value.problems[0].code == "wrong_state"


def test_the_wrong_role_changes_nothing(licensed):
    w = licensed[0]
    lic = issued(licensed)
    size = ledger.size()
    with pytest.raises(DomainError):
        services.revoke(w.actor("clerk"), lic, reason="窗口人员不能撤销")
    lic.refresh_from_db()
    assert lic.status == LicenseStatus.VALID and ledger.size() == size and lic.events.count() == 1


def test_a_new_version_replaces_the_old_with_a_new_identifier(licensed):
    w = licensed[0]
    old = issued(licensed)
    fresh = services.new_version(w.actor("head"), old, changes={"level": "三级"}, reason="等级晋升")
    old.refresh_from_db()
    assert old.status == LicenseStatus.SUPERSEDED
    assert fresh.version == 2 and fresh.previous == old and fresh.identifier != old.identifier
    assert identifiers.parse(fresh.identifier).version == "002"
    assert fresh.document["license"]["data"]["level"] == "三级"
    assert failed_codes(fresh) == [] and failed_codes(old) == ["superseded"]


def test_a_seal_revoked_later_leaves_earlier_licences_valid(licensed):
    lic = issued(licensed)
    seals.revoke(SYSTEM, lic.seal, reason="印章更换")
    assert failed_codes(lic) == []


# --- what verification catches -------------------------------------------------------------------------


def tampered(lic: License, change) -> list[str]:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(services.with_proof(lic))
    change(doc)
    return [c.code for c in services.verify_here(doc).failed]


def test_any_change_is_caught_and_named(licensed):
    lic = issued(licensed)
    assert "content_changed" in tampered(lic, lambda d: d["license"]["data"].update(level="一级"))
    assert "content_changed" in tampered(lic, lambda d: d["license"]["holder"].update(name="冒名者"))
    later = (lic.signed_at + timedelta(seconds=1)).isoformat()
    assert "bad_signature" in tampered(lic, lambda d: d["signature"].update(signed_at=later))
    assert "seal_expired" in tampered(lic, lambda d: d["signature"].update(signed_at="2020-01-01T00:00:00+00:00"))
    assert "unknown_seal" in tampered(lic, lambda d: d["signature"]["seal"].update(id="X" * 22))
    assert "not_included" in tampered(lic, lambda d: d["log"]["proof"].append("00" * 32))
    assert "no_log_proof" in tampered(lic, lambda d: d.pop("log"))
    last = lic.identifier[-1]
    other = "0" if last != "0" else "1"
    assert "bad_check_character" in tampered(lic, lambda d: d["license"].update(identifier=lic.identifier[:-1] + other))


def test_revoking_an_approval_revokes_its_licence(db, federation, tmp_path, monkeypatch):
    """SCENARIOS §5: the post-check finds the commitment false; 撤销 of the approval revokes the licence too."""
    lf.isolated_keys(monkeypatch, tmp_path / "var")
    federation.accept()
    license_type = lf.license_type()
    w = make.credit_world(result_type="license", result_license_type=license_type.code)
    lf.publish(federation, lf.seal(w.department))
    case = make.online_with(w, "commitment")
    cases.accept(w.actor("clerk"), case)
    case.refresh_from_db()
    case = approved_after_acceptance(w, case)
    cases.issue(w.actor("clerk"), case, license_data={**TITLE, "name": "王芳", "id_number": "110101199003070011"})
    lic = License.objects.get(case=case)
    cases.verify(w.actor("reviewer"), case, method="on_site", outcome="false", finding="经营场所与申报不符")
    size = ledger.size()
    cases.revoke(w.actor("head"), case, reasons="承诺不实", basis="《中华人民共和国行政许可法》第六十九条")
    lic.refresh_from_db()
    assert lic.status == LicenseStatus.REVOKED and "承诺不实" in lic.status_reason
    assert ledger.size() == size + 1
    assert failed_codes(lic) == ["revoked"]


def approved_after_acceptance(w, case):  # type: ignore[no-untyped-def]
    while "review" in cases.allowed_actions(w.actor("reviewer"), case):
        cases.review(w.actor("reviewer"), case, opinion="符合条件")
        case.refresh_from_db()
    cases.approve(w.actor("head"), case, opinion="准予")
    case.refresh_from_db()
    return case


def test_without_the_node_key_the_document_is_refused_clearly(licensed, monkeypatch, tmp_path):
    from tongban.federation import node

    lic = issued(licensed)
    monkeypatch.setenv("TONGBAN_FEDERATION_KEY", str(tmp_path / "missing.pem"))
    node.forget()
    head_rows = ledger.size()
    with pytest.raises(DomainError) as refused:
        services.with_proof(lic)
    assert (refused.value.problems[0].code, refused.value.status) == ("no_node_key", 503)
    assert ledger.size() == head_rows
