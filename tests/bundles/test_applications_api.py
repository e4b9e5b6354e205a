"""The bundle application API (/api/v1/bundle-applications/) as its clients use it: a window clerk and an
online applicant apply through it, each sees only what is theirs, refusals are named and change nothing,
and the package is handed out with one timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.bundles.test_applications import (
    BIRTH_PROOF,
    CERT_DATA,
    FORM,
    ID_CARD,
    Birth,
    birth,  # noqa: F401  (the fixture)
    grant,
    item,
    received,
)
from tests.cases.make import PDF
from tests.federation.conftest import federation  # noqa: F401  (the node key and trust list)
from tests.identity import make
from tongban.bundles.models import BundleCase, BundleCaseStatus
from tongban.cases.models import Case

pytestmark = pytest.mark.django_db

ROOT = "/api/v1/bundle-applications/"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    return response.json()


def problems(response: Any, status: int) -> list[tuple[str | None, str]]:
    """Every problem of an error answer as (field, code), after checking the shape every error has."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert body["status"] == status and body["errors"]
    assert all(p["message_zh"] and p["message_en"] for p in body["errors"])
    return [(p["field"], p["code"]) for p in body["errors"]]


def post(client: APIClient, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(ROOT + path, body or {}, format="json")


def material_id(state: dict[str, Any], name: str) -> int:
    return next(m["id"] for m in state["materials"] if m["name"] == name)


def start(client: APIClient, w: Birth, form: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {
        "bundle": w.bundle.code,
        "channel": "window",
        "person": w.person.pk,
        "identity_check": "居民身份证原件核验",
        "form_data": form or FORM,
    }
    return ok(client.post(ROOT, body, format="json"), 201)


def history(bundle_case_id: int) -> tuple[str, int, int]:
    bc = BundleCase.objects.get(pk=bundle_case_id)
    return bc.status, bc.version, bc.events.count()


def test_a_window_clerk_applies_gives_each_material_once_submits_and_sees_the_items(birth):  # noqa: F811
    clerk = client_for(birth.clerk)
    state = start(clerk, birth)
    assert (state["status"], state["channel"], state["bundle_code"]) == ("draft", "window", "xy-birth")
    assert state["applicant"]["name"] == "张伟" and "*" in state["applicant"]["code"]  # the ID number is masked
    assert {m["name"]: m["from_result_of"] for m in state["materials"]} == {
        "父母居民身份证": "",
        BIRTH_PROOF: "cert",
        ID_CARD: "",
    }
    app = f"{state['id']}/"

    # A file on its own is an upload (multipart); a material seen at the window is said so (JSON).
    upload = SimpleUploadedFile("身份证.pdf", PDF, content_type="application/pdf")
    answer = clerk.post(f"{ROOT}{app}materials/{material_id(state, ID_CARD)}/", {"file": upload}, format="multipart")
    state = ok(answer)
    given = next(m for m in state["materials"] if m["name"] == ID_CARD)
    assert given["evidence"] == "upload" and given["original_name"] == "身份证.pdf"
    assert given["size"] == len(PDF) and len(given["sm3"]) == 64
    body = {"evidence": "original_seen", "version": state["version"]}
    state = ok(post(clerk, f"{app}materials/{material_id(state, '父母居民身份证')}/", body))

    state = ok(post(clerk, f"{app}submit/", {"version": state["version"]}))
    assert state["status"] == "running" and state["promised_deadline"]
    items = {i["key"]: i for i in state["items"]}
    assert {k: i["state"] for k, i in items.items()} == {
        "cert": "running",
        "hukou": "waiting",
        "medical": "waiting",
        "card": "waiting",
    }
    cert = Case.objects.get(bundle_case_id=state["id"], bundle_key="cert")
    assert (items["cert"]["case_number"], items["cert"]["case_status"]) == (cert.number, "pending")
    assert items["cert"]["department"] == "信阳市卫生健康委员会" and items["cert"]["state_label"]
    assert items["hukou"]["case_number"] is None and items["hukou"]["depends_on"] == ["cert"]

    assert ok(clerk.get(f"{ROOT}{app}")) == state
    assert [row["number"] for row in ok(clerk.get(f"{ROOT}?status=running"))["results"]] == [state["number"]]


def test_online_an_applicant_sees_their_own_and_staff_see_it_once_submitted(birth):  # noqa: F811
    me, other = client_for(make.applicant("411500")), client_for(make.applicant("411500"))
    clerk, far = client_for(birth.clerk), client_for(make.staff("window_clerk", "320500"))
    state = ok(me.post(ROOT, {"bundle": "xy-birth", "channel": "online", "form_data": FORM}, format="json"), 201)
    app = f"{ROOT}{state['id']}/"
    for m in state["materials"]:
        if not m["from_result_of"]:
            upload = SimpleUploadedFile("m.pdf", PDF)
            ok(me.post(f"{app}materials/{m['id']}/", {"evidence": "upload", "file": upload}, format="multipart"))

    # An unsubmitted online draft is its applicant's alone: the same 404 as for a number that does not exist.
    for outsider in (other, clerk, far):
        assert problems(outsider.get(app), 404) == [("id", "not_found")]
        assert problems(post(outsider, f"{state['id']}/submit/"), 404) == [("id", "not_found")]
        assert ok(outsider.get(ROOT))["count"] == 0
    assert history(state["id"])[0] == "draft"

    state = ok(post(me, f"{state['id']}/submit/"))
    assert state["status"] == "running"
    assert ok(clerk.get(app))["items"][0]["case_status"] == "pending"
    assert [row["id"] for row in ok(clerk.get(ROOT))["results"]] == [state["id"]]
    for outsider in (other, far):
        assert problems(outsider.get(app), 404) == [("id", "not_found")]
        assert ok(outsider.get(ROOT))["count"] == 0
    assert problems(me.get(f"{ROOT}999999/"), 404) == [("id", "not_found")]


def test_refusals_name_the_field_or_the_reason_and_change_nothing(birth):  # noqa: F811
    clerk, reviewer = client_for(birth.clerk), client_for(birth.reviewers["cert"])
    body = {"bundle": "xy-birth", "channel": "window", "person": birth.person.pk, "identity_check": "核验"}
    response = reviewer.post(ROOT, body, format="json")
    assert problems(response, 403) == [(None, "role_required")]
    assert "window_clerk" in response.json()["errors"][0]["message_en"]
    assert not BundleCase.objects.exists()

    state = start(clerk, birth, form={**FORM, "phone": ""})
    app = f"{state['id']}/"
    before = history(state["id"])
    assert problems(post(reviewer, f"{app}submit/"), 403) == [(None, "role_required")]

    refused = problems(post(clerk, f"{app}submit/"), 400)
    assert ("form_data.phone", "form_minLength") in refused
    assert sum(1 for _, code in refused if code == "material_missing") == 2

    wrong = SimpleUploadedFile("身份证.pdf", b"not a scan at all", content_type="application/pdf")
    answer = clerk.post(f"{ROOT}{app}materials/{material_id(state, ID_CARD)}/", {"file": wrong}, format="multipart")
    assert problems(answer, 400) == [("file", "file_type")]
    proof = material_id(state, BIRTH_PROOF)
    assert problems(post(clerk, f"{app}materials/{proof}/", {"evidence": "original_seen"}), 400) == [
        ("material", "from_result")
    ]
    assert problems(post(clerk, f"{app}materials/999999/", {"evidence": "original_seen"}), 404) == [
        ("material_id", "not_found")
    ]
    stale = {"form_data": FORM, "version": state["version"] - 1}
    assert problems(post(clerk, f"{app}form/", stale), 409) == [("version", "stale")]
    assert problems(post(clerk, f"{app}deliver/", {"method": "window"}), 409) == [("status", "wrong_state")]
    assert problems(clerk.get(f"{ROOT}?status=lost"), 400) == [("status", "unknown")]

    assert history(state["id"]) == before
    assert not BundleCase.objects.get(pk=state["id"]).materials.exclude(evidence="").exists()
    assert not Case.objects.exists()


def test_the_package_is_handed_out_once_ready_and_the_timeline_is_one_in_time_order(birth):  # noqa: F811
    bc = received(birth)
    clerk = client_for(birth.clerk)
    app = f"{bc.pk}/"
    grant(birth, item(bc, "cert"), license_data=CERT_DATA)
    grant(birth, item(bc, "hukou"))
    grant(birth, item(bc, "medical"))
    body = {"method": "window", "recipient_id_check": "居民身份证原件核验"}
    assert problems(post(clerk, f"{app}deliver/", body), 409) == [("status", "wrong_state")]
    grant(birth, item(bc, "card"))
    state = ok(clerk.get(f"{ROOT}{app}"))
    assert state["status"] == BundleCaseStatus.READY
    assert {i["state"] for i in state["items"]} == {"ready"}

    state = ok(post(clerk, f"{app}deliver/", {**body, "version": state["version"]}))
    assert state["status"] == "completed" and state["delivered_at"]
    assert {i["state"] for i in state["items"]} == {"done"}
    assert state["delivery"]["cases"] == [i["case_number"] for i in state["items"]]

    entries = ok(clerk.get(f"{ROOT}{app}timeline/"))
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert [e["action"] for e in entries][:2] == ["create", "give-material"]
    assert entries[-1]["action"] == "deliver" and entries[-1]["item"] == ""
    dispatched = next(e for e in entries if e["action"] == "dispatch" and e["item"] == "hukou")
    assert dispatched["item_name"] == "新生儿入户" and dispatched["case"] == item(bc, "hukou").number
    assert {e["item"] for e in entries if e["item"]} == {"cert", "hukou", "medical", "card"}
    assert set(entries[0]) == {"at", "item", "item_name", "action", "actor", "status", "case", "payload"}
