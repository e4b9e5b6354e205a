"""免提交 through the case page (Django test client, no JavaScript): a material that accepts an e-licence
offers a consent form while its case's materials may change; with consent the holder's licences are
found and listed with this node's verification; one is used and the material shows it satisfied.

Nothing is looked up without consent; the document used is the one kept in the session when it was
found, so a changed one is refused with the reason and changes nothing, and nobody else's look-up can be
used. The peer of the federation fixture (suzhou) is unreachable: the local licence is listed all the same.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cases import make
from tests.identity import make as people
from tests.licenses import factories as lf
from tongban.cases import services as cases
from tongban.cases.choices import MaterialEvidence, MaterialState
from tongban.cases.models import Case
from tongban.identity.actor import actor_for_user
from tongban.licenses import services
from tongban.licenses.models import License, LicenseLookup
from tongban.licenses.pages_sharing import SESSION_KEY

pytestmark = pytest.mark.django_db

CERTIFICATE = "职业资格证书"
ID_CARD = "居民身份证"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    lf.isolated_keys(monkeypatch, tmp_path / "var")


class Shared:
    """A service whose first material accepts a certificate; its applicant holds one, in force."""

    def __init__(self, federation) -> None:  # type: ignore[no-untyped-def]
        federation.accept()
        self.kind = lf.license_type()
        self.w = make.world(
            materials=[
                {"name": CERTIFICATE, "form": "original", "paper_copies": 1, "license_types": [self.kind.code]},
                {"name": ID_CARD, "form": "original", "paper_copies": 1},
            ]
        )
        self.department = lf.issuing_department(name="信阳市人社局证照科")
        lf.publish(federation, lf.seal(self.department))
        self.person = self.w.actor("applicant").person
        self.license = self.certificate()
        self.draft = cases.create_draft(self.w.actor("applicant"), implementation=self.w.implementation)

    def certificate(self) -> License:
        return lf.license(
            self.kind,
            self.department,
            holder=lf.person_holder(self.person.name, self.person.id_number),
            data=lf.certificate_data(self.person.name, self.person.id_number),
        )

    def client(self, who: str) -> Client:
        client = Client()
        client.force_login(getattr(self.w, who))
        return client

    def pending(self) -> Case:
        """The draft, with a file for each material, submitted: waiting at the window."""
        case = make.attach_all(self.w, self.draft)
        cases.submit(self.w.actor("applicant"), case)
        case.refresh_from_db()
        return case


@pytest.fixture
def s(federation) -> Shared:  # type: ignore[no-untyped-def]
    return Shared(federation)


def material(case: Case, name: str = CERTIFICATE):  # type: ignore[no-untyped-def]
    return case.materials.get(name=name)


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def find_url(case: Case, m) -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.number}/materials/{m.pk}/license/"


def look_up(client: Client, case: Case, data: dict | None = None, status: int = 302):  # type: ignore[no-untyped-def]
    response = client.post(find_url(case, material(case)), {"consent": "yes", **(data or {})})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def use(client: Client, case: Case, identifier: str, status: int = 302):  # type: ignore[no-untyped-def]
    case.refresh_from_db()
    response = client.post(f"{find_url(case, material(case))}use/", {"identifier": identifier, "version": case.version})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


# --- where the form is offered -------------------------------------------------------------------


def test_the_form_is_offered_for_licence_materials_while_they_may_change_and_to_whom(s):
    certificate, id_card = material(s.draft), material(s.draft, ID_CARD)
    applicant = s.client("applicant")

    # The draft: the applicant's materials sit inside the draft's own form, so a link leads to the consent form.
    draft = page(applicant, f"/cases/{s.draft.number}/")
    assert f'id="share-{certificate.pk}-link"' in draft and f'id="share-{id_card.pk}-link"' not in draft
    form = page(applicant, find_url(s.draft, certificate))
    assert f'id="share-{certificate.pk}-consent"' in form
    assert 'name="holder_code"' not in form  # online the applicant consents for themselves only
    assert 'id="share-refused"' in page(applicant, find_url(s.draft, id_card))

    # Waiting at the window: the clerk has the form on the case page, the applicant and the reviewer do not.
    case = s.pending()
    clerk = page(s.client("clerk"), f"/cases/{case.number}/")
    assert f'id="share-{certificate.pk}"' in clerk and f'id="share-{id_card.pk}"' not in clerk
    assert 'name="consent_way"' in clerk and 'name="holder_code"' in clerk
    assert "**********" in clerk and s.person.id_number not in clerk  # the default holder, masked
    for who in ("applicant", "reviewer"):
        html = page(s.client(who), f"/cases/{case.number}/")
        assert 'data-material-action="use-license"' not in html, who

    # Accepted: the materials are fixed, so nobody is offered the form, and a look-up posted anyway is refused.
    cases.accept(s.w.actor("clerk"), case)
    clerk_client = s.client("clerk")
    assert 'data-material-action="use-license"' not in page(clerk_client, f"/cases/{case.number}/")
    refused = look_up(clerk_client, case, {"consent_way": "window"}, status=409)
    assert 'id="share-refused"' in refused.content.decode()
    assert not LicenseLookup.objects.exists()


def test_someone_elses_case_offers_nothing(s):
    stranger = Client()
    stranger.force_login(people.applicant("411500"))
    page(stranger, find_url(s.draft, material(s.draft)), status=404)
    stranger.post(find_url(s.draft, material(s.draft)), {"consent": "yes"})
    assert not LicenseLookup.objects.exists()


# --- consent, look-up and the list of what was found -----------------------------------------------


def test_without_consent_nothing_is_looked_up(s):
    applicant = s.client("applicant")
    refused = look_up(applicant, s.draft, {"consent": ""}, status=400)
    html = refused.content.decode()
    pk = material(s.draft).pk
    assert f'id="share-{pk}-consent-error"' in html and "请勾选以确认持证人同意" in html
    assert 'aria-invalid="true"' in html

    case = s.pending()
    clerk = s.client("clerk")
    html = look_up(clerk, case, {"consent": "", "consent_way": ""}, status=400).content.decode()
    assert f'id="share-{pk}-consent-error"' in html and f'id="share-{pk}-way-error"' in html
    assert not LicenseLookup.objects.exists()


def test_a_malformed_holder_code_is_refused_beside_its_field(s):
    case = s.pending()
    html = look_up(
        s.client("clerk"), case, {"consent_way": "window", "holder_code": "41150019900101001X"}, status=400
    ).content.decode()
    pk = material(case).pk
    assert f'id="share-{pk}-holder-code-error"' in html and "公民身份号码无效" in html
    assert not LicenseLookup.objects.exists()


def test_the_licences_found_are_listed_with_this_nodes_verification(s):
    revoked = s.certificate()
    services.revoke(actor_for_user(people.staff("department_head", department=s.department)), revoked, reason="撤销")
    applicant = s.client("applicant")
    response = look_up(applicant, s.draft)
    found_url = f"{find_url(s.draft, material(s.draft))}found/"
    assert response["Location"] == found_url
    lookup = LicenseLookup.objects.get(node="")  # this node's record of asking (suzhou never answered)
    assert lookup.consent.startswith("申请人本人在线勾选同意")
    assert lookup.purpose == f"办理{s.draft.item_name}（{s.draft.number}）"
    assert (lookup.case_number, lookup.holder_code, lookup.found) == (s.draft.number, s.person.id_number, 2)

    html = page(applicant, found_url)
    assert html.count('class="license-card"') == 2
    assert 'data-verdict="valid"' in html and s.license.number in html and s.department.name in html
    assert 'data-check="signature" data-ok="ok"' in html and 'data-check="log" data-ok="ok"' in html
    assert 'data-check="status" data-ok="failed"' in html  # the revoked one, with the reason in words
    assert "证照已撤销" in html
    # A button for the valid licence only, posting nothing but its identifier.
    assert html.count('data-use="') == 1 and f'data-use="{s.license.identifier}"' in html
    assert f'value="{revoked.identifier}"' not in html
    assert "content_sm3" not in html and "tree_head" not in html  # the documents stay on the server


def test_at_the_window_the_clerk_records_how_the_holder_consented(s):
    case = s.pending()
    clerk = s.client("clerk")
    look_up(clerk, case, {"consent_way": "window", "holder_code": ""})
    lookup = LicenseLookup.objects.get(node="")
    assert lookup.consent.startswith("本人到场签字同意") and lookup.holder_code == s.person.id_number
    assert lookup.asked_by.startswith(s.w.clerk.username)
    assert s.license.number in page(clerk, f"{find_url(case, material(case))}found/")


def test_nothing_found_says_so_and_that_paper_is_still_possible(s):
    case = s.pending()
    clerk = s.client("clerk")
    look_up(clerk, case, {"consent_way": "written", "holder_code": "110101199003070011"})
    html = page(clerk, f"{find_url(case, material(case))}found/")
    assert 'id="nothing-found"' in html and 'data-use="' not in html
    assert LicenseLookup.objects.get(node="").found == 0


def test_the_list_reads_in_english(s):
    applicant = s.client("applicant")
    look_up(applicant, s.draft)
    html = page(applicant, f"/en{find_url(s.draft, material(s.draft))}found/")
    assert '<html lang="en"' in html and "Use this licence" in html and "Issuing node" in html


# --- using one ------------------------------------------------------------------------------------


def test_a_licence_used_satisfies_the_material_and_leaves_the_session(s):
    applicant = s.client("applicant")
    look_up(applicant, s.draft)
    response = use(applicant, s.draft, s.license.identifier)
    m = material(s.draft)
    assert response["Location"] == f"/cases/{s.draft.number}/#material-{m.pk}"
    assert (m.state, m.evidence, m.license_identifier) == (
        MaterialState.PROVIDED,
        MaterialEvidence.LICENSE,
        s.license.identifier,
    )
    event = s.draft.events.get(action="use-license")
    assert event.payload["consent"].startswith("申请人本人在线勾选同意")

    html = page(applicant, f"/cases/{s.draft.number}/")
    note = html[html.index(f'id="material-{m.pk}-license"') :]
    assert s.license.number in note[:600] and f"/licenses/verify/?id={s.license.identifier}" in note[:600]
    assert f'id="share-{m.pk}-link"' not in html  # satisfied: nothing more to offer

    # Used once, the document is gone from the session: the list starts again, and using it again is refused.
    assert SESSION_KEY not in applicant.session or s.draft.number not in applicant.session[SESSION_KEY]
    again = applicant.get(f"{find_url(s.draft, m)}found/")
    assert again.status_code == 302 and again["Location"] == find_url(s.draft, m)


def test_a_document_changed_in_the_session_is_refused_with_the_reason(s):
    applicant = s.client("applicant")
    look_up(applicant, s.draft)
    session = applicant.session
    kept = session[SESSION_KEY]
    kept[s.draft.number]["licenses"][s.license.identifier]["document"]["license"]["data"]["level"] = "一级"
    session[SESSION_KEY] = kept
    session.save()
    version = Case.objects.get(pk=s.draft.pk).version

    refused = use(applicant, s.draft, s.license.identifier, status=422)
    html = refused.content.decode()
    m = material(s.draft)
    error = html[html.index(f'id="material-{m.pk}-error"') :][:400]
    assert "内容已被改动" in error
    assert (m.state, m.evidence, m.license_identifier) == (MaterialState.MISSING, "", "")
    assert Case.objects.get(pk=s.draft.pk).version == version
    assert not s.draft.events.filter(action="use-license").exists()


def test_nobody_else_can_use_a_look_up(s):
    applicant = s.client("applicant")
    look_up(applicant, s.draft)
    kept = applicant.session[SESSION_KEY][s.draft.number]

    other = people.applicant("411500")
    other_client = Client()
    other_client.force_login(other)
    # Not their case: as if it did not exist.
    use(other_client, s.draft, s.license.identifier, status=404)
    # Their own draft, with the first applicant's entry planted in their session: it is not theirs.
    theirs = cases.create_draft(actor_for_user(other), implementation=s.w.implementation)
    session = other_client.session
    session[SESSION_KEY] = {
        theirs.number: {**kept, "searches": {str(material(theirs).pk): kept["searches"][str(material(s.draft).pk)]}}
    }
    session.save()
    refused = use(other_client, theirs, s.license.identifier, status=400)
    assert "请重新查找" in refused.content.decode()
    assert material(theirs).state == MaterialState.MISSING
    assert material(s.draft).state == MaterialState.MISSING
