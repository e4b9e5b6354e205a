"""Material files: recognised by their content (PDF, JPG, PNG, OFD), limited in size, stored with SM3 and
SHA-256, never overwritten: a correction adds a new version and the old file stays."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from tests.cases import make as m
from tongban.cases import services
from tongban.cases.choices import MaterialEvidence, MaterialState, Status
from tongban.cases.models import Case, MaterialFile
from tongban.core.errors import Conflict, DomainError
from tongban.identity.denied import PolicyDenied

pytestmark = pytest.mark.django_db

MIB = 1 << 20


def _ofd() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "OFD.xml", '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>'
        )
    return buffer.getvalue()


JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
OFD = _ofd()


def attach(w: m.World, case: Case, content: bytes, name: str, who: str = "applicant", material=None) -> MaterialFile:  # type: ignore[no-untyped-def]
    material = material or case.materials.first()
    return services.attach_file(w.actor(who), case, material_id=material.pk, upload=io.BytesIO(content), name=name)


def state(case: Case) -> tuple[int, int, int]:
    case.refresh_from_db()
    return case.version, case.events.count(), MaterialFile.objects.filter(material__case=case).count()


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (m.PDF, "身份证.pdf", "application/pdf"),
        (JPG, "身份证.JPG", "image/jpeg"),
        (JPG, "scan.jpeg", "image/jpeg"),
        (PNG, "scan.png", "image/png"),
        (OFD, "退休证明.ofd", "application/ofd"),
    ],
    ids=["pdf", "jpg", "jpeg", "png", "ofd"],
)
def test_accepted_formats_are_recognised_by_content_and_hashed(content: bytes, name: str, content_type: str):
    w = m.world()
    case = m.online(w, submit=False)
    stored = attach(w, case, content, name)
    assert (stored.version, stored.original_name, stored.content_type, stored.size) == (
        2,  # online() attached version 1 already
        name,
        content_type,
        len(content),
    )
    assert stored.sm3 == m.independent_sm3(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    with stored.file.open("rb") as f:
        assert f.read() == content


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"just some text, not a document", "申请表.pdf", "file_type"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe", "file_type"),
        (b"", "empty.pdf", "file_empty"),
        (PNG, "photo.pdf", "file_extension"),  # a PNG calling itself a PDF
        (OFD, "report.docx", "file_extension"),  # any other zip is not an OFD
        (m.PDF, "no-extension", "file_extension"),
    ],
    ids=["text", "exe", "empty", "png-as-pdf", "zip-as-docx", "no-extension"],
)
def test_other_files_are_refused_naming_the_problem_and_nothing_changes(content: bytes, name: str, code: str):
    w = m.world()
    case = m.online(w, submit=False)
    before = state(case)
    with pytest.raises(DomainError) as refused:
        attach(w, case, content, name)
    problem = refused.value.problems[0]
    assert (refused.value.status, problem.field, problem.code) == (400, "file", code)
    assert name in problem.text.zh and name in problem.text.en
    assert state(case) == before


@override_settings(TONGBAN_MAX_UPLOAD_BYTES=MIB)
def test_a_file_over_the_size_limit_is_refused_with_413():
    w = m.world()
    case = m.online(w, submit=False)
    before = state(case)
    exactly = attach(w, case, m.PDF + b"\0" * (MIB - len(m.PDF)), "full.pdf")
    assert exactly.size == MIB
    before = state(case)
    with pytest.raises(DomainError) as refused:
        attach(w, case, m.PDF + b"\0" * MIB, "big.pdf")
    problem = refused.value.problems[0]
    assert (refused.value.status, problem.field, problem.code) == (413, "file", "file_too_large")
    assert "1MB" in problem.text.zh and "1 MiB" in problem.text.en
    assert state(case) == before


def test_a_correction_adds_a_version_and_keeps_the_old_file():
    w = m.world()
    case = m.online(w)
    material = case.materials.first()
    old = material.files.get()
    old_content = old.file.open("rb").read()
    services.request_correction(w.actor("clerk"), case, items=[{"material": material.pk, "problem": "复印件模糊"}])
    material.refresh_from_db()
    assert material.state == MaterialState.REJECTED and material.problem == "复印件模糊"
    new = attach(w, case, JPG, "清晰扫描件.jpg", material=material)
    material.refresh_from_db()
    assert material.state == MaterialState.PROVIDED and material.evidence == MaterialEvidence.UPLOAD
    assert list(material.files.values_list("version", "original_name")) == [(1, "m.pdf"), (2, "清晰扫描件.jpg")]
    assert new.file.name != old.file.name
    old.refresh_from_db()
    assert default_storage.exists(old.file.name)
    assert old.file.open("rb").read() == old_content and old.sm3 == m.independent_sm3(old_content)
    services.correct(w.actor("applicant"), case)
    case.refresh_from_db()
    assert case.status == Status.PENDING


def test_who_may_attach_follows_the_status():
    w = m.world()
    case = m.online(w, submit=False)
    with pytest.raises(PolicyDenied):  # a draft is the applicant's alone
        attach(w, case, m.PDF, "a.pdf", who="clerk")
    services.submit(w.actor("applicant"), case)
    with pytest.raises(PolicyDenied):  # awaiting acceptance: the window handles materials
        attach(w, case, m.PDF, "a.pdf", who="applicant")
    assert attach(w, case, m.PDF, "a.pdf", who="clerk").uploaded_by == w.clerk
    other = m.online(m.world())
    with pytest.raises(DomainError) as foreign:
        services.attach_file(
            w.actor("clerk"), case, material_id=other.materials.first().pk, upload=io.BytesIO(m.PDF), name="a.pdf"
        )
    assert foreign.value.problems[0].field == "material" and foreign.value.problems[0].code == "unknown"
    services.accept(w.actor("clerk"), case)
    with pytest.raises(Conflict):
        attach(w, case, m.PDF, "a.pdf", who="clerk")


# --- through the API --------------------------------------------------------------------------------------


def _client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(user)
    return client


def _upload_url(case: Case, material_id: int) -> str:
    return f"/api/v1/cases/{case.number}/materials/{material_id}/files/"


def test_upload_and_download_through_the_api():
    w = m.world()
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    material = case.materials.first()
    client = _client(w.applicant)
    response = client.post(
        _upload_url(case, material.pk),
        {"file": SimpleUploadedFile("身份证.png", PNG, content_type="application/pdf")},  # the browser's claim
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["version"], body["content_type"], body["size"]) == (1, "image/png", len(PNG))
    assert (body["sm3"], body["sha256"]) == (m.independent_sm3(PNG), hashlib.sha256(PNG).hexdigest())
    download = client.get(body["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    detail = client.get(f"/api/v1/cases/{case.number}/").json()
    files = next(x for x in detail["materials"] if x["id"] == material.pk)["files"]
    assert [f["sm3"] for f in files] == [m.independent_sm3(PNG)]
    # Another applicant can neither see the case nor fetch its file.
    stranger = _client(m.world().applicant)
    assert stranger.get(body["url"]).status_code == 404


@pytest.mark.parametrize(
    ("send", "status", "field", "code"),
    [
        ({}, 400, "file", "required"),
        ({"file": SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>")}, 400, "file", "file_type"),
        ({"file": SimpleUploadedFile("a.jpg", m.PDF)}, 400, "file", "file_extension"),
        # The whole request is over the limit: refused before the body is read.
        ({"file": SimpleUploadedFile("big.pdf", m.PDF + b"\0" * MIB)}, 413, None, "request_too_large"),
    ],
    ids=["no-file", "html", "pdf-as-jpg", "too-large"],
)
@override_settings(TONGBAN_MAX_UPLOAD_BYTES=MIB)
def test_bad_uploads_through_the_api_are_clear_4xx_and_change_nothing(send, status, field, code):
    w = m.world()
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    before = state(case)
    response = _client(w.applicant).post(_upload_url(case, case.materials.first().pk), send, format="multipart")
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message_zh"] and error["message_en"]
    assert state(case) == before


def test_an_upload_against_a_stale_version_is_a_409():
    w = m.world()
    case = services.create_draft(w.actor("applicant"), implementation=w.implementation)
    seen = case.version
    first, second = case.materials.all()
    client = _client(w.applicant)
    ok = client.post(
        _upload_url(case, first.pk),
        {"file": SimpleUploadedFile("a.pdf", m.PDF)},
        format="multipart",
        HTTP_IF_MATCH=f'"{seen}"',
    )
    assert ok.status_code == 201
    before = state(case)
    stale = client.post(
        _upload_url(case, second.pk),
        {"file": SimpleUploadedFile("b.pdf", m.PDF)},
        format="multipart",
        HTTP_IF_MATCH=f'"{seen}"',
    )
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "stale_version"
    assert state(case) == before
