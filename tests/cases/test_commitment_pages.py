"""告知承诺, 容缺受理 and 事后核查 on the case pages, through the Django test client (SCENARIOS §5, §6).

The 承诺 section offers what the guide allows and the applicant's credit record permits, and nothing else;
the applicant signs online in the draft, the clerk records the paper at the window; 容缺 materials are
supplied from their card; the department verifies and the head revokes from the case page; the department's
queue lists its own open verifications, the overdue ones marked. UI words are checked on the English pages
(/en/), the commands' messages and the guide's texts in Chinese.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.cases import make
from tests.identity import make as people
from tongban.cases import services
from tongban.cases.choices import CommitmentState, MaterialState, Status, VerificationState
from tongban.cases.models import Case, Commitment, Verification
from tongban.cases.services.commitments import TOLERANCE_TEXT
from tongban.credit import services as credit
from tongban.credit.choices import EntryKind
from tongban.credit.models import CreditEntry
from tongban.identity.models import Person

pytestmark = pytest.mark.django_db


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def post(client, url: str, data: dict, status: int = 302):  # type: ignore[no-untyped-def]
    response = client.post(url, data)
    assert response.status_code == status, (url, response.status_code, response.content.decode()[:3000])
    return response


def actions_on(html: str) -> set[str]:
    return set(re.findall(r'data-action="([^"]+)"', html))


class _Element(HTMLParser):
    """Finds where the element with an id ends (its own closing tag, nested ones of its kind counted)."""

    VOID = frozenset({"input", "br", "img", "meta", "link", "hr", "source", "wbr"})

    def __init__(self, ident: str) -> None:
        super().__init__(convert_charrefs=False)
        self.ident, self.tag, self.depth, self.end = ident, "", 0, None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.end is not None or tag in self.VOID:
            return
        if not self.tag and dict(attrs).get("id") == self.ident:
            self.tag, self.depth = tag, 1
        elif self.tag and tag == self.tag:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.tag and self.end is None and tag == self.tag:
            self.depth -= 1
            if self.depth == 0:
                self.end = self.getpos()


def part(html: str, ident: str) -> str:
    """The element with this id, from its opening tag to its closing one."""
    finder = _Element(ident)
    finder.feed(html)
    assert finder.end is not None, f"no element with id {ident!r}"
    line, column = finder.end
    end = sum(len(x) for x in html.splitlines(keepends=True)[: line - 1]) + column
    start = html.rindex("<", 0, html.index(f'id="{ident}"'))
    return html[start:end]


def scan(name: str = "承诺书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make.PDF, content_type="application/pdf")


def refreshed(case: Case) -> Case:
    case.refresh_from_db()
    return case


def snapshot(case: Case) -> tuple:
    """What a refused action must leave as it was."""
    case = refreshed(case)
    return (
        case.version,
        case.status,
        case.events.count(),
        case.commitments.count(),
        sorted(case.materials.values_list("state", flat=True)),
    )


def applicant_person(w: make.World) -> Person:
    return Person.objects.get(user=w.applicant)


def at_window(w: make.World) -> Case:
    return services.receive(
        w.actor("clerk"), implementation=w.implementation, person=applicant_person(w), identity_check="读卡核验"
    )


def accepted_with(w: make.World, kind: str) -> Case:
    case = make.online_with(w, kind)
    services.accept(w.actor("clerk"), case)
    return refreshed(case)


def approved_with_commitment(w: make.World) -> Case:
    case = accepted_with(w, "commitment")
    services.review(w.actor("reviewer"), case, opinion="材料齐全")
    services.approve(w.actor("head"), case, opinion="同意", basis="住房公积金管理条例")
    return refreshed(case)


# --- signing: online in the draft, on paper at the window ----------------------------------------------------


def test_the_applicant_signs_online_from_the_draft_and_sees_what_they_committed_to(client):
    w = make.credit_world()
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    client.force_login(w.applicant)
    html = page(client, f"/cases/{case.number}/")
    assert actions_on(html) == set(services.allowed_actions(w.actor("applicant"), case)) >= {"commit"}
    offer = part(html, "commit-commitment")
    assert make.COMMITMENT_TEXT in offer and make.CONDITION in offer  # the text in full, and the condition
    replaceable, tolerated, main = (make.material_id(case, n) for n in (make.REPLACEABLE, make.TOLERATED, "居民身份证"))
    assert f'name="materials" value="{replaceable}"' in offer and f'name="materials" value="{tolerated}"' not in offer
    assert 'name="signed_how" value="online"' in offer and 'type="file"' not in offer
    tolerance = part(html, "commit-tolerance")
    assert f'name="materials" value="{tolerated}"' in tolerance
    assert f'name="materials" value="{main}"' not in tolerance  # a main material never
    assert TOLERANCE_TEXT in tolerance

    # Not ticked "I have read this and commit to it": refused beside the tick, nothing signed.
    url = f"/cases/{case.number}/actions/commit/"
    data = {"version": case.version, "kind": "commitment", "conditions": make.CONDITION, "materials": replaceable}
    before = snapshot(case)
    text = post(client, url, data, status=400).content.decode()
    assert 'id="commit-commitment-signed_how-error"' in text and "本人已阅读并承诺" in text
    assert snapshot(case) == before

    response = post(client, url, {**data, "signed_how": "online"})
    assert response["Location"] == f"/cases/{case.number}/#commitments"
    commitment = Commitment.objects.get(case=case)
    assert (commitment.kind, commitment.signed_how, commitment.signer_name) == ("commitment", "online", "李四")
    assert commitment.conditions == [make.CONDITION] and commitment.text == make.COMMITMENT_TEXT
    assert case.materials.get(pk=replaceable).state == MaterialState.COMMITTED

    html = page(client, f"/en/cases/{case.number}/")
    card = part(html, f"commitment-{commitment.pk}")
    assert make.COMMITMENT_TEXT in card and make.CONDITION in card and make.REPLACEABLE in card
    assert 'id="commit-commitment"' not in html  # signed once: not offered again; 容缺 still is
    assert 'id="commit-tolerance"' in html
    assert f'href="#commitment-{commitment.pk}"' in html  # the material's card links to the commitment

    # Submitted, the applicant still reads what they signed.
    for name in ("居民身份证", make.TOLERATED):
        services.attach_file(
            w.actor("applicant"), case, material_id=make.material_id(case, name), upload=make.pdf()[0], name="m.pdf"
        )
    services.submit(w.actor("applicant"), case)
    html = page(client, f"/en/cases/{case.number}/")
    mine = part(html, "commitments")
    assert "What you committed to" in mine and make.COMMITMENT_TEXT in mine and make.CONDITION in mine
    assert "commit" not in actions_on(html)


def test_a_clerk_records_a_paper_commitment_with_its_scan_at_intake(client):
    w = make.credit_world()
    case = at_window(w)
    client.force_login(w.clerk)
    html = page(client, f"/cases/{case.number}/")
    form = part(html, "commit-tolerance")
    assert 'enctype="multipart/form-data"' in form and 'name="file"' in form and 'name="signer_name"' in form
    assert 'value="online"' not in form and TOLERANCE_TEXT in form

    tolerated = make.material_id(case, make.TOLERATED)
    url = f"/cases/{case.number}/actions/commit/"
    data = {"version": case.version, "kind": "tolerance", "materials": tolerated, "signed_how": "paper"}
    before = snapshot(case)
    text = post(client, url, data, status=400).content.decode()
    error = text[text.index('id="commit-tolerance-file-error"') :][:300]
    assert "请上传签字的承诺书扫描件" in error  # beside the file input
    assert 'aria-describedby="commit-tolerance-file-error"' in text
    assert snapshot(case) == before

    post(client, url, {**data, "signer_name": "王五", "file": scan("容缺受理承诺书.pdf")})
    commitment = Commitment.objects.get(case=case)
    assert (commitment.kind, commitment.signed_how, commitment.signer_name) == ("tolerance", "paper", "王五")
    assert commitment.sm3 == make.independent_sm3(make.PDF) and commitment.recorded_by == w.clerk
    assert case.materials.get(pk=tolerated).state == MaterialState.TOLERATED

    html = page(client, f"/en/cases/{case.number}/")
    card = part(html, f"commitment-{commitment.pk}")
    assert commitment.sm3 in card and "王五" in card and TOLERANCE_TEXT in card
    copy = f"/cases/{case.number}/commitments/{commitment.pk}/signed-copy/"
    download = client.get(copy)
    assert download.status_code == 200 and b"".join(download.streaming_content) == make.PDF
    client.force_login(people.applicant())  # someone else's case: not even its existence
    assert client.get(copy).status_code == 404
    client.force_login(w.clerk)
    assert "the deadline to supply it is set on acceptance" in part(html, f"material-{tolerated}")


def test_no_commitment_form_for_an_item_without_it_nor_for_a_subject_on_the_dishonest_list(client):
    plain = make.world()
    client.force_login(plain.clerk)
    html = page(client, f"/cases/{at_window(plain).number}/")
    assert 'id="commit"' not in html and "commit" not in actions_on(html)

    w = make.credit_world()
    person = applicant_person(w)
    credit.record_entry(
        w.actor("supervisor"),
        subject_type="person",
        subject_code=person.id_number,
        subject_name=person.name,
        kind=EntryKind.DISHONEST,
        occurred_on=date(2026, 3, 1),
        source_name="信用中国（河南）",
    )
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    client.force_login(w.applicant)
    html = page(client, f"/cases/{case.number}/")
    for kind in ("commitment", "tolerance"):
        refused = part(html, f"commit-{kind}-refused")
        assert "列入失信名单" in refused and "2026-03-01" in refused  # the credit record's reason
    assert "commit" not in actions_on(html) and 'name="kind"' not in html  # no form to sign

    # The promised limit leaves no time to supply a material before it ends: 容缺 is not offered either.
    short = make.credit_world(promised_limit=2)
    client.force_login(short.applicant)
    draft = services.create_draft(short.actor("applicant"), implementation=short.implementation)
    html = page(client, f"/cases/{draft.number}/")
    assert "过短" in part(html, "commit-tolerance-refused") and 'data-kind="tolerance"' not in html
    assert 'data-kind="commitment"' in html  # 告知承诺 needs no time to supply anything

    # Posted anyway (an old page): the command refuses the same, nothing is signed.
    client.force_login(w.applicant)
    before = snapshot(case)
    data = {
        "version": case.version,
        "kind": "tolerance",
        "materials": make.material_id(case, make.TOLERATED),
        "signed_how": "online",
    }
    text = post(client, f"/cases/{case.number}/actions/commit/", data, status=400).content.decode()
    assert "列入失信名单" in text and 'id="error-summary"' in text
    assert snapshot(case) == before


def test_an_unknown_or_unoffered_material_is_refused_beside_the_materials_and_nothing_changes(client):
    w = make.credit_world()
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    client.force_login(w.applicant)
    url = f"/cases/{case.number}/actions/commit/"
    before = snapshot(case)
    for material, message in (("999999", "该材料不在本办件的材料清单中"), ("x", "编号应为整数")):
        data = {"version": case.version, "kind": "commitment", "materials": material, "signed_how": "online"}
        text = post(client, url, data, status=400).content.decode()
        error = text[text.index('id="commit-commitment-materials-error"') :][:300]
        assert message in error
        assert 'id="commit-commitment"' in text and "action-failed" in part(text, "commit-commitment")[:200]
    data = {"version": case.version, "kind": "commitment", "conditions": "别的条件", "signed_how": "online"}
    text = post(client, url, data, status=400).content.decode()
    assert "办事指南未列出可承诺的条件" in text[text.index('id="commit-commitment-conditions-error"') :][:300]
    assert snapshot(case) == before
    # A page that went stale meanwhile: the 409 message, nothing signed.
    data = {"version": case.version - 1, "kind": "commitment", "conditions": make.CONDITION, "signed_how": "online"}
    response = client.post(url, data)
    assert response.status_code == 409 and "办件已被他人更新" in part(response.content.decode(), "error-summary")
    assert snapshot(case) == before


# --- 容缺: supplying what is owed ---------------------------------------------------------------------------


def test_the_applicant_supplies_a_tolerated_material_from_its_card(client, clock):
    w = make.credit_world()
    case = accepted_with(w, "tolerance")
    material = case.materials.get(name=make.TOLERATED)
    due = timezone.localdate(material.supply_by).isoformat()
    client.force_login(w.applicant)
    html = page(client, f"/en/cases/{case.number}/")
    card = part(html, f"material-{material.pk}")
    assert f"to be supplied by {due}" in card and "supply-overdue" not in card
    assert 'data-material-action="supply-upload"' in card
    assert 'data-material-action="supply-record"' not in card  # recording what was seen is the clerk's
    owed = part(html, "owed-notice")
    assert make.TOLERATED in owed and due in owed

    # Past the deadline, in red and in words.
    clock.set(material.supply_by + timedelta(hours=1))
    client.force_login(w.applicant)  # the session timed out meanwhile
    card = part(page(client, f"/en/cases/{case.number}/"), f"material-{material.pk}")
    assert "supply-overdue" in card and "overdue" in card

    # No file: refused on the material's card; an unknown material: refused, nothing changes.
    url = f"/cases/{case.number}/actions/supply/"
    before = snapshot(case)
    text = post(client, url, {"version": case.version, "material": material.pk}, status=400).content.decode()
    assert "请上传文件" in part(text, f"material-{material.pk}-error")
    text = post(client, url, {"version": case.version, "material": 999999, "file": scan()}, status=400)
    assert "该材料不在本办件的材料清单中" in text.content.decode()
    assert snapshot(case) == before

    response = post(client, url, {"version": case.version, "material": material.pk, "file": scan("盖章页.pdf")})
    assert response["Location"] == f"/cases/{case.number}/#material-{material.pk}"
    material.refresh_from_db()
    assert material.state == MaterialState.PROVIDED and material.supplied_at is not None
    assert material.files.get().sm3 == make.independent_sm3(make.PDF)
    assert case.commitments.get().state == CommitmentState.KEPT
    html = page(client, f"/en/cases/{case.number}/")
    assert "supply" not in actions_on(html) and "Material supplied" in part(html, "timeline")


def test_the_clerk_records_a_tolerated_material_seen_at_the_window(client):
    w = make.credit_world()
    case = accepted_with(w, "tolerance")
    material = case.materials.get(name=make.TOLERATED)
    client.force_login(w.clerk)
    html = page(client, f"/cases/{case.number}/")
    assert 'data-material-action="supply-record"' in part(html, f"material-{material.pk}")
    url = f"/cases/{case.number}/actions/supply/"
    post(client, url, {"version": case.version, "material": material.pk, "evidence": "original_seen", "note": "原件"})
    material.refresh_from_db()
    assert (material.state, material.evidence, material.note) == (MaterialState.PROVIDED, "original_seen", "原件")


# --- 事后核查 and 撤销 -----------------------------------------------------------------------------------------


def test_the_department_verifies_and_the_head_revokes_from_the_case_page(client):
    w = make.credit_world()
    case = approved_with_commitment(w)
    verification = Verification.objects.get(case=case)
    client.force_login(w.reviewer)
    html = page(client, f"/en/cases/{case.number}/")
    section = part(html, "commitments")
    assert 'data-action="verify"' in section and f"due {timezone.localdate(verification.due_at)}" in section
    assert f'id="verification-{verification.pk}"' in section and "revoke" not in actions_on(html)  # the head's

    url = f"/cases/{case.number}/actions/verify/"
    before = snapshot(case)
    text = post(client, url, {"version": case.version, "method": "documents", "outcome": "false"}, status=400)
    assert "请填写核查情况" in part(text.content.decode(), "verify-finding-error")
    assert snapshot(case) == before and refreshed(case).verifications.get().state == VerificationState.OPEN
    finding = "经向民政部门核实，申请人未办理退休手续"
    post(client, url, {"version": case.version, "method": "data_sharing", "outcome": "false", "finding": finding})
    verification.refresh_from_db()
    assert (verification.state, verification.method, verification.finding) == ("false", "data_sharing", finding)
    assert verification.checked_by == w.reviewer

    client.force_login(w.head)
    html = page(client, f"/en/cases/{case.number}/")
    revoke = part(html, "action-revoke")
    assert "This revokes the approval." in revoke and "credit record" in revoke
    assert finding in part(html, "commitments")
    url = f"/cases/{case.number}/actions/revoke/"
    before = snapshot(case)
    text = post(client, url, {"version": refreshed(case).version, "reasons": "承诺不实"}, status=400).content.decode()
    assert "请填写法律依据" in part(text, "revoke-basis-error") and snapshot(case) == before
    data = {"version": refreshed(case).version, "reasons": "承诺不实", "basis": "行政许可法第六十九条"}
    post(client, url, data)
    case = refreshed(case)
    assert case.status == Status.REVOKED and case.revoked_at is not None
    assert CreditEntry.objects.filter(case=case, kind=EntryKind.FALSE_COMMITMENT).count() == 1
    assert "revoke" not in actions_on(page(client, f"/cases/{case.number}/"))


# --- the department's queue, the supervisor's figures -------------------------------------------------------


def test_the_verification_queue_lists_only_the_departments_own_and_marks_overdue(client, clock):
    w = make.credit_world()
    other = make.credit_world()  # another department of the same region
    mine, theirs = accepted_with(w, "commitment"), accepted_with(other, "commitment")
    done = accepted_with(w, "commitment")
    services.verify(w.actor("reviewer"), done, method="documents", outcome="true", finding="属实")
    client.force_login(w.reviewer)
    html = page(client, "/en/cases/verifications/")
    assert mine.number in html and theirs.number not in html and done.number not in html
    assert "verification-overdue" not in html
    assert 'href="/en/cases/verifications/"' in page(client, "/en/cases/queue/")  # in the reviewer's menu
    assert mine.number not in page(client, "/en/cases/verifications/?overdue=1")

    due = Verification.objects.get(case=mine).due_at
    clock.set(due + timedelta(days=1))
    client.force_login(w.reviewer)  # the session timed out meanwhile
    html = page(client, "/en/cases/verifications/")
    row = part(html, f"verification-{Verification.objects.get(case=mine).pk}")
    assert "verification-overdue" in row
    assert mine.number in page(client, "/en/cases/verifications/?overdue=1")
    case_page = page(client, f"/en/cases/{mine.number}/")
    assert "verification-overdue" in part(case_page, "commitments")

    client.force_login(other.head)
    html = page(client, "/en/cases/verifications/")
    assert theirs.number in html and mine.number not in html
    client.force_login(w.clerk)  # a window clerk does not verify
    assert "事后核查" in part(page(client, "/cases/verifications/", status=403), "role-reason")
    assert "/cases/verifications/" not in page(client, "/cases/queue/")


def test_the_supervisor_sees_the_figures_and_the_late_verifications(client, clock):
    w = make.credit_world()
    committed = accepted_with(w, "commitment")
    tolerated = accepted_with(w, "tolerance")
    elsewhere = make.credit_world(region="320500")  # another province: not in this supervisor's scope
    accepted_with(elsewhere, "commitment"), accepted_with(elsewhere, "tolerance")
    client.force_login(w.supervisor)
    html = page(client, "/en/cases/supervision/")
    figures = part(html, "credit-figures")
    for ident, value in [
        ("figure-open-verifications", 1),
        ("figure-overdue-verifications", 0),
        ("figure-owing-cases", 1),
        ("figure-overdue-supplies", 0),
    ]:
        assert re.search(rf'id="{ident}"><strong>{value}</strong>', figures), ident
    assert 'id="late-verifications"' not in html

    clock.set(Verification.objects.get(case=committed).due_at + timedelta(days=1))
    client.force_login(w.supervisor)  # the session timed out meanwhile
    # the worker would lapse the late 容缺 case by now; until it runs, it counts as overdue
    assert tolerated.materials.get(name=make.TOLERATED).supply_by < timezone.now()
    html = page(client, "/en/cases/supervision/")
    figures = part(html, "credit-figures")
    assert re.search(r'id="figure-overdue-verifications"><strong>1</strong>', figures)
    assert re.search(r'id="figure-overdue-supplies"><strong>1</strong>', figures)
    assert committed.number in part(html, "late-verifications")


@pytest.mark.parametrize(("lang", "marker"), [("", '<html lang="zh-Hans"'), ("/en", '<html lang="en"')])
def test_the_new_pages_render_in_chinese_and_english(client, lang, marker):
    w = make.credit_world()
    committed, tolerated = accepted_with(w, "commitment"), accepted_with(w, "tolerance")
    for who, urls in {
        "reviewer": ["/cases/verifications/", "/cases/verifications/?overdue=1", f"/cases/{committed.number}/"],
        "applicant": [f"/cases/{committed.number}/", f"/cases/{tolerated.number}/"],
        "clerk": [f"/cases/{tolerated.number}/"],
        "supervisor": ["/cases/supervision/"],
    }.items():
        client.force_login(getattr(w, who))
        for url in urls:
            assert marker in page(client, f"{lang}{url}"), url
