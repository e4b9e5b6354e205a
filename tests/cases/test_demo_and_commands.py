"""The demo's cases, the worker, the lifecycle document, the chain check and the national export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.cases import make as m
from tongban.cases import services
from tongban.cases.choices import NoticeState, Status
from tongban.cases.demo import ensure_demo_cases
from tongban.cases.lifecycle_doc import DOC_PATH, render
from tongban.cases.models import Case, CaseEvent, Notice
from tongban.catalog.demo import load_demo
from tongban.identity.demo import ensure_demo_staff

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_lifecycle_document_is_what_the_table_renders():
    committed = (ROOT / DOC_PATH).read_text(encoding="utf-8")
    assert committed == render(), "run `tongban lifecycle_diagram` and commit docs/case-lifecycle.md"


def test_demo_cases_cover_the_main_statuses_once_and_the_worker_renders_their_notices(tmp_path, monkeypatch):
    from tongban.licenses import keystore
    from tongban.licenses.demo import ensure_demo_seals
    from tongban.licenses.models import License

    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path))  # the seals' keys go there
    keystore.forget()
    load_demo()
    ensure_demo_staff("411500")
    assert ensure_demo_seals("411500") > 0
    assert ensure_demo_cases("411500") == 9
    # the demo applicant's own certificate (无犯罪记录证明), signed with the police station's seal
    assert License.objects.filter(holder_code="110101199003070011").exists()
    assert ensure_demo_cases("411500") == 0
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == {
        Status.DRAFT,
        Status.PENDING,
        Status.CORRECTION,
        Status.IN_REVIEW,
        Status.SUSPENDED,
        Status.COMPLETED,
    }
    assert Notice.objects.filter(state=NoticeState.PENDING).exists()
    call_command("worker", once=True, stdout=io.StringIO())
    assert not Notice.objects.exclude(state=NoticeState.READY).exists()
    for completed in Case.objects.filter(status=Status.COMPLETED):
        assert completed.notices.filter(kind="decision").get().sha256
    # SCENARIOS §5 and §6 on the demo node: one granted on a commitment awaiting its 事后核查, one accepted
    # with a material missing (容缺), its notice of what to supply rendered.
    on_word = Case.objects.get(commitments__kind="commitment")
    assert (on_word.status, on_word.verifications.get().state) == (Status.COMPLETED, "open")
    tolerant = Case.objects.get(commitments__kind="tolerance")
    assert tolerant.status == Status.IN_REVIEW
    assert tolerant.materials.filter(state="tolerated", supply_by__isnull=False).count() == 1
    assert tolerant.notices.get(kind="tolerance").sha256


def test_verify_events_names_the_case_and_event_whose_link_broke():
    w = m.world()
    case = m.accepted(w)
    out = io.StringIO()
    call_command("verify_events", stdout=out)
    assert "checked 1 cases, 0 broken" in out.getvalue()
    CaseEvent.objects.filter(case=case, seq=3).update(payload={"forged": True})
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_events", case.number, stdout=out)
    assert f"{case.number}: 第3条事件" in out.getvalue()
    with pytest.raises(CommandError, match="no such case"):
        call_command("verify_events", "411500-19990101-000001")


def test_the_national_export_has_the_four_parts_and_masks_numbers_unless_asked(tmp_path):
    w = m.world()
    case = m.accepted(w)
    services.suspend(w.actor("reviewer"), case, kind="expert_review", reason="组织专家评审")
    services.resume(w.actor("reviewer"), case, result="评审通过")
    services.review(w.actor("reviewer"), case, opinion="符合条件")
    services.approve(w.actor("head"), case, opinion="准予")
    services.issue(w.actor("clerk"), case)
    services.deliver(w.actor("clerk"), case, method="post", carrier="EMS", tracking_number="EA123456789CN")
    day = case.arrived_at.date().isoformat()
    target = tmp_path / "cases.jsonl"
    call_command("export_cases", "--from", day, "--to", day, "--output", str(target), stderr=io.StringIO())
    (row,) = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert set(row) == {"case_number", "acceptance", "process", "special_procedures", "result"}
    person = case.applicant_person
    assert row["acceptance"]["id_number"] != person.id_number and "*" in row["acceptance"]["id_number"]
    assert row["acceptance"]["implementation_code"] == w.implementation.implementation_code
    assert [s["step"] for s in row["process"]] == ["受理", "审查", "审批", "制证", "送达"]
    assert row["special_procedures"][0]["kind"] == "expert_review" and row["special_procedures"][0]["end"]
    assert row["result"]["posted"] is True and row["result"]["outcome"] == "approve"
    call_command("export_cases", "--from", day, "--to", day, "--full", "--output", str(target), stderr=io.StringIO())
    assert json.loads(target.read_text(encoding="utf-8"))["acceptance"]["id_number"] == person.id_number
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_cases", "--from", "2026-13-01", "--to", day)


def test_the_export_endpoint_streams_the_supervisors_cases_masked_and_checks_its_dates(client):
    w = m.world()
    case = m.accepted(w)
    elsewhere = m.world("320500")
    m.accepted(elsewhere)
    day = case.arrived_at.date().isoformat()
    client.force_login(w.supervisor)
    response = client.get("/api/v1/cases/export/", {"from": day, "to": day})
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [r["case_number"] for r in rows] == [case.number]  # 苏州's case is outside the 河南 supervisor's scope
    assert "*" in rows[0]["acceptance"]["id_number"]
    bad = client.get("/api/v1/cases/export/", {"from": "2026-11-31", "to": day}).json()["errors"][0]
    assert (bad["field"], bad["code"]) == ("from", "invalid_date")
    client.force_login(w.clerk)
    assert client.get("/api/v1/cases/export/", {"from": day, "to": day}).status_code == 403
