"""Every endpoint under /api/v1/ × every role gets the answer the table below says.

The walk finds the endpoints from the URL resolver itself, so a new endpoint is checked the day it
appears; one without a declared policy fails the first test, and one whose policy action is missing
from EXPECTED fails the walk until someone writes down who may use it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import override_settings
from django.utils import timezone
from rest_framework.request import ForcedAuthentication, Request
from rest_framework.test import APIRequestFactory

from tests import factories as f
from tests.identity import make
from tongban.bundles import api as bundles_api
from tongban.bundles import api_applications as bundle_applications_api
from tongban.bundles import services as bundle_services
from tongban.cases import api as cases_api
from tongban.cases import services as case_services
from tongban.catalog import api as catalog_api
from tongban.catalog import services as catalog_services
from tongban.catalog.models import Hall, Region
from tongban.credit import api as credit_api
from tongban.credit import services as credit_services
from tongban.federation import api as federation_api
from tongban.federation import services as federation_services
from tongban.federation.models import InboxMessage, RefusedMessage
from tongban.identity import api as identity_api
from tongban.identity import services
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.choices import Role
from tongban.identity.coverage import Endpoint, api_endpoints, uncovered
from tongban.licenses import api as licenses_api
from tongban.licenses import ledger

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """One login per role and region: hashing their passwords properly would dominate the test's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


ROLES = [r.value for r in Role]


def _verification(case: Any) -> Any:
    """An open 事后核查 on ``case`` (made directly: the coverage walk needs only the record to exist)."""
    from tongban.cases.models import Commitment, Verification

    signed = Commitment.objects.create(
        case=case, kind="commitment", text="承诺", signed_how="online", signer_name="李四", signed_at=timezone.now()
    )
    return Verification.objects.create(case=case, commitment=signed, due_at=timezone.now() + timedelta(days=60))


# Who may use each policy action: (public, own records, staff roles allowed in their scope).
# A superuser may do all of these; a user with the Django permission catalog.change_serviceitem may
# also write the catalog. "own records" lets any logged-in user in, to see or change only their own.
EXPECTED: dict[str, tuple[bool, bool, set[str]]] = {
    "api.describe": (True, False, set()),
    "catalog.read": (True, False, set()),
    "catalog.write": (False, False, {"catalog_admin"}),
    "identity.person.read": (
        False,
        True,
        {"window_clerk", "reviewer", "department_head", "supervisor", "hotline_operator"},
    ),
    "identity.person.write": (False, True, {"window_clerk"}),
    "identity.organisation.read": (
        False,
        True,
        {"window_clerk", "reviewer", "department_head", "supervisor", "hotline_operator"},
    ),
    "identity.organisation.write": (False, False, {"window_clerk"}),
    "identity.authorisation.read": (False, True, {"window_clerk", "reviewer", "department_head", "supervisor"}),
    "identity.authorisation.write": (False, False, {"window_clerk"}),
    "identity.authorisation.revoke": (False, True, {"window_clerk"}),
    "identity.assignment.read": (False, True, {"node_operator", "supervisor"}),
    "identity.assignment.write": (False, False, {"node_operator"}),
    "identity.access_log.read": (False, True, {"supervisor"}),
    # Case handling: the action endpoints of a case declare case.read (the command then asks the rule of the
    # lifecycle row itself, see tests/cases/test_lifecycle.py); drafting is any logged-in user's own business.
    # Bundle applications (一件事) declare the same two: starting one is case.apply, the rest case.read.
    "case.read": (False, True, {"window_clerk", "reviewer", "department_head", "supervisor", "hotline_operator"}),
    "case.apply": (False, True, set()),
    "case.intake": (False, False, {"window_clerk"}),
    "case.export": (False, False, {"supervisor", "node_operator"}),
    "case.verify": (False, False, {"reviewer", "department_head"}),
    "case.revoke": (False, False, {"department_head"}),
    "credit.read": (False, True, {"window_clerk", "reviewer", "department_head", "supervisor", "hotline_operator"}),
    "credit.record": (False, False, {"supervisor"}),
    "credit.import": (False, False, {"supervisor", "node_operator"}),
    "federation.operate": (False, False, {"node_operator"}),
    # E-licences: the holder reads their own; the issuing department's staff read them; its head changes
    # their status; anyone may verify; intake staff look up a holder's licences with consent.
    "license.read": (False, True, {"window_clerk", "reviewer", "department_head", "supervisor", "hotline_operator"}),
    "license.manage": (False, False, {"department_head"}),
    "license.verify": (True, False, set()),
    "license.lookup": (False, True, {"window_clerk", "reviewer", "department_head"}),
    # The front desk: anyone takes a ticket; window clerks call and serve; clerks and supervisors see figures.
    "frontdesk.take": (True, False, set()),
    "frontdesk.operate": (False, False, {"window_clerk"}),
    "frontdesk.read": (False, False, {"window_clerk", "supervisor"}),
}

IN, OUT = "411500", "320500"


def expected(action: str, who: str) -> str:
    """'yes': allowed, on the in-scope record too; 'list': let in, but not to that record; 'no': refused."""
    public, own, staff = EXPECTED[action]
    if public or who == "superuser" or (who == "catalog_perm" and action == "catalog.write"):
        return "yes"
    if who == "anonymous":
        return "no"
    role, _, region = who.partition("@")
    if role in staff:
        return "yes" if region == IN else "list"
    return "list" if own else "no"


@pytest.fixture
def people() -> dict[str, Any]:
    """One login per role: anonymous, applicant, superuser, catalog permission, each role in and out of scope."""
    accounts: dict[str, Any] = {"anonymous": AnonymousUser(), "applicant": make.applicant()}
    accounts["superuser"] = make.user("root", is_superuser=True, is_staff=True)
    perm_user = make.user("catalog_perm")
    perm_user.user_permissions.add(Permission.objects.get(codename="change_serviceitem"))
    accounts["catalog_perm"] = perm_user
    for role in ROLES:
        for region in (IN, OUT):
            accounts[f"{role}@{region}"] = make.staff(role, region)
    return accounts


@pytest.fixture
def records() -> dict[type, Any]:
    """For each viewset with detail routes, a record in 411500 that belongs to none of the logins."""
    impl = f.implementation(region_code=IN)
    agreement = catalog_services.create_agreement(
        SYSTEM,
        name="测试协议",
        kind="p2p",
        region_codes=[IN, OUT],
        item_codes=[impl.item.basic_code],
        modes=["proxy"],
        effective_from=timezone.localdate(),
    )
    person = make.person(IN, name="王某")
    agent = make.person(IN, name="赵某")
    org = services.register_organisation(
        SYSTEM, name="信阳某公司", uscc=f.uscc(category="91"), legal_representative=person, region_code=IN
    )
    today = timezone.localdate()
    authorisation = services.record_authorisation(
        SYSTEM,
        principal_person=person,
        agent=agent,
        scope="代办",
        valid_from=today,
        valid_to=today + timedelta(days=1),
        evidence="in_person",
        id_check_note="核验原件",
        region_code=IN,
    )
    # A case handled in IN by the implementation's department, applied for by a person none of the logins is.
    case = case_services.receive(SYSTEM, implementation=impl, person=person, identity_check="核验身份证原件")
    other_staff = make.staff("reviewer", IN)
    access = services.log_personal_data_access(
        actor_for_user(other_staff), record=person, fields=["id_number"], reason="审查"
    )
    return {
        catalog_api.RegionViewSet: Region.objects.get(code=IN),
        catalog_api.DepartmentViewSet: impl.department,
        catalog_api.HallViewSet: Hall.objects.create(region_id=IN, name="信阳市政务服务中心"),
        catalog_api.ServiceItemViewSet: impl.item,
        catalog_api.ImplementationViewSet: impl,
        catalog_api.AgreementViewSet: agreement,
        identity_api.PersonViewSet: person,
        identity_api.OrganisationViewSet: org,
        identity_api.AuthorisationViewSet: authorisation,
        identity_api.StaffAssignmentViewSet: make.assignment_of(other_staff),
        identity_api.PersonalDataAccessViewSet: access,
        cases_api.CaseViewSet: case,
        cases_api.VerificationViewSet: _verification(case),
        credit_api.CreditEntryViewSet: credit_services.record_from_case(case, "dishonest", decision="测试"),
        federation_api.OutboxViewSet: federation_services.enqueue(receiver="suzhou", type="node.ping", body={}),
        federation_api.InboxViewSet: InboxMessage.objects.create(
            id="0193a1f2-0000-7000-8000-000000000001",
            sender="suzhou",
            type="node.ping",
            envelope={},
            outcome="applied",
            receipt={},
        ),
        federation_api.RefusedViewSet: RefusedMessage.objects.create(code="bad_signature", reason="测试"),
        **dict.fromkeys((licenses_api.LicenseViewSet, licenses_api.LicenseStatusView), _license(impl.department)),
        licenses_api.LogLeafView: ledger.append("test", {}),
        **_bundles(impl, person),
        **_frontdesk(impl, person),
    }


def _frontdesk(impl: Any, person: Any) -> dict[type, Any]:
    """A hall in IN with a window, a ticket and an appointment (rows only: the walk checks who may reach them)."""
    from tongban.catalog.models import Window
    from tongban.frontdesk import api as frontdesk_api
    from tongban.frontdesk.models import Appointment, QueueTicket

    hall = Hall.objects.create(region_id=IN, name="信阳市政务服务中心（叫号）")
    now = timezone.now()
    return {
        frontdesk_api.HallDeskViewSet: hall,
        frontdesk_api.WindowDeskViewSet: Window.objects.create(hall=hall, number="01", name="综合受理"),
        frontdesk_api.QueueTicketViewSet: QueueTicket.objects.create(
            hall=hall, day=now.date(), category="A", number="A001", taken_at=now
        ),
        frontdesk_api.AppointmentViewSet: Appointment.objects.create(
            hall=hall, implementation=impl, category="A", slot_start=now, slot_minutes=30, person=person
        ),
    }


def _bundles(impl: Any, person: Any) -> dict[type, Any]:
    """A bundle of IN and a window application for it by ``person`` (a row only: the walk checks who may
    reach it; a window draft, unlike an online one, is open to the region's staff)."""
    from tongban.bundles.models import BundleCase

    bundle = _bundle(impl)
    application = BundleCase.objects.create(
        number=f"{IN}-YJS-20260101-00001",
        bundle=bundle,
        channel="window",
        receiving_region_id=IN,
        applicant_person=person,
        applicant_name=person.name,
        identity_check="核验身份证原件",
    )
    return {bundles_api.BundleViewSet: bundle, bundle_applications_api.BundleApplicationViewSet: application}


def _bundle(impl: Any) -> Any:
    """A bundle of two items of IN, the second waiting for the first."""
    second = f.implementation(region_code=IN)
    return bundle_services.create_bundle(
        SYSTEM,
        code="test-bundle",
        name="测试一件事",
        region=Region.objects.get(code=IN),
        lead_department=impl.department,
        promised_limit=5,
        items=[{"key": "a", "implementation": impl}, {"key": "b", "implementation": second}],
        dependencies=[("b", "a")],
    )


def _license(department: Any) -> Any:
    """A licence issued in IN by ``department`` (a row only: the walk checks who may reach it, not its seal)."""
    from tests.licenses.factories import CERTIFICATE_SCHEMA
    from tongban.catalog.models import LicenseType
    from tongban.licenses.models import License, Seal

    kind = LicenseType.objects.create(
        code=f.uscc("100000") + "001", name="职业资格证书", defining_organ_name="人社部", schema=CERTIFICATE_SCHEMA
    )
    now = timezone.now()
    seal = Seal.objects.create(
        seal_id=department.uscc + "0001",
        name=department.name,
        department=department,
        key_id="0" * 64,
        public_key="-",
        valid_from=now,
        valid_to=now + timedelta(days=365),
    )
    return License.objects.create(
        identifier=f"1.2.156.3005.2.{kind.code}.{department.uscc}.1.001.0",
        license_type=kind,
        serial="1",
        number="1",
        issuer=department,
        jurisdiction=IN,
        holder_name="王某",
        holder_code="110101199003070011",
        holder_code_type="111",
        issued_on=now.date(),
        valid_from=now.date(),
        document={},
        content_sm3="0" * 64,
        seal=seal,
        signed_at=now,
        log_index=0,
    )


def answer(endpoint: Endpoint, account: Any, record: Any) -> str:
    """Run the view's own permission checks for this endpoint as this account."""
    raw = APIRequestFactory().generic(endpoint.method, "/" + endpoint.route)
    request = Request(raw, authenticators=[ForcedAuthentication(account, None)])
    view = endpoint.view()
    if endpoint.action is not None:  # a viewset: bind its handlers as the router's view function does
        view.action = endpoint.action
        if endpoint.action != "metadata":
            setattr(view, endpoint.method.lower(), getattr(view, endpoint.action))
    view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
    try:
        view.check_permissions(request)
    except Exception:
        return "no"
    if not endpoint.detail or record is None:
        return "yes"
    try:
        view.check_object_permissions(request, record)
    except Exception:
        return "list"
    return "yes"


def test_every_api_endpoint_declares_a_policy():
    endpoints = api_endpoints()
    assert len(endpoints) > 40  # the walk found the API (catalog and identity)
    assert uncovered(endpoints) == []


def test_every_endpoint_and_role_gets_the_expected_answer(people, records):
    mismatches = []
    for endpoint in api_endpoints():
        assert endpoint.needs is not None
        action = endpoint.needs.action
        assert action in EXPECTED, f"{endpoint}: add '{action}' to EXPECTED, saying who may use it"
        record = records.get(endpoint.view) if endpoint.detail else None
        if endpoint.detail and endpoint.method != "OPTIONS":
            assert record is not None, f"{endpoint}: add a record for {endpoint.view.__name__} to the fixture"
        for who, account in people.items():
            want = expected(action, who)
            if not endpoint.detail and want == "list":
                want = "yes"  # no record to refuse: the list is narrowed instead
            got = answer(endpoint, account, record)
            if got != want:
                mismatches.append(f"{endpoint} as {who}: expected {want}, got {got}")
    assert mismatches == []


def test_the_coverage_check_reports_endpoints_that_escape_the_policy():
    problems = uncovered(api_endpoints(urlconf="tests.identity.undeclared_urls"))
    text = "\n".join(problems)
    assert "NoPolicyViewSet.list): no policy declared" in text
    assert "PartlyDeclaredViewSet.purge): no policy declared" in text
    assert "PartlyDeclaredViewSet.list" not in text
    assert "'catalog.reed', which policy.RULES does not know" in text
    assert "BypassingView.GET): permission_classes do not include PolicyPermission" in text
    assert "RegionViewSet" not in text
    # With no policy at all even OPTIONS is refused; the bypassing view escapes on every method.
    assert "OPTIONS /api/v1/nopolicy/ (NoPolicyViewSet.metadata): no policy declared" in text
    assert "OPTIONS /api/v1/bypass/ (BypassingView.OPTIONS): permission_classes" in text
    assert len(problems) == 6


@override_settings(ROOT_URLCONF="tests.identity.undeclared_urls")
def test_an_action_without_a_policy_is_refused_even_to_a_superuser(client):
    client.force_login(make.user("root", is_superuser=True))
    response = client.get("/api/v1/nopolicy/")
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["code"] == "no_policy" and "NoPolicyViewSet" in error["message_en"]
    assert client.post("/api/v1/partly/purge/").status_code == 403
    assert client.get("/api/v1/partly/").status_code == 200
    assert client.get("/api/v1/unknown/").json()["errors"][0]["code"] == "no_policy"


def test_full_person_data_is_not_an_endpoint_of_its_own_but_is_checked(people, records):
    """identity.person.read_full is asked by the retrieve action itself (?full=1): checked here."""
    from tongban.identity.policy import may

    person = records[identity_api.PersonViewSet]
    allowed = {
        who for who, account in people.items() if may(actor_for_user(account), "identity.person.read_full", person)
    }
    assert allowed == {"window_clerk@411500", "reviewer@411500"}


def test_department_staff_reach_the_cases_of_their_own_department_only(records):
    """The logins above hold region-wide assignments (no department), which cover every department's cases."""
    case = records[cases_api.CaseViewSet]
    endpoint = next(e for e in api_endpoints() if e.view is cases_api.CaseViewSet and e.action == "accept")
    other = f.department(IN)
    answers = {
        (role, dept.pk == case.department_id): answer(endpoint, make.staff(role, IN, department=dept), case)
        for role in ("window_clerk", "reviewer", "department_head")
        for dept in (case.department, other)
    }
    assert set(answers.values()) == {"yes", "list"}
    assert all(got == ("yes" if own_department else "list") for (_, own_department), got in answers.items())
