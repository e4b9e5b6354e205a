"""The case API (/api/v1/cases/) as its clients use it: whole flows to completion, lists and their filters,
one call for a whole case, one POST per action, versions, Idempotency-Key, and errors in one shape."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.cases import make as m
from tests.cases.conftest import ZONE
from tests.identity import make as im
from tongban.cases import api, lifecycle, services
from tongban.cases.choices import NoticeState
from tongban.cases.models import Case, Notice
from tongban.identity.models import Person
from tongban.workdays.models import CalendarYear

pytestmark = pytest.mark.django_db

ISSUE_ACTIONS = [
    "submit",
    "receive",
    "accept",
    "refuse",
    "request-correction",
    "correct",
    "review",
    "approve",
    "deny",
    "extend",
    "suspend",
    "resume",
    "withdraw",
    "terminate",
    "issue",
    "deliver",
]


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def url(case: Case | str, action: str | None = None) -> str:
    number = case if isinstance(case, str) else case.number
    return f"/api/v1/cases/{number}/" + (f"{action}/" if action else "")


def post(client: APIClient, case: Case | str, action: str, body: dict[str, Any] | None = None, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url(case, action), body or {}, format="json", **headers)


def ok(response, status: int = 200) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content.decode()
    return response.json()


def error(response, status: int) -> tuple[str | None, str]:  # type: ignore[no-untyped-def]
    """The first problem of an error answer as (field, code), after checking the shape every error has."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert body["status"] == status and body["errors"]
    for problem in body["errors"]:
        assert set(problem) >= {"field", "code", "message_zh", "message_en"}
        assert problem["message_zh"] and problem["message_en"]
    first = body["errors"][0]
    return first["field"], first["code"]


def history(case: Case) -> tuple[int, int]:
    case.refresh_from_db()
    return case.version, case.events.count()


# --- whole flows --------------------------------------------------------------------------------------------


def test_online_application_through_the_api_to_completion(monkeypatch):
    completed: list[str] = []
    monkeypatch.setattr(services, "AFTER_COMPLETION", [lambda c: completed.append(c.number)])
    w = m.world()
    applicant, clerk, reviewer, head = (client_for(u) for u in (w.applicant, w.clerk, w.reviewer, w.head))

    created = applicant.post("/api/v1/cases/", {"implementation": w.implementation.implementation_code}, format="json")
    state = ok(created, 201)
    number = state["number"]
    assert (state["status"], state["allowed_actions"]) == ("draft", ["save", "submit", "withdraw"])
    detail = ok(applicant.get(url(number)))
    for material in detail["materials"]:
        upload = SimpleUploadedFile(f"{material['name']}.pdf", m.PDF)
        ok(applicant.post(f"{url(number)}materials/{material['id']}/files/", {"file": upload}), 201)
    state = ok(post(applicant, number, "submit"))
    assert state["status"] == "pending" and state["allowed_actions"] == ["withdraw"]

    state = ok(clerk.get(url(number)))
    assert set(state["allowed_actions"]) == {"accept", "refuse", "request-correction", "withdraw"}
    state = ok(post(clerk, number, "accept", {"version": state["version"]}))
    assert state["status"] == "in_review" and state["promised_deadline"] and state["statutory_deadline"]
    state = ok(post(reviewer, number, "review", {"opinion": "材料齐全", "version": state["version"]}))
    assert state["current_step"] == 1 and "approve" in state["allowed_actions"]
    state = ok(post(head, number, "approve", {"opinion": "准予提取", "version": state["version"]}))
    assert state["status"] == "approved"
    state = ok(post(clerk, number, "issue", {"result_number": "GJJ-2026-0001"}))
    assert (state["status"], state["allowed_actions"]) == ("issued", ["deliver"])
    body = {"method": "post", "carrier": "中国邮政EMS", "tracking_number": "1181234567890", "address": "信阳市"}
    state = ok(post(clerk, number, "deliver", body))
    assert (state["status"], state["allowed_actions"]) == ("completed", [])
    assert completed == [number]

    detail = ok(applicant.get(url(number)))
    assert [e["action"] for e in detail["events"]] == [
        "create",
        "attach",
        "attach",
        "submit",
        "accept",
        "review",
        "approve",
        "issue",
        "deliver",
    ]
    assert detail["delivery"] == {"carrier": "中国邮政EMS", "tracking_number": "1181234567890", "address": "信阳市"}
    assert detail["result_number"] == "GJJ-2026-0001"
    assert [n["kind"] for n in detail["notices"]] == ["acceptance", "decision"]
    assert [o["step_name"] for o in detail["opinions"]] == ["审查", "审批"]


def test_window_intake_through_the_api_to_completion():
    w = m.world()
    clerk, reviewer = client_for(w.clerk), client_for(w.reviewer)
    person = Person.objects.get(user=w.applicant)
    received = {"implementation": str(w.implementation.pk), "person": person.pk, "identity_check": "身份证读卡器核验"}
    state = ok(clerk.post("/api/v1/cases/receive/", received, format="json"), 201)
    number = state["number"]
    assert state["status"] == "pending"
    detail = ok(clerk.get(url(number)))
    assert detail["channel"] == "window" and detail["identity_check"] == "身份证读卡器核验"
    assert detail["applicant"]["name"] == "李四" and "*" in detail["applicant"]["code"]  # the ID number is masked
    for material, evidence in zip(detail["materials"], ("original_seen", "copy_scanned"), strict=True):
        ok(post(clerk, number, f"materials/{material['id']}/record", {"evidence": evidence}))
    ok(post(clerk, number, "accept"))
    ok(post(reviewer, number, "review", {"opinion": "符合条件"}))
    ok(post(reviewer, number, "approve"))
    ok(post(clerk, number, "issue"))
    field, code = error(post(clerk, number, "deliver", {"method": "window"}), 400)
    assert (field, code) == ("recipient_id_check", "required")
    state = ok(post(clerk, number, "deliver", {"method": "window", "recipient_id_check": "核验领取人身份证原件"}))
    assert state["status"] == "completed"
    detail = ok(clerk.get(url(number)))
    assert [(x["name"], x["evidence"]) for x in detail["materials"]] == [
        ("居民身份证", "original_seen"),
        ("退休证明", "copy_scanned"),
    ]


# --- lists and who sees what ----------------------------------------------------------------------------------


def numbers(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {row["number"] for row in ok(response)["results"]}


def test_list_filters_and_who_sees_which_case():
    w = m.world()
    pending = m.online(w)
    running = m.accepted(w)
    other = m.world()  # another department in the same region
    theirs = m.online(other)
    far = m.world("320500")
    distant = m.online(far)
    services.refresh_warnings(now=running.promised_deadline + timedelta(days=3))
    root = client_for(im.user("root", is_superuser=True))
    everything = {pending.number, running.number, theirs.number, distant.number}

    assert numbers(root.get("/api/v1/cases/")) == everything
    assert numbers(root.get("/api/v1/cases/?status=pending")) == {pending.number, theirs.number, distant.number}
    assert numbers(root.get("/api/v1/cases/?status=in_review,pending")) == everything
    assert numbers(root.get("/api/v1/cases/?warning=red")) == {running.number}
    assert numbers(root.get(f"/api/v1/cases/?department={other.department.pk}")) == {theirs.number}
    assert numbers(root.get("/api/v1/cases/?region=320500")) == {distant.number}
    assert numbers(root.get("/api/v1/cases/?region=410000")) == everything - {distant.number}
    me = Person.objects.get(user=w.applicant)
    assert numbers(root.get(f"/api/v1/cases/?applicant={me.pk}")) == {pending.number, running.number}
    assert numbers(root.get(f"/api/v1/cases/?number={running.number}")) == {running.number}
    assert numbers(root.get("/api/v1/cases/?open=1")) == everything
    assert error(root.get("/api/v1/cases/?status=lost"), 400) == ("status", "unknown")
    assert error(root.get("/api/v1/cases/?warning=purple"), 400) == ("warning", "unknown")
    assert error(root.get("/api/v1/cases/?department=x"), 400) == ("department", "not_integer")

    # Staff see their department in their region; supervisors their region and below; applicants their own.
    assert numbers(client_for(w.clerk).get("/api/v1/cases/")) == {pending.number, running.number}
    assert numbers(client_for(w.applicant).get("/api/v1/cases/")) == {pending.number, running.number}
    assert numbers(client_for(far.clerk).get("/api/v1/cases/")) == {distant.number}
    for outsider in (other.clerk, far.clerk, other.applicant):
        client = client_for(outsider)
        assert pending.number not in numbers(client.get("/api/v1/cases/"))
        assert error(client.get(url(pending)), 404) == ("number", "not_found")
        assert error(post(client, pending, "accept"), 404) == ("number", "not_found")
    assert history(pending)[1] == pending.events.count()


def test_a_supervisor_lists_the_cases_of_their_region_and_below():
    w = m.world()
    here = m.online(w)
    far = m.world("320500")
    m.online(far)
    supervisor = client_for(w.supervisor)
    assert numbers(supervisor.get("/api/v1/cases/")) == {here.number}
    assert ok(supervisor.get(url(here)))["number"] == here.number


def test_the_detail_gives_the_whole_case_in_one_call():
    w = m.world()
    case = m.accepted(w)
    services.suspend(w.actor("reviewer"), case, kind="inspection", reason="需现场检验")
    services.resume(w.actor("reviewer"), case, result="检验合格")
    services.extend(w.actor("head"), case, days=3, reason="情况复杂")
    detail = ok(client_for(w.head).get(url(case)))
    assert detail["status"] == "in_review" and detail["version"] == history(case)[0]
    assert [x["name"] for x in detail["materials"]] == ["居民身份证", "退休证明"]
    assert all(x["files"] and x["files"][0]["sm3"] for x in detail["materials"])
    assert [e["seq"] for e in detail["events"]] == list(range(1, case.events.count() + 1))
    assert all(len(e["hash"]) == 64 for e in detail["events"])
    clock = detail["clock"]
    assert clock["acceptance_number"] and clock["promised_deadline"] and clock["statutory_deadline"]
    assert clock["extension_days"] == 3 and clock["running"] is True and clock["left"] is not None
    assert [n["kind"] for n in detail["notices"]] == ["acceptance"]
    assert detail["notices"][0]["verify_url"].startswith("http")
    assert [s["kind"] for s in detail["suspensions"]] == ["inspection"]
    assert [(x["days"], x["reason"]) for x in detail["extensions"]] == [(3, "情况复杂")]
    assert set(detail["allowed_actions"]) == {"review", "suspend", "extend", "terminate"}
    assert detail["review_steps"] == ["审查", "审批"] and detail["case_type"] == "promised"


# --- the action endpoints ---------------------------------------------------------------------------------------


def test_every_action_of_the_issue_has_an_endpoint_that_runs_its_command():
    # create and receive have their own endpoints; deem-accepted and lapse are the worker's rules alone.
    assert set(lifecycle.ACTIONS) - {"create", "receive", "deem-accepted", "lapse"} <= set(api.ACTIONS)
    w = m.world()
    case = m.accepted(w)
    services.review(w.actor("reviewer"), case, opinion="同意")
    services.approve(w.actor("head"), case)
    services.issue(w.actor("clerk"), case)
    services.deliver(w.actor("clerk"), case, method="online")
    clerk = client_for(w.clerk)
    before = history(case)
    for name in ISSUE_ACTIONS:
        if name == "receive":
            assert reverse("case-receive") == "/api/v1/cases/receive/"
            continue
        assert reverse(f"case-{name}", args=[case.number]) == url(case, name)
        # The case is completed: every action answers "not in this state", which only its command can say.
        assert error(post(clerk, case, name), 409) == ("action", "wrong_state"), name
    assert history(case) == before


def test_wrong_state_wrong_role_and_missing_materials():
    w = m.world()
    draft = m.online(w, submit=False)
    person = Person.objects.get(user=w.applicant)
    window = services.receive(w.actor("clerk"), implementation=w.implementation, person=person, identity_check="核验")
    clerk, applicant = client_for(w.clerk), client_for(w.applicant)

    # An unsubmitted draft is the applicant's alone: staff cannot even see it.
    assert error(post(clerk, draft, "accept"), 404) == ("number", "not_found")
    assert error(post(applicant, draft, "deliver"), 409) == ("action", "wrong_state")
    assert error(post(applicant, window, "accept"), 403) == (None, "role_required")
    assert error(post(client_for(w.reviewer), window, "accept"), 403) == (None, "role_required")
    response = post(clerk, window, "accept")
    error(response, 400)
    assert [(p["field"], p["code"]) for p in response.json()["errors"]] == [
        (f"materials[{x.pk}]", "material_missing") for x in window.materials.all()
    ]
    assert [p["message_zh"] for p in response.json()["errors"]] == [
        "缺少必要材料：居民身份证",
        "缺少必要材料：退休证明",
    ]
    assert error(post(clerk, window, "request-correction", {"items": []}), 400) == ("items", "required")
    assert error(post(clerk, window, "refuse", {"reasons": "不属于本机关"}), 400) == ("basis", "required")
    assert window.events.count() == 1 and Case.objects.get(pk=window.pk).status == "pending"


def test_bad_input_on_a_running_case_names_the_field():
    w = m.world()
    case = m.accepted(w)
    reviewer, head = client_for(w.reviewer), client_for(w.head)
    before = history(case)
    assert error(post(reviewer, case, "suspend", {"kind": "hearing"}), 400) == ("reason", "required")
    assert error(post(reviewer, case, "suspend", {"kind": "nap", "reason": "x"}), 400) == ("kind", "unknown")
    assert error(post(head, case, "extend", {"days": 99, "reason": "x"}), 400) == ("days", "out_of_range")
    assert error(post(reviewer, case, "extend", {"days": 3, "reason": "x"}), 403) == (None, "role_required")
    assert error(post(head, case, "terminate", {}), 400) == ("reasons", "required")
    assert error(post(head, case, "approve"), 409) == ("action", "condition_not_met")
    assert error(post(head, case, "review", {"opinion": "x", "version": "v2"}), 400) == ("version", "not_integer")
    assert error(reviewer.post(url(case, "review"), "[1, 2]", content_type="application/json"), 400)[1] == "not_object"
    assert error(reviewer.post(url(case, "review"), "{not json", content_type="application/json"), 400)[1] == (
        "parse_error"
    )
    assert history(case) == before


def test_a_deadline_in_an_unknown_year_is_a_400_and_the_case_stays_pending(clock):
    last = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first()
    clock.set(datetime(last, 12, 15, 10, tzinfo=ZONE))
    w = m.world()
    case = m.online(w)
    before = history(case)
    response = post(client_for(w.clerk), case, "accept")
    assert error(response, 400) == (None, "calendar_year_unknown")
    assert str(last + 1) in response.json()["errors"][0]["message_en"]
    case.refresh_from_db()
    assert case.status == "pending" and case.accepted_at is None
    assert history(case) == before


# --- concurrency and retries ---------------------------------------------------------------------------------------


def test_two_clerks_on_one_case_the_second_gets_409():
    w = m.world()
    case = m.online(w)
    first, second = client_for(w.clerk), client_for(im.staff("window_clerk", "411500", department=w.department))
    seen_first = ok(first.get(url(case)))["version"]
    seen_second = ok(second.get(url(case)))["version"]
    material = case.materials.first().pk
    ok(
        post(
            first,
            case,
            "request-correction",
            {"version": seen_first, "items": [{"material": material, "problem": "缺页"}]},
        )
    )
    before = history(case)
    assert error(post(second, case, "accept", HTTP_IF_MATCH=f'W/"{seen_second}"'), 409) == ("version", "stale_version")
    assert error(post(second, case, "accept", {"version": seen_second}), 409) == ("version", "stale_version")
    assert history(case) == before
    assert ok(second.get(url(case)))["status"] == "correction"


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_answer():
    w = m.world()
    case = m.online(w)
    clerk = client_for(w.clerk)
    seen = case.version
    first = post(clerk, case, "accept", {"version": seen}, HTTP_IDEMPOTENCY_KEY="accept-1")
    after_first = history(case)
    again = post(clerk, case, "accept", {"version": seen}, HTTP_IDEMPOTENCY_KEY="accept-1")
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert history(case) == after_first
    assert case.notices.count() == 1
    reused = post(clerk, case, "accept", {"version": seen + 1}, HTTP_IDEMPOTENCY_KEY="accept-1")
    assert error(reused, 422) == ("Idempotency-Key", "key_reused")
    assert history(case) == after_first


def test_a_retried_create_makes_one_draft():
    w = m.world()
    applicant = client_for(w.applicant)
    body = {"implementation": w.implementation.implementation_code}
    first = ok(applicant.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="draft-1"), 201)
    again = ok(applicant.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="draft-1"), 201)
    assert again == first and Case.objects.count() == 1
    assert error(applicant.post("/api/v1/cases/", {}, format="json"), 400) == ("implementation", "required")
    bare = client_for(im.user())
    assert error(bare.post("/api/v1/cases/", body, format="json"), 400) == ("applicant", "no_person")
    assert Case.objects.count() == 1


# --- notices ---------------------------------------------------------------------------------------------------


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}})
def test_the_acceptance_notice_is_rendered_after_commit_and_can_be_downloaded(django_capture_on_commit_callbacks):
    w = m.world()
    case = m.online(w)
    clerk = client_for(w.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        ok(post(clerk, case, "accept"))
    notice = Notice.objects.get(case=case)
    assert notice.state == NoticeState.READY and notice.file and notice.sha256
    listed = ok(clerk.get(url(case)))["notices"][0]
    assert listed["state"] == "ready" and listed["url"]
    response = clerk.get(listed["url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
