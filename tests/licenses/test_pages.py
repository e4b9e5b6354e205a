"""The e-licence pages (电子证照) through the Django test client: plain forms, no JavaScript.

The wallet lists the person's own licences only; a shown licence's link works until it expires and says
nothing more about the holder than a masked name; the public check answers by identifier in a few words,
and checks a PDF or JSON file step by step, naming the step that failed; the issuing department's head
annotates, suspends, reinstates, replaces and revokes through the licence page, and staff of another
department cannot open it; the case page asks for the licence fields the application lacks.
"""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from unittest import mock

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories as f
from tests.cases import make as cases
from tests.cases.conftest import MONDAY, Clock
from tests.identity import make as people
from tests.licenses import factories as lf
from tongban.cases import services as case_services
from tongban.cases.choices import Status
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM
from tongban.identity.models import Person
from tongban.licenses import identifiers, pages, rendering, services
from tongban.licenses.models import License, LicenseStatus

pytestmark = pytest.mark.django_db

OTHER_DEPARTMENT = "信阳市市场监督管理局"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    lf.isolated_keys(monkeypatch, tmp_path / "var")


class World:
    """An issuing department with its seal on the trust list, its head and clerk, a clerk of another
    department, and two people with a licence each; the first also represents a firm with one."""

    def __init__(self, federation) -> None:  # type: ignore[no-untyped-def]
        self.department = lf.issuing_department()
        self.seal = lf.seal(self.department)
        lf.publish(federation, self.seal)
        self.head = people.staff("department_head", department=self.department)
        self.clerk = people.staff("window_clerk", department=self.department)
        self.stranger_clerk = people.staff("window_clerk", department=lf.issuing_department(name=OTHER_DEPARTMENT))
        self.holder, self.other = people.applicant(), people.applicant()
        self.person = Person.objects.get(user=self.holder)
        other_person = Person.objects.get(user=self.other)
        Person.objects.filter(pk=other_person.pk).update(name="赵六")
        other_person.refresh_from_db()
        self.kind = lf.license_type()
        self.mine = self._certificate(self.person)
        self.theirs = self._certificate(other_person)
        firm = identity.register_organisation(
            SYSTEM, name="信阳毛尖茶业有限公司", uscc=f.uscc(), legal_representative=self.person
        )
        self.firm_license = lf.license(
            lf.license_type(schema=lf.LICENSE_SCHEMA, template="license", name="营业执照"),
            self.department,
            holder={"name": firm.name, "code": firm.uscc, "code_type": services.CODE_TYPE_USCC},
            data={
                "company_name": firm.name,
                "uscc": firm.uscc,
                "legal_rep": self.person.name,
                "business_scope": "茶叶销售",
            },
        )

    def _certificate(self, person: Person) -> License:
        return lf.license(
            self.kind,
            self.department,
            holder=lf.person_holder(person.name, person.id_number),
            data=lf.certificate_data(person.name, person.id_number),
        )


@pytest.fixture
def w(federation) -> World:  # type: ignore[no-untyped-def]
    return World(federation)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content.decode()[:2000])
    return response.content.decode()


def upload(client: Client, name: str, content: bytes, status: int = 200) -> str:
    response = client.post("/licenses/verify/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == status, (response.status_code, response.content.decode()[:3000])
    return response.content.decode()


def verdict(html: str) -> str:
    found = re.search(r'id="verdict" data-verdict="(\w+)"', html)
    assert found, html[:3000]
    return found.group(1)


def check_state(html: str, name: str) -> str:
    found = re.search(rf'data-check="{name}" data-ok="(\w+)"', html)
    assert found, (name, html[:3000])
    return found.group(1)


def signed_file(lic: License) -> bytes:
    return json.dumps(services.with_proof(lic), ensure_ascii=False).encode()


# --- 我的证照 -----------------------------------------------------------------------------------------


def test_the_wallet_lists_the_persons_and_their_firms_licences_only(w):
    html = get(logged_in(w.holder), "/licenses/")
    assert w.mine.identifier in html and w.firm_license.identifier in html
    assert w.theirs.identifier not in html and "赵六" not in html
    assert w.kind.name in html and w.department.name in html
    assert f'href="/licenses/{w.mine.identifier}/pdf/"' in html
    assert f'href="/licenses/{w.mine.identifier}/json/"' in html
    assert 'name="seconds" value="600"' in html and 'value="86400"' in html
    other = get(logged_in(w.other), "/licenses/")
    assert w.theirs.identifier in other and w.mine.identifier not in other


def test_the_wallet_and_licence_pages_need_a_login(w):
    for url in ("/licenses/", f"/licenses/{w.mine.identifier}/", f"/licenses/{w.mine.identifier}/pdf/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("prefix", "lang"), [("", 'lang="zh-Hans"'), ("/en", 'lang="en"')])
def test_the_pages_render_in_both_languages(w, prefix, lang):
    for url in ("/licenses/", "/licenses/verify/", f"/licenses/{w.mine.identifier}/"):
        assert lang in get(logged_in(w.holder), prefix + url)


def test_downloads_give_the_pdf_with_its_document_and_the_signed_json(w):
    client = logged_in(w.holder)
    response = client.get(f"/licenses/{w.mine.identifier}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    embedded = rendering.embedded_document(response.content)
    assert embedded is not None and embedded["license"] == w.mine.document["license"]
    w.mine.refresh_from_db()
    assert w.mine.pdf  # rendered once, kept
    response = client.get(f"/licenses/{w.mine.identifier}/json/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    handed_out = json.loads(response.content)
    assert handed_out["log"]["index"] == w.mine.log_index
    assert services.verify_here(handed_out).valid
    assert client.get(f"/licenses/{w.theirs.identifier}/json/").status_code == 404


# --- 亮证 ---------------------------------------------------------------------------------------------


def test_showing_a_licence_gives_a_link_whose_page_says_valid_with_the_name_masked(w):
    client = logged_in(w.holder)
    response = client.post(f"/licenses/{w.mine.identifier}/show/", {"seconds": "3600"})
    assert response.status_code == 302
    html = get(client, response["Location"])
    link = re.search(r'id="share-link" value="([^"]+)"', html).group(1)
    assert "/licenses/shown/" in link and 'class="qr' in html
    shown = get(Client(), link.removeprefix("http://testserver"))
    assert verdict(shown) == "valid"
    assert re.search(r'id="shown-holder">李\*<', shown)
    assert w.person.id_number not in shown and "电工" not in shown  # no more than the asker needs
    assert w.mine.number in shown and w.department.name in shown
    assert check_state(shown, "signature") == "ok" and check_state(shown, "log") == "ok"


def test_a_shown_link_expires_and_an_altered_one_is_refused(w):
    long_ago = time.time() - 2 * 3600
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        old = pages.share_token(w.mine.identifier, 600)
    html = get(Client(), f"/licenses/shown/{old}/", 410)
    assert 'id="shown-problem"' in html and w.mine.number not in html
    fresh = pages.share_token(w.mine.identifier, 600)
    altered = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
    assert 'id="shown-problem"' in get(Client(), f"/licenses/shown/{altered}/", 400)
    forged = signing.TimestampSigner(salt=pages.SHOW_SALT).sign_object({"id": w.mine.identifier, "s": 10**9})
    get(Client(), f"/licenses/shown/{forged}/", 400)  # a lifetime the holder cannot choose
    assert verdict(get(Client(), f"/licenses/shown/{fresh}/")) == "valid"


def test_a_shown_suspended_licence_says_not_valid(w):
    services.suspend(SYSTEM, w.mine, reason="核查中")
    html = get(Client(), f"/licenses/shown/{pages.share_token(w.mine.identifier, 600)}/")
    assert verdict(html) == "invalid" and check_state(html, "status") == "failed"


def test_only_the_holder_shows_a_licence_and_only_for_the_offered_times(w):
    assert logged_in(w.other).post(f"/licenses/{w.mine.identifier}/show/", {"seconds": "600"}).status_code == 404
    response = logged_in(w.holder).post(f"/licenses/{w.mine.identifier}/show/", {"seconds": "31536000"})
    assert response.status_code == 302 and "t=" not in response["Location"]


# --- 核验 ---------------------------------------------------------------------------------------------


def test_a_check_by_identifier_answers_the_status_and_nothing_more(w):
    html = get(Client(), f"/licenses/verify/?id={w.mine.identifier}")
    assert verdict(html) == "valid"
    assert re.search(r'id="lookup-holder">李\*<', html)
    assert w.kind.name in html and w.department.name in html
    for private in (w.person.id_number, "电工", "四级", w.person.name):
        assert private not in html, private
    services.revoke(SYSTEM, w.mine, reason="以欺骗手段取得")
    html = get(Client(), f"/licenses/verify/?id={w.mine.identifier}")
    assert verdict(html) == "invalid" and "以欺骗手段取得" not in html


def test_a_check_by_a_wrong_or_unknown_identifier_says_so_beside_the_field(w):
    wrong = w.mine.identifier[:-1] + ("A" if not w.mine.identifier.endswith("A") else "B")
    html = get(Client(), f"/licenses/verify/?id={wrong}", 400)
    assert 'id="verify-id-error"' in html and "校验位" in html
    unknown = str(identifiers.make(w.kind.code, w.department.uscc, "NOSUCH1", 1))
    assert 'id="verify-id-error"' in get(Client(), f"/licenses/verify/?id={unknown}", 404)


def test_a_genuine_json_file_verifies_step_by_step(w):
    html = upload(Client(), "licence.json", signed_file(w.mine))
    assert verdict(html) == "valid"
    for step in ("identifier", "content", "seal", "signature", "log", "status"):
        assert check_state(html, step) == "ok", step


def test_one_character_changed_in_the_data_fails_the_content_check_by_name(w):
    tampered = signed_file(w.mine).replace("电工".encode(), "焊工".encode(), 1)
    html = upload(Client(), "licence.json", tampered)
    assert verdict(html) == "invalid"
    assert check_state(html, "content") == "failed"
    assert 'id="failed"' in html and "证照内容与签名时的摘要不符" in html
    assert check_state(html, "signature") == "ok"  # the seal signed the digest, which is unchanged


def test_the_printed_pdf_verifies_through_the_file_it_carries(w):
    html = upload(Client(), "licence.pdf", rendering.render_pdf(w.firm_license))
    assert verdict(html) == "valid" and "营业执照" in html


def test_files_that_are_no_licence_are_refused_with_a_clear_error(w, settings):
    html = upload(Client(), "photo.png", b"\x89PNG\r\n\x1a\n....", 400)
    assert 'id="verify-file-error"' in html and "文件格式不对" in html
    html = upload(Client(), "other.pdf", cases.PDF, 400)
    assert "不含电子证照文件" in html
    html = upload(Client(), "broken.json", b"{not json", 400)
    assert "不是有效的 JSON" in html
    html = upload(Client(), "list.json", b'{"format": "something else"}')
    assert verdict(html) == "invalid" and check_state(html, "format") == "failed"
    response = Client().post("/licenses/verify/", {})
    assert response.status_code == 400 and "请选择电子证照" in response.content.decode()
    settings.TONGBAN_MAX_UPLOAD_BYTES = 100
    assert "上限" in upload(Client(), "licence.json", signed_file(w.mine), 413)


# --- one licence: the holder and the issuing department ---------------------------------------------


def test_the_holder_reads_their_licence_without_staff_forms(w):
    html = get(logged_in(w.holder), f"/licenses/{w.mine.identifier}/")
    assert "电工" in html and w.mine.identifier in html and 'data-event="issue"' in html
    assert "data-action=" not in html
    get(logged_in(w.holder), f"/licenses/{w.theirs.identifier}/", 404)


def test_a_clerk_of_the_issuing_department_reads_and_one_of_another_is_refused(w):
    html = get(logged_in(w.clerk), f"/licenses/{w.theirs.identifier}/")
    assert "电工" in html and "data-action=" not in html
    stranger = logged_in(w.stranger_clerk)
    get(stranger, f"/licenses/{w.theirs.identifier}/", 404)
    response = stranger.post(f"/licenses/{w.theirs.identifier}/actions/revoke/", {"reason": "试图撤销"})
    assert response.status_code == 404
    response = logged_in(w.clerk).post(f"/licenses/{w.theirs.identifier}/actions/revoke/", {"reason": "无权"})
    assert response.status_code == 403 and w.theirs.events.count() == 1  # the issuance only
    w.theirs.refresh_from_db()
    assert w.theirs.status == LicenseStatus.VALID


def test_the_head_annotates_suspends_reinstates_replaces_and_revokes_through_the_page(w):
    client = logged_in(w.head)
    base = f"/licenses/{w.mine.identifier}"
    html = get(client, base + "/")
    assert set(re.findall(r'data-action="([^"]+)"', html)) == {"annotate", "suspend", "revoke", "new-version"}

    response = client.post(base + "/actions/annotate/", {"text": "已参加继续教育", "reason": "", "until": "1999-01-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="annotate-reason-error"' in html and 'id="error-summary"' in html
    assert w.mine.events.count() == 1  # nothing changed
    response = client.post(base + "/actions/annotate/", {"text": "已参加继续教育", "reason": "年度审核", "until": ""})
    assert response.status_code == 302
    html = get(client, base + "/")
    assert 'data-event="annotate"' in html and "已参加继续教育" in html and "年度审核" in html

    assert client.post(base + "/actions/suspend/", {"reason": "涉嫌违规", "until": ""}).status_code == 302
    w.mine.refresh_from_db()
    assert w.mine.status == LicenseStatus.SUSPENDED
    assert verdict(get(Client(), f"/licenses/verify/?id={w.mine.identifier}")) == "invalid"
    html = get(client, base + "/")
    assert set(re.findall(r'data-action="([^"]+)"', html)) == {"annotate", "reinstate", "revoke"}
    assert client.post(base + "/actions/reinstate/", {"reason": "核查无误"}).status_code == 302

    response = client.post(base + "/actions/new-version/", {"data.level": "", "reason": "等级变更"})
    assert response.status_code == 400 and 'id="new-version-data.level-error"' in response.content.decode()
    response = client.post(base + "/actions/new-version/", {"data.level": "三级", "reason": "等级晋升"})
    assert response.status_code == 302
    fresh = License.objects.get(previous=w.mine)
    assert response["Location"].endswith(f"/licenses/{fresh.identifier}/")
    assert fresh.version == 2 and fresh.document["license"]["data"]["level"] == "三级"
    w.mine.refresh_from_db()
    assert w.mine.status == LicenseStatus.SUPERSEDED
    old = get(client, base + "/")
    assert 'id="replaced-by"' in old and "data-action=" not in old

    assert client.post(f"/licenses/{fresh.identifier}/actions/revoke/", {"reason": "以欺骗手段取得"}).status_code == 302
    fresh.refresh_from_db()
    assert fresh.status == LicenseStatus.REVOKED
    assert 'id="license-status' in get(client, f"/licenses/{fresh.identifier}/")


def test_an_unknown_action_or_identifier_is_not_found(w):
    client = logged_in(w.head)
    assert client.post(f"/licenses/{w.mine.identifier}/actions/delete/", {}).status_code == 404
    get(client, "/licenses/not-an-identifier/", 404)


# --- the case page's issue form ---------------------------------------------------------------------

LICENSE_FIELDS = {
    "type": "object",
    "required": ["qualification", "level"],
    "properties": {
        "qualification": {"type": "string", "title": "资格名称"},
        "level": {"type": "string", "title": "等级"},
        "remark": {"type": "string", "title": "备注"},
    },
}
FORM = {
    "type": "object",
    "required": ["qualification"],
    "properties": {"qualification": {"type": "string", "title": "资格名称"}},
}


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    """The case tests' clock (Monday 23 November 2026), so deadlines stay inside the calendar's years."""
    now = Clock(MONDAY)
    with mock.patch("django.utils.timezone.now", now):
        yield now


@pytest.fixture
def calendar():  # type: ignore[no-untyped-def]
    from tongban.workdays import clock, loader
    from tongban.workdays.models import CalendarYear

    if not CalendarYear.objects.exists():
        data = resources.files("tongban.workdays").joinpath("data/calendar.csv").read_bytes()
        loader.load_schedule(data, source="chinese-calendar 1.11.0")
    clock.forget()


def test_the_issue_form_asks_for_the_licence_fields_the_application_lacks_then_links_the_licence(
    federation, frozen, calendar
):
    kind = lf.license_type(schema=LICENSE_FIELDS)
    world = cases.world(
        form_schema=FORM, result_type="license", result_license_type=kind.code, result_name="职业资格证书"
    )
    lf.publish(federation, lf.seal(world.department))
    case = case_services.create_draft(world.actor("applicant"), implementation=world.implementation)
    case_services.save_draft(world.actor("applicant"), case, form_data={"qualification": "电工"})
    cases.attach_all(world, case)
    case_services.submit(world.actor("applicant"), case)
    case_services.accept(world.actor("clerk"), case)
    case_services.review(world.actor("reviewer"), case, opinion="材料齐全")
    case_services.approve(world.actor("head"), case, opinion="同意")
    case.refresh_from_db()
    assert case.status == Status.APPROVED

    clerk = logged_in(world.clerk)
    html = get(clerk, f"/cases/{case.number}/")
    assert 'name="license.level"' in html and 'name="license.remark"' in html
    assert 'name="license.qualification"' not in html  # the application gives it
    level = re.search(r'<label for="issue-license.level">(.*?)</label>', html).group(1)
    assert "等级" in level and 'class="required"' in level
    assert 'class="required"' not in re.search(r'<label for="issue-license.remark">(.*?)</label>', html).group(1)

    url = f"/cases/{case.number}/actions/issue/"
    response = clerk.post(url, {"version": case.version, "license.remark": "首次取得"})
    assert response.status_code == 400
    assert 'id="issue-license.level-error"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.APPROVED and not License.objects.filter(case=case).exists()

    response = clerk.post(url, {"version": case.version, "license.level": "四级", "license.remark": ""})
    assert response.status_code == 302
    lic = License.objects.get(case=case)
    assert lic.document["license"]["data"] == {"qualification": "电工", "level": "四级"}
    assert lic.holder_code == Person.objects.get(user=world.applicant).id_number
    html = get(logged_in(world.applicant), f"/cases/{case.number}/")
    assert f'href="/licenses/{lic.identifier}/"' in html
    assert lic.identifier in get(logged_in(world.applicant), "/licenses/")


def test_a_case_without_a_licence_type_keeps_its_plain_issue_form(frozen, calendar):
    world = cases.world()
    case = cases.accepted(world)
    case_services.review(world.actor("reviewer"), case, opinion="材料齐全")
    case_services.approve(world.actor("head"), case, opinion="同意")
    html = get(logged_in(world.clerk), f"/cases/{case.number}/")
    assert 'data-action="issue"' in html and "license." not in html
