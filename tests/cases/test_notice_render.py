"""Case notices (文书) as the applicant reads them: the PDF's text, its fonts, its QR code, and what it refuses."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from functools import cache

import pytest
import segno

from tests.conftest import need
from tongban.cases.notices import KINDS, qr_svg, render_html, render_pdf
from tongban.cases.notices.marks import QR_BORDER
from tongban.cases.notices.render import cn_date
from tongban.cases.notices.samples import sample_context

POPPLER = "apt-get install poppler-utils"


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    need(tool, path is not None, POPPLER)
    return path


@cache
def _pdf(kind: str, variant: str = "") -> bytes:
    # Rendering takes about half a second; each sample is rendered once for the whole module.
    context = sample_context(kind)
    if variant == "deny":
        context.update(outcome="deny", reasons="申请人提供的退休证明与社保部门记录不一致。")
        context.pop("result_name")
    return render_pdf(kind, context)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with all white space removed, so line wrapping does not split what we look for."""
    out = subprocess.run(
        [_poppler("pdftotext"), "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return re.sub(r"\s+", "", out.stdout.decode())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# What each kind must say beyond title, case number and applicant.
KIND_CONTENT = {
    "acceptance": lambda c: [
        *(m["name"] for m in c["materials"]),
        "本机关决定予以受理",
        "受理日期：2026年11月22日",
        "法定办结期限：2026年12月21日前",
        "承诺办结期限：2026年12月4日前",
        "咨询电话：0376-12329",
    ],
    "refusal": lambda c: [
        c["reasons"],
        "本机关决定不予受理",
        "依据：" + c["basis"],
        # The standard remedy sentence when the context gives none.
        "六十日内依法申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
    ],
    "correction": lambda c: [
        *(item["name"] for item in c["items"]),
        *(item["problem"] for item in c["items"]),
        *(item["requirement"] for item in c["items"]),
        "一次性告知",
        "请于2026年12月2日前一次性补正上述材料",
        c["note"],
    ],
    "decision": lambda c: ["本机关决定准予办理", "办理结果：" + c["result_name"], "送达方式：" + c["delivery"]],
    "tolerance": lambda c: [
        *(item["name"] for item in c["items"]),
        *(item["requirement"] for item in c["items"]),
        "本机关决定予以容缺受理",
        "受理日期：2026年11月22日",
        "请于2026年12月6日前补齐下列容缺材料",
        c["consequence"],
        c["note"],
    ],
    "commitment": lambda c: [
        *c["conditions"],
        "以承诺代替提交的材料",
        *(m["name"] for m in c["materials"]),
        c["liability"],
        "申请人（签字或盖章）：" + c["signer_name"],
        "日期：2026年11月22日",  # signed_on, instead of the blank date to fill in by hand
    ],
    "lapse": lambda c: [
        *(item["name"] for item in c["items"]),
        *(item["problem"] for item in c["items"]),
        "本机关于2026年11月22日依照容缺受理的有关规定予以容缺受理",
        "书面承诺于2026年12月6日前补齐下列容缺材料",
        "本机关决定终止办理该申请",
        c["reasons"],
        "依据：" + c["basis"],
        "记入信用记录",
        "可以重新提出申请",
        "自收到本通知书之日起六十日内依法申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
    ],
    "revocation": lambda c: [
        "于2026年11月25日作出准予办理的决定",
        *c["conditions"],
        "事后核查",
        c["finding"],
        "本机关决定撤销2026年11月25日作出的准予办理决定及住房公积金提取到账通知（编号：XYGJJ-TQ-2026-004512）",
        c["reasons"],
        "依据：" + c["basis"].splitlines()[0],
        c["basis"].splitlines()[1],
        "记入信用记录",
        "信用修复前",
        "不再适用告知承诺制",
        c["note"],
        # A 决定书 is what the applicant received, so the time limits run from receiving it.
        "自收到本决定书之日起六十日内依法申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
        "特此决定",
    ],
}


def test_every_kind_has_content_checks():
    assert set(KIND_CONTENT) == set(KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_pdf_says_what_the_notice_is_and_to_whom(kind):
    context = sample_context(kind)
    pdf = _pdf(kind)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in [
        KINDS[kind].title,
        "文书编号：" + context["number"],
        context["case_number"],
        f"{context['applicant_name']}（证件号码：{context['applicant_id_masked']}）：",
        context["organ"],
        cn_date(context["issued_on"]),
        "扫码核验文书真伪",
        context["verify_url"],
        "样章—电子印章待启用",
        *KIND_CONTENT[kind](context),
    ]:
        assert squash(expected) in text, (kind, expected)
    # Dates never show in ISO form on paper.
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), kind


def test_denial_gives_reasons_and_the_right_to_appeal():
    text = pdf_text(_pdf("decision", "deny"))
    assert "本机关决定不予办理" in text
    assert "准予办理" not in text
    assert "申请人提供的退休证明与社保部门记录不一致。" in text
    assert "六十日内依法申请行政复议" in text and "六个月内依法向人民法院提起行政诉讼" in text


@pytest.mark.parametrize(("kind", "key"), [(kind, key) for kind in KINDS for key in KINDS[kind].required])
def test_every_required_value_is_named_when_missing(kind, key):
    context = sample_context(kind)
    del context[key]
    with pytest.raises(ValueError, match=rf"{kind} notice context lacks {key}\b"):
        render_html(kind, context)
    with pytest.raises(ValueError, match=rf"lacks {key}\b"):
        render_html(kind, sample_context(kind) | {key: ""})


def test_the_new_kinds_require_what_their_wording_needs():
    assert KINDS["lapse"].required == ("items", "deadline", "reasons")
    assert KINDS["revocation"].required == ("decided_on", "finding", "reasons", "basis")


def test_a_commitment_may_replace_materials_without_conditions():
    context = sample_context("commitment") | {"conditions": []}
    html = render_html("commitment", context)
    assert "以承诺代替提交的材料" in html and "退休证或者退休审批表" in html
    assert "应当具备的条件告知如下" not in html and "上述条件" not in html
    assert "承诺已经符合办理该事项的条件" in html


def test_a_commitment_without_materials_or_signing_date_leaves_them_out():
    context = sample_context("commitment")
    del context["materials"], context["signed_on"]
    html = render_html("commitment", context)
    assert "以承诺代替提交的材料" not in html
    assert "日期：　　　　年　　月　　日" in html  # to be filled in by hand


def test_a_commitment_to_nothing_is_refused():
    with pytest.raises(ValueError, match="commitment notice context lacks conditions or materials"):
        render_html("commitment", sample_context("commitment") | {"conditions": [], "materials": []})


def test_a_revocation_without_result_name_or_number_revokes_the_decision():
    context = sample_context("revocation") | {"result_name": "", "result_number": ""}
    del context["accepted_on"], context["conditions"]
    html = squash(render_html("revocation", context))
    assert "根据你（单位）作出的书面承诺，于2026年11月25日作出准予办理的决定。" in html
    assert "本机关决定撤销2026年11月25日作出的准予办理决定，理由如下：" in html
    assert "办理结果" not in html and "编号：XYGJJ" not in html
    assert "书面承诺符合下列条件" not in html


def test_a_lapse_without_acceptance_date_still_reads():
    context = sample_context("lapse")
    del context["accepted_on"], context["basis"]
    html = squash(render_html("lapse", context))
    assert "本机关已依照容缺受理的有关规定予以容缺受理" in html
    assert "依据：" not in html


def test_a_remedy_text_from_the_context_replaces_the_standard_one():
    context = sample_context("refusal") | {"remedy": "如不服本决定，可于六十日内向信阳市人民政府申请行政复议。"}
    html = render_html("refusal", context)
    assert "向信阳市人民政府申请行政复议" in html
    assert "提起行政诉讼" not in html


@pytest.mark.parametrize("kind", ["acceptance", "commitment"])
def test_cjk_fonts_are_embedded(kind):
    out = subprocess.run([_poppler("pdffonts"), "-"], input=_pdf(kind), capture_output=True, check=True)
    rows = out.stdout.decode().splitlines()[2:]
    fonts = {row.split()[0].split("+", 1)[-1]: row.split() for row in rows}
    # The body face and the heading face, both carried inside the file, so the notice prints the same anywhere.
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Sans-CJK-SC-Bold" in fonts, rows
    for name, columns in fonts.items():
        assert columns[-5] == "yes", f"{name} is not embedded: {columns}"


def test_the_same_context_gives_the_same_pdf_bytes():
    # A stored notice re-rendered years later must be the document the applicant received.
    assert render_pdf("correction", sample_context("correction")) == _pdf("correction")


def test_dates_read_the_chinese_way():
    assert cn_date("2026-01-05") == "2026年1月5日"
    assert cn_date("2026-12-31") == "2026年12月31日"


def test_missing_optional_values_leave_their_line_out():
    context = sample_context("acceptance")
    for key in ("applicant_id_masked", "enquiry_phone", "promised_deadline", "arrived_on"):
        del context[key]
    html = render_html("acceptance", context)
    assert "证件号码" not in html
    assert "咨询电话" not in html
    assert "承诺办结期限" not in html
    assert f'<p class="addressee">{context["applicant_name"]}：</p>' in html
    assert "你（单位）提出的正常退休提取住房公积金申请" in html


def test_correction_without_deadline_still_asks_for_everything_at_once():
    context = sample_context("correction")
    del context["deadline"]
    html = render_html("correction", context)
    assert "请一次性补正上述材料" in html
    assert "请于" not in html


# QR code


def _svg_matrix(svg: str) -> list[list[int]]:
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    grid = [[0] * size for _ in range(size)]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        for dx in range(int(width)):
            grid[int(y)][int(x) + dx] = 1
    inner = size - 2 * QR_BORDER
    return [row[QR_BORDER : QR_BORDER + inner] for row in grid[QR_BORDER : QR_BORDER + inner]]


def test_qr_code_draws_exactly_the_modules_of_the_verify_url():
    url = sample_context("decision")["verify_url"]
    svg = qr_svg(url)
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    drawn = _svg_matrix(svg)
    # No decoder is installed; segno's own matrix for the URL (error level M, at least) stands in for a scan.
    assert drawn == [list(row) for row in segno.make(url, error="m", micro=False).matrix]
    assert _svg_matrix(qr_svg(url + "x")) != drawn


def test_the_notice_carries_the_qr_code_of_its_own_verify_url():
    context = sample_context("acceptance")
    html = render_html("acceptance", context)
    assert qr_svg(context["verify_url"]) in html
    assert "扫码核验文书真伪" in html


# Safety


def test_applicant_values_are_escaped():
    context = sample_context("correction")
    context["applicant_name"] = '<script>alert("x")</script>'
    context["items"][0]["name"] = "<b>身份证</b>"
    context["organ"] = "测试<中心>"
    html = render_html("correction", context)
    assert "<script>" not in html and "<b>身份证" not in html and "<中心>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;身份证&lt;/b&gt;" in html
    # In the PDF the applicant sees their name as typed, not as markup.
    assert '<script>alert("x")</script>（证件号码' in pdf_text(render_pdf("correction", context))


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown notice kind 'approval'"):
        render_pdf("approval", sample_context("acceptance"))
    with pytest.raises(ValueError, match="unknown notice kind"):
        render_html("", sample_context("acceptance"))


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("acceptance", {"kind": "refusal"}, "context is for a 'refusal' notice"),
        ("correction", {"items": []}, "lacks items"),
        ("refusal", {"number": ""}, "lacks number"),
        ("decision", {"outcome": "maybe"}, "outcome must be one of"),
        ("acceptance", {"promised_deadline": "2026/12/04"}, "promised_deadline must be an ISO date"),
        ("acceptance", {"materials": ["居民身份证"]}, "materials must be a list of objects, each with a name"),
        ("commitment", {"conditions": "已退休"}, "conditions must be a list of texts"),
        ("commitment", {"materials": [{"form": "原件"}]}, "materials must be a list of objects, each with a name"),
        ("commitment", {"signed_on": "2026年11月22日"}, "signed_on must be an ISO date"),
        ("lapse", {"items": [{"name": ""}]}, "items must be a list of objects, each with a name"),
        ("lapse", {"deadline": "12/06/2026"}, "deadline must be an ISO date"),
        ("revocation", {"decided_on": "2026-13-01"}, "decided_on must be an ISO date"),
        ("revocation", {"conditions": [1, 2]}, "conditions must be a list of texts"),
    ],
)
def test_a_malformed_context_is_refused_before_rendering(kind, change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        render_html(kind, sample_context(kind) | change)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket connection is recorded and fails at once."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_a_remote_verify_url_is_printed_and_encoded_but_never_fetched(no_network):
    context = sample_context("acceptance") | {"verify_url": "http://10.255.255.1/x"}
    started = time.monotonic()
    pdf = render_pdf("acceptance", context)
    assert time.monotonic() - started < 10  # 10.255.255.1 never answers: a fetch would hang here
    assert no_network == []
    assert "http://10.255.255.1/x" in pdf_text(pdf)
    assert qr_svg("http://10.255.255.1/x") in render_html("acceptance", context)


@pytest.mark.parametrize(
    "url", ["http://10.255.255.1/seal.png", "https://10.255.255.1/seal.png", "file:///etc/passwd", "../../secret.png"]
)
def test_a_template_that_asks_for_outside_resources_fails_fast_without_fetching(no_network, url):
    from tongban.cases.notices.pdf import NoticeRenderError, html_to_pdf

    html = render_html("acceptance", sample_context("acceptance")).replace(
        "</article>", f'<img src="{url}" alt=""></article>'
    )
    started = time.monotonic()
    with pytest.raises(NoticeRenderError, match="refers to resources outside the notice"):
        html_to_pdf(html, identifier="test")
    assert time.monotonic() - started < 10
    assert no_network == []


def test_importing_the_notices_does_not_load_weasyprint():
    # Web processes import the cases app; only the worker that renders PDFs should pay for WeasyPrint.
    code = (
        "import sys, django; django.setup()\n"
        "from tongban.cases.notices import render_html\n"
        "from tongban.cases.notices.samples import sample_context\n"
        "render_html('acceptance', sample_context('acceptance'))\n"
        "print('weasyprint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
