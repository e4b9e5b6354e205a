"""The printed form of an e-licence (电子证照版式文件): a PDF in either layout that carries its signed document.

The PDF shows the content as signed and a QR code of the public check page; its attachment
``license.json`` is the signed document with its log proof, and reading it back gives the same document,
which verifies offline against the trust list.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from tests.licenses import factories as lf
from tongban.federation import node
from tongban.licenses import document, rendering, services
from tongban.licenses.models import License
from tongban.licenses.tasks import render_license, render_now

pytestmark = pytest.mark.django_db

HOLDER = "王小明"
ID_NUMBER = "411502200001010017"


@pytest.fixture(autouse=True)
def _files(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    settings.TONGBAN_PUBLIC_URL = "https://zwfw.xinyang.test"
    lf.isolated_keys(monkeypatch, tmp_path / "var")


@pytest.fixture
def issuer(federation):  # type: ignore[no-untyped-def]
    """An issuing department with its seal, published on the trust list this node holds."""
    department = lf.issuing_department()
    lf.publish(federation, lf.seal(department))
    return department


def certificate(issuer) -> License:  # type: ignore[no-untyped-def]
    kind = lf.license_type()
    return lf.license(
        kind, issuer, holder=lf.person_holder(HOLDER, ID_NUMBER), data=lf.certificate_data(HOLDER, ID_NUMBER)
    )


def business_license(issuer) -> License:  # type: ignore[no-untyped-def]
    kind = lf.license_type(template="license", schema=lf.LICENSE_SCHEMA, name="营业执照")
    data = {
        "company_name": "信阳毛尖茶业有限公司",
        "uscc": "91411500MA44XYZ12K",
        "legal_rep": "王小明",
        "capital": 200,
        "business_scope": "茶叶种植、加工、销售；预包装食品销售（依法须经批准的项目，经批准后方可开展经营活动）",
    }
    holder = {"name": data["company_name"], "code": data["uscc"], "code_type": services.CODE_TYPE_USCC}
    return lf.license(kind, issuer, holder=holder, data=data)


def text_of(pdf: bytes) -> str:
    """The PDF's text, by poppler's pdftotext when installed (what people search with), else by pypdf."""
    tool = shutil.which("pdftotext")
    if tool:
        return subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Text without white space: long URLs and identifiers wrap across lines in print."""
    return "".join(text.split())


def test_a_certificate_prints_on_one_a4_portrait_page_with_its_fields_titles_and_qr_url(issuer):
    lic = certificate(issuer)
    pdf = rendering.render_pdf(lic)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) < float(box.height)  # portrait
    text = squeezed(text_of(pdf))
    for shown in ("职业资格证书", "资格名称", "电工", "取得日期", "2026年6月30日", HOLDER, issuer.name, issuer.uscc):
        assert shown in text, shown
    url = f"https://zwfw.xinyang.test/licenses/verify/?id={lic.identifier}"
    assert rendering.verify_url(lic.identifier) == url
    assert url in text
    assert f"证照标识：{lic.identifier}" in text
    assert "证照状态" not in text  # the status is asked of the issuer, never printed


def test_the_qr_code_on_the_form_encodes_the_verification_url(issuer):
    lic = certificate(issuer)
    html = rendering.render_html(lic)
    # The same modules as a QR code made from the URL alone: the code carries exactly that URL.
    assert str(rendering.qr_svg(rendering.verify_url(lic.identifier))) in html


def test_a_licence_type_prints_landscape_in_a_frame(issuer):
    lic = business_license(issuer)
    html = rendering.render_html(lic)
    assert 'class="sheet license frame"' in html
    pdf = rendering.render_pdf(lic)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape, as a 营业执照
    text = squeezed(text_of(pdf))
    for shown in ("营业执照", "统一社会信用代码", "91411500MA44XYZ12K", "注册资本（万元）", "200", "经营范围"):
        assert shown in text, shown


def test_the_seal_picture_is_drawn_at_its_width(issuer):
    lic = certificate(issuer)
    html = rendering.render_html(lic)
    assert "data:image/svg+xml;base64," in html
    assert f"width: {lic.seal.width_mm}mm" in html


def test_the_pdf_carries_the_signed_document_which_reads_back_the_same_and_verifies(issuer):
    lic = certificate(issuer)
    handed_out = services.with_proof(lic)
    pdf = rendering.render_pdf(lic, handed_out)
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == [rendering.ATTACHMENT]
    embedded = rendering.embedded_document(pdf)
    assert embedded == handed_out
    report = services.verify_here(embedded)
    assert report.valid, [c.as_dict() for c in report.failed]
    assert [c.name for c in report.checks if c.ok] == ["identifier", "content", "seal", "signature", "log", "status"]


def test_without_a_document_given_the_pdf_carries_the_one_with_its_log_proof(issuer):
    lic = certificate(issuer)
    embedded = rendering.embedded_document(rendering.render_pdf(lic))
    assert embedded is not None
    assert embedded["license"] == lic.document["license"]
    assert embedded["log"]["index"] == lic.log_index
    assert document.verify(embedded, node.trust_list()).valid


def test_the_same_licence_renders_to_the_same_bytes(issuer):
    lic = certificate(issuer)
    handed_out = services.with_proof(lic)
    assert rendering.render_pdf(lic, handed_out) == rendering.render_pdf(lic, handed_out)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{}",
        b"not a pdf at all",
        b"%PDF-1.4\n% a small test file\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",  # a PDF, broken
        b"%PDF-1.7\n" + bytes(range(256)) * 4,
    ],
)
def test_what_is_not_a_licence_pdf_carries_no_document(data):
    assert rendering.embedded_document(data) is None


def test_a_pdf_without_the_attachment_carries_no_document():
    from weasyprint import HTML

    assert rendering.embedded_document(HTML(string="<p>证明</p>").write_pdf()) is None


def test_the_task_stores_the_pdf_once_and_render_now_replaces_it(issuer):
    lic = certificate(issuer)
    name = render_license.call(lic.pk)
    lic.refresh_from_db()
    assert lic.pdf.name == name
    assert name.endswith(f"{lic.identifier}.pdf")
    with lic.pdf.open("rb") as handle:
        stored = handle.read()
    assert rendering.embedded_document(stored)["license"] == lic.document["license"]
    assert render_license.call(lic.pk) == name  # already rendered: nothing done
    render_now(lic)
    lic.refresh_from_db()
    assert lic.pdf.name.endswith(".pdf")
