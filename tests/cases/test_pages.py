"""The case pages (办件) through the Django test client: plain forms, so everything here works without JavaScript.

Every page renders in Chinese (default) and English (/en/); the staff page offers exactly the actions
``services.allowed_actions`` gives; a stale page gets the 409 message; staff outside the case's scope get 404.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.cases import make
from tests.identity import make as people
from tongban.cases import services
from tongban.cases.choices import MaterialState, OrderState, Status
from tongban.cases.models import Case, CaseEvent, Notice, SupervisionOrder
from tongban.identity.actor import actor_for_user
from tongban.identity.models import Person, PersonalDataAccess

pytestmark = pytest.mark.django_db

FORM = {
    "type": "object",
    "required": ["account"],
    "properties": {
        "account": {"type": "string", "title": "收款银行账号"},
        "reason": {"type": "string", "title": "提取原因", "enum": ["退休", "出境定居"]},
        "amount": {"type": "number", "title": "提取金额"},
        "agree": {"type": "boolean", "title": "本人承诺所填信息真实"},
    },
}
STALE_ZH = "办件已被他人更新"


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def actions_on(html: str) -> set[str]:
    """The actions a case page offers: every element marked with data-action."""
    return set(re.findall(r'data-action="([^"]+)"', html))


def pdf_upload(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make.PDF, content_type="application/pdf")


def post(client, url: str, data: dict, status: int = 302):  # type: ignore[no-untyped-def]
    response = client.post(url, data)
    assert response.status_code == status, (url, response.status_code, response.content.decode()[:3000])
    return response


def refreshed(case: Case) -> Case:
    case.refresh_from_db()
    return case


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w() -> make.World:
    return make.world()


# --- every page, both languages ----------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "marker"), [("", '<html lang="zh-Hans"'), ("/en", '<html lang="en"')])
def test_every_page_renders_in_chinese_and_english(client, w, lang, marker):
    case = make.accepted(w)
    services.review(w.actor("reviewer"), case, opinion="符合条件")
    services.supervise(w.actor("supervisor"), case, message="请尽快办结")
    Case.objects.filter(pk=case.pk).update(warning="red")
    draft = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    visits = {
        "applicant": [
            "/cases/mine/",
            f"/cases/apply/{w.implementation.pk}/",
            f"/cases/{case.number}/",
            f"/cases/{draft.number}/",
        ],
        "clerk": ["/cases/intake/", f"/cases/intake/?implementation={w.implementation.pk}", "/cases/queue/"],
        "reviewer": [f"/cases/{case.number}/", f"/cases/{case.number}/trace/", "/cases/queue/", "/cases/queue/?all=1"],
        "supervisor": ["/cases/supervision/", f"/cases/{case.number}/"],
    }
    english = {
        "/cases/mine/": "My cases",
        "/cases/intake/": "Window intake",
        "/cases/supervision/": "Overdue and due-soon cases",
    }
    chinese = {"/cases/mine/": "我的办件", "/cases/intake/": "窗口收件", "/cases/supervision/": "逾期和临期办件"}
    for who, urls in visits.items():
        client.force_login(getattr(w, who))
        for url in urls:
            html = page(client, f"{lang}{url}")
            assert marker in html, url
            assert 'href="#main"' in html
            if url in english:
                assert (english if lang else chinese)[url] in html


def test_the_staff_case_page_reads_in_chinese(client, w):
    case = make.accepted(w)
    client.force_login(w.reviewer)
    html = page(client, f"/cases/{case.number}/")
    for text in [
        "办理时限",
        "承诺办结期限",
        "已用工作日",
        "剩余工作日",
        "申请材料",
        "办理过程",
        "审查中",
        "签署审查意见",
    ]:
        assert text in html, text
    assert "已受理，开始计算办理时限" in html  # the timeline, in plain language
    assert "4115**********" in html  # the applicant's document number, masked
    english = page(client, f"/en/cases/{case.number}/")
    assert "Working days left" in english and "Sign this review step" in english


# --- the buttons are the allowed actions --------------------------------------------------------------


def test_buttons_equal_the_allowed_actions_through_the_life_of_a_case(client, w):
    def check(who: str, case: Case) -> set[str]:
        client.force_login(getattr(w, who))
        html = page(client, f"/cases/{case.number}/")
        allowed = services.allowed_actions(actor_for_user(getattr(w, who)), refreshed(case))
        assert actions_on(html) == set(allowed), (who, case.status)
        return set(allowed)

    draft = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    assert check("applicant", draft) == {"save", "submit", "withdraw"}
    case = make.online(w)
    assert check("clerk", case) >= {"accept", "refuse", "request-correction"}
    assert check("applicant", case) == {"withdraw"}
    services.accept(w.actor("clerk"), case)
    assert check("reviewer", case) >= {"review", "suspend"}
    assert "extend" in check("head", case)
    assert check("supervisor", case) == {"supervise"}
    services.review(w.actor("reviewer"), case, opinion="符合条件")
    assert check("reviewer", case) >= {"approve", "deny"}
    services.approve(w.actor("reviewer"), case, opinion="准予")
    assert "issue" in check("clerk", case)
    services.issue(w.actor("clerk"), case)
    assert "deliver" in check("clerk", case)
    services.deliver(w.actor("clerk"), case, method="online")
    assert check("applicant", case) == set()
    assert 'id="no-actions"' in page(client, f"/cases/{case.number}/")


def test_an_open_supervision_order_can_be_answered_from_the_page(client, w):
    case = make.accepted(w)
    order = services.supervise(w.actor("supervisor"), case, message="请说明进度")
    client.force_login(w.reviewer)
    html = page(client, f"/cases/{case.number}/")
    assert "answer-supervision" in actions_on(html) and "请说明进度" in html
    url = f"/cases/{case.number}/actions/answer-supervision/"
    post(client, url, {"order": order.pk, "answer": "", "version": refreshed(case).version}, status=400)
    post(client, url, {"order": order.pk, "answer": "已完成审查", "version": refreshed(case).version})
    assert SupervisionOrder.objects.get(pk=order.pk).state == OrderState.ANSWERED


# --- a stale page, out-of-scope staff -----------------------------------------------------------------


def test_a_stale_page_gets_the_409_message_and_nothing_changes(client, w):
    case = make.online(w)
    client.force_login(w.clerk)
    html = page(client, f"/cases/{case.number}/")
    seen = int(re.search(r'name="version" value="(\d+)"', html).group(1))
    material = case.materials.first()
    services.record_material(w.actor("clerk"), case, material_id=material.pk, evidence="original_seen")  # elsewhere
    response = client.post(f"/cases/{case.number}/actions/accept/", {"version": seen})
    assert response.status_code == 409
    text = response.content.decode()
    assert STALE_ZH in text and 'id="error-summary"' in text and 'role="alert"' in text
    assert refreshed(case).status == Status.PENDING
    assert f'name="version" value="{refreshed(case).version}"' in text  # the page now shows the current case
    english = client.post(f"/en/cases/{case.number}/actions/accept/", {"version": seen}).content.decode()
    assert "the case changed meanwhile" in english


def test_staff_outside_the_scope_and_other_applicants_get_404(client, w):
    case = make.online(w)
    elsewhere = people.staff("window_clerk", "320500")
    stranger = people.applicant()
    for user in (elsewhere, stranger):
        client.force_login(user)
        for url in [f"/cases/{case.number}/", f"/cases/{case.number}/trace/"]:
            page(client, url, status=404)
        assert client.post(f"/cases/{case.number}/actions/accept/", {"version": case.version}).status_code == 404
        material = case.materials.first()
        upload = client.post(f"/cases/{case.number}/materials/{material.pk}/upload/", {"file": pdf_upload()})
        assert upload.status_code == 404
    assert refreshed(case).status == Status.PENDING
    client.force_login(w.applicant)
    page(client, f"/cases/{case.number}/trace/", status=404)  # the record with staff logins is for staff


def test_pages_need_a_login(client, w):
    case = make.online(w)
    for url in ["/cases/", "/cases/mine/", "/cases/queue/", f"/cases/{case.number}/", "/cases/intake/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_staff_pages_say_which_role_is_needed(client, w):
    client.force_login(w.applicant)
    html = page(client, "/cases/intake/", status=403)
    assert "窗口受理" in html  # the role that may receive at the window
    page(client, "/cases/supervision/", status=403)
    page(client, "/cases/queue/", status=403)


# --- online application, without JavaScript -------------------------------------------------------------


def test_an_applicant_applies_online_with_plain_forms():
    w = make.world(form_schema=FORM)
    client = Client()
    client.force_login(w.applicant)
    html = page(client, f"/cases/apply/{w.implementation.pk}/")
    assert "居民身份证" in html and "开始申请" in html
    response = post(client, f"/cases/apply/{w.implementation.pk}/", {})
    case = Case.objects.get(applicant_person__user=w.applicant)
    assert response["Location"] == f"/cases/{case.number}/" and case.status == Status.DRAFT

    html = page(client, f"/cases/{case.number}/")
    for label in ["收款银行账号", "提取原因", "提取金额", "本人承诺所填信息真实"]:
        assert label in html
    assert 'type="file"' in html and 'name="f-account"' in html

    # Submitting half done: the problems stand beside their fields, then beside the materials; nothing is submitted.
    url = f"/cases/{case.number}/draft/"
    response = client.post(url, {"version": case.version, "do": "submit", "f-amount": "x"})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="id_f-amount_error"' in text and 'aria-invalid="true"' in text
    response = client.post(url, {"version": case.version, "do": "submit", "f-reason": "退休"})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="id_f-account_error"' in text and "请填写此项" in text
    assert refreshed(case).form_data == {"reason": "退休", "agree": False}  # what was filled in is kept
    response = client.post(
        url, {"version": refreshed(case).version, "do": "submit", "f-account": "1", "f-reason": "退休"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    for m in case.materials.all():
        assert f'id="material-{m.pk}-error"' in text and f"缺少必要材料：{m.name}" in text
    assert refreshed(case).status == Status.DRAFT

    files = {f"file-{m.pk}": pdf_upload(f"{m.name}.pdf") for m in case.materials.all()}
    data = {"version": refreshed(case).version, "do": "save", "f-account": "6222000011112222", "f-agree": "on"}
    post(client, f"/cases/{case.number}/draft/", {**data, "f-reason": "退休", "f-amount": "1200.5", **files})
    case = refreshed(case)
    assert case.status == Status.DRAFT
    assert case.form_data == {"account": "6222000011112222", "reason": "退休", "amount": 1200.5, "agree": True}
    assert all(m.state == MaterialState.PROVIDED for m in case.materials.all())
    assert "申请已保存，尚未提交" in page(client, f"/cases/{case.number}/")

    post(
        client,
        f"/cases/{case.number}/draft/",
        {"version": case.version, "do": "submit", "f-account": "6222000011112222"},
    )
    case = refreshed(case)
    assert case.status == Status.PENDING and case.form_data["account"] == "6222000011112222"
    html = page(client, f"/cases/{case.number}/")
    assert "申请已提交" in html and "待受理" in html
    mine = page(client, "/cases/mine/")
    assert case.number in mine and "待受理" in mine


def test_applying_without_a_registered_person_says_so(client, w):
    client.force_login(people.user())
    html = page(client, f"/cases/apply/{w.implementation.pk}/")
    assert 'id="no-person"' in html and "实名" in html
    response = client.post(f"/cases/apply/{w.implementation.pk}/", {})
    assert response.status_code == 400 and "请先完成实名登记" in response.content.decode()


# --- window intake through acceptance ------------------------------------------------------------------


def test_window_intake_finds_or_registers_the_applicant_then_receives(client, w):
    client.force_login(w.clerk)
    html = page(client, "/cases/intake/?q=公积金")
    assert f"?implementation={w.implementation.pk}" in html
    number = people.resident_id("411502", "20000101")
    html = page(client, f"/cases/intake/?implementation={w.implementation.pk}&id_number={number}")
    assert 'id="applicant-missing"' in html
    url = "/cases/intake/"
    base = {"implementation": w.implementation.pk, "id_number": number}
    post(client, url, {**base, "do": "register", "name": ""}, status=400)
    post(client, url, {**base, "do": "register", "name": "王五", "phone": "13900001111"})
    person = Person.objects.get(id_number=number)
    html = page(client, f"/cases/intake/?implementation={w.implementation.pk}&id_number={number}")
    found = html[html.index('id="applicant-found"') :]
    found = found[: found.index("</p>")]
    assert "王*" in found and number[:4] + "**********" + number[-4:] in found and number not in found
    assert PersonalDataAccess.objects.filter(person=person, user=w.clerk).exists()  # the look-up is logged

    response = client.post(url, {**base, "do": "receive", "identity_check": ""})
    assert response.status_code == 400 and 'id="identity_check-error"' in response.content.decode()
    response = post(client, url, {**base, "do": "receive", "identity_check": "身份证读卡器核验"})
    case = Case.objects.get(applicant_person=person)
    assert response["Location"] == f"/cases/{case.number}/"
    assert case.status == Status.PENDING and case.identity_check == "身份证读卡器核验"

    html = page(client, f"/cases/{case.number}/")
    assert 'data-material-action="record"' in html and 'data-material-action="upload"' in html
    first, second = case.materials.order_by("order", "id")
    post(
        client,
        f"/cases/{case.number}/materials/{first.pk}/record/",
        {"version": refreshed(case).version, "evidence": "original_seen"},
    )
    response = client.post(
        f"/cases/{case.number}/materials/{second.pk}/upload/",
        {"version": refreshed(case).version, "file": SimpleUploadedFile("x.pdf", b"not a pdf")},
    )
    assert response.status_code == 400 and f'id="material-{second.pk}-error"' in response.content.decode()
    post(
        client,
        f"/cases/{case.number}/materials/{second.pk}/upload/",
        {"version": refreshed(case).version, "file": pdf_upload()},
    )
    post(client, f"/cases/{case.number}/actions/accept/", {"version": refreshed(case).version})
    case = refreshed(case)
    assert case.status == Status.IN_REVIEW and case.promised_deadline is not None
    html = page(client, f"/cases/{case.number}/")
    assert "已完成：受理。" in html and case.acceptance_number in html


def test_intake_refuses_a_bad_id_number_beside_the_field(client, w):
    client.force_login(w.clerk)
    response = client.get(f"/cases/intake/?implementation={w.implementation.pk}&id_number=123")
    assert response.status_code == 400
    assert 'id="id_number-error"' in response.content.decode()


# --- the action forms ------------------------------------------------------------------------------------


def test_refusal_needs_reasons_and_shows_the_error_beside_the_field(client, w):
    case = make.online(w)
    client.force_login(w.clerk)
    response = client.post(
        f"/cases/{case.number}/actions/refuse/", {"version": case.version, "reasons": "", "basis": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="refuse-reasons-error"' in html and 'aria-describedby="refuse-reasons-hint refuse-reasons-error"' in html
    assert re.search(r'<div class="action action-refuse action-failed"[^>]*>\s*<details open', html)
    assert ">x</textarea>" in html  # what was typed is kept
    assert refreshed(case).status == Status.PENDING


def test_correction_round_trip_through_the_pages(client, w):
    case = make.online(w)
    first, second = case.materials.order_by("order", "id")
    client.force_login(w.clerk)
    data = {"version": case.version, f"m{first.pk}-problem": "复印件不清晰", f"m{first.pk}-requirement": "彩色扫描件"}
    post(client, f"/cases/{case.number}/actions/request-correction/", data)
    case = refreshed(case)
    assert case.status == Status.CORRECTION
    assert case.materials.get(pk=first.pk).state == MaterialState.REJECTED

    client.force_login(w.applicant)
    html = page(client, f"/cases/{case.number}/")
    assert "复印件不清晰" in html and "correct" in actions_on(html)
    response = client.post(f"/cases/{case.number}/actions/correct/", {"version": case.version})
    assert response.status_code == 400 and "尚未补正" in response.content.decode()
    post(client, f"/cases/{case.number}/materials/{first.pk}/upload/", {"version": case.version, "file": pdf_upload()})
    post(client, f"/cases/{case.number}/actions/correct/", {"version": refreshed(case).version})
    assert refreshed(case).status == Status.PENDING
    assert second.pk  # the other material was not touched


def test_review_decision_issue_and_delivery_through_the_pages(client, w):
    case = make.accepted(w)
    client.force_login(w.reviewer)
    post(client, f"/cases/{case.number}/actions/review/", {"version": case.version, "opinion": "材料齐全"})
    post(client, f"/cases/{case.number}/actions/approve/", {"version": refreshed(case).version, "opinion": "准予提取"})
    assert refreshed(case).status == Status.APPROVED
    client.force_login(w.clerk)
    post(client, f"/cases/{case.number}/actions/issue/", {"version": refreshed(case).version, "result_number": ""})
    url = f"/cases/{case.number}/actions/deliver/"
    response = client.post(url, {"version": refreshed(case).version, "method": "window"})
    assert response.status_code == 400 and 'id="deliver-recipient_id_check-error"' in response.content.decode()
    post(client, url, {"version": refreshed(case).version, "method": "post", "carrier": "EMS", "tracking_number": "E1"})
    case = refreshed(case)
    assert case.status == Status.COMPLETED and case.delivery["tracking_number"] == "E1"
    client.force_login(w.applicant)
    html = page(client, f"/cases/{case.number}/")
    assert "已办结" in html and "结果已送达" in html and "办结通知书" in html
    assert "材料齐全" not in html  # internal review opinions are not on the applicant's page


def test_special_procedure_and_extension_show_on_the_clock(client, w):
    case = make.accepted(w)
    client.force_login(w.head)
    post(
        client, f"/cases/{case.number}/actions/extend/", {"version": case.version, "days": "5", "reason": "需补充核查"}
    )
    post(
        client,
        f"/cases/{case.number}/actions/suspend/",
        {"version": refreshed(case).version, "kind": "expert_review", "reason": "专家论证"},
    )
    html = page(client, f"/cases/{case.number}/")
    assert 'id="extensions"' in html and "需补充核查" in html and "延长 5 个工作日" in html
    assert 'id="suspensions"' in html and "专家评审" in html and "进行中" in html
    post(client, f"/cases/{case.number}/actions/resume/", {"version": refreshed(case).version, "result": "论证通过"})
    assert refreshed(case).status == Status.IN_REVIEW


def test_withdrawal_by_the_applicant(client, w):
    case = make.online(w)
    client.force_login(w.applicant)
    post(client, f"/cases/{case.number}/actions/withdraw/", {"version": case.version, "reason": "不再需要"})
    assert refreshed(case).status == Status.WITHDRAWN


def test_an_unknown_action_is_not_found(client, w):
    case = make.online(w)
    client.force_login(w.clerk)
    assert client.post(f"/cases/{case.number}/actions/deem-accepted/", {"version": case.version}).status_code == 404


# --- notices, lists, supervision, trace ---------------------------------------------------------------------


def test_notices_are_listed_and_download_with_the_session(client, w):
    case = make.accepted(w)
    notice = Notice.objects.get(case=case)
    client.force_login(w.applicant)
    html = page(client, f"/cases/{case.number}/")
    assert "受理通知书" in html and "正在生成" in html and f"/notices/{notice.pk}/" not in html
    notice.file.save("n.pdf", ContentFile(make.PDF), save=False)
    notice.state = "ready"
    notice.save()
    html = page(client, f"/cases/{case.number}/")
    link = f"/api/v1/cases/{case.number}/notices/{notice.pk}/"
    assert f'href="{link}"' in html
    response = client.get(link)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_queue_sorts_by_deadline_shows_colour_in_words_and_flags_orders(client, w):
    late, soon = make.accepted(w), make.accepted(w)
    Case.objects.filter(pk=late.pk).update(warning="red", promised_deadline=timezone.now() - timedelta(days=3))
    Case.objects.filter(pk=soon.pk).update(warning="yellow")
    services.supervise(w.actor("supervisor"), late, message="尽快")
    pending = make.online(w)
    client.force_login(w.reviewer)
    html = page(client, "/cases/queue/")
    assert html.index(late.number) < html.index(soon.number)
    assert pending.number not in html  # a reviewer's queue: cases in review
    assert "已逾期" in html and "即将到期" in html and "1 张督办单待回复" in html
    assert pending.number in page(client, "/cases/queue/?all=1")
    client.force_login(w.clerk)
    html = page(client, "/cases/queue/")
    assert pending.number in html and late.number not in html


def test_supervision_lists_red_then_yellow_and_issues_orders(client, w):
    late, soon, fine = make.accepted(w), make.accepted(w), make.accepted(w)
    Case.objects.filter(pk=soon.pk).update(warning="yellow")
    Case.objects.filter(pk=late.pk).update(warning="red")
    client.force_login(w.supervisor)
    html = page(client, "/cases/supervision/")
    assert html.index(late.number) < html.index(soon.number) and fine.number not in html
    response = post(
        client,
        f"/cases/{late.number}/actions/supervise/",
        {"version": refreshed(late).version, "message": "请今日办结", "days": "1", "next": "/cases/supervision/"},
    )
    assert response["Location"] == "/cases/supervision/"
    assert SupervisionOrder.objects.filter(case=late, message="请今日办结").exists()
    assert "1 张督办单待回复" in page(client, "/cases/supervision/")
    client.force_login(w.clerk)
    page(client, "/cases/supervision/", status=403)


def test_the_trace_page_shows_who_and_whether_the_chain_holds(client, w):
    case = make.accepted(w)
    client.force_login(w.reviewer)
    html = page(client, f"/cases/{case.number}/trace/")
    assert 'class="chain chain-ok"' in html and "记录完整" in html
    assert w.clerk.username in html and "窗口受理" in html and "待受理" in html and "审查中" in html
    CaseEvent.objects.filter(case=case, seq=2).update(payload={"material": "伪造"})
    html = page(client, f"/cases/{case.number}/trace/")
    assert 'class="chain chain-broken"' in html and "第 2 条" in html


def test_the_cases_menu_and_home_follow_the_role(client, w):
    client.force_login(w.clerk)
    assert client.get("/cases/")["Location"] == "/cases/queue/"
    html = page(client, "/cases/queue/")
    assert 'aria-label="办件"' in html and "窗口收件" in html and "我的待办" in html
    client.force_login(w.supervisor)
    assert client.get("/cases/")["Location"] == "/cases/supervision/"
    client.force_login(w.applicant)
    assert client.get("/cases/")["Location"] == "/cases/mine/"
    assert "窗口收件" not in page(client, "/cases/mine/")


def test_the_notice_check_page_still_works(client, w):
    case = make.accepted(w)
    notice = Notice.objects.get(case=case)
    html = page(client, f"/notices/verify/{notice.token}/")
    assert notice.number in html and "该文书由本系统出具" in html
    page(client, "/notices/verify/nothing/", status=404)
    notice.sha256 = "0" * 64
    notice.save()
    response = client.post(f"/notices/verify/{notice.token}/", {"file": SimpleUploadedFile("n.pdf", b"%PDF-1.4 other")})
    assert "不一致" in response.content.decode()
