"""The printed form of an e-licence (电子证照版式文件) as PDF, and the signed document it carries.

The PDF shows what the seal signed (the GB/T 36903 metadata and the type's fields, titled by the type's
JSON Schema), the seal's picture over the issuer's name, and a QR code leading to the public check page.
It also carries the signed JSON document with its log proof as the attachment ``license.json``, so a
verifier holding only the PDF and the trust list can check it offline: the printed page is what people
read, the attachment is what is verified.

GB/T 33190 (OFD) is the standard's fixed-layout format; PDF is the common alternative every reader opens.
Only the content as signed is printed, never the status: a suspension or revocation comes later, and a
paper that said "valid" would go on saying it. The QR code asks the issuing node instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from tongban.licenses.models import License

__all__ = [
    "ATTACHMENT",
    "LAYOUTS",
    "embedded_document",
    "fields_of",
    "qr_svg",
    "render_html",
    "render_pdf",
    "validity_text",
    "verify_url",
]

log = logging.getLogger("tongban.licenses")

ATTACHMENT = "license.json"
LAYOUTS = ("certificate", "license")  # 证书 (A4 portrait), 执照 (A4 landscape, framed)
# GB/T 36903 holder code types this node issues under (the rest are printed as their code).
CODE_TYPES = {"111": "居民身份证", "049": "统一社会信用代码"}
# Medium error correction, as on the notices: a printed licence is folded and laminated, and M keeps a
# check URL (120 to 145 characters with the identifier) at version 7 or 8, about 0.5 mm a module at 26 mm.
QR_ERROR = "m"
QR_BORDER = 4  # the quiet zone ISO/IEC 18004 requires


def verify_url(identifier: str) -> str:
    """The public check page of a licence, in the node's default language (what the QR code carries)."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("licenses:verify")
    return f"{settings.TONGBAN_PUBLIC_URL.rstrip('/')}{path}?{urlencode({'id': identifier})}"


def qr_svg(text: str, label: str = "") -> SafeString:
    """Inline SVG of a QR code that encodes exactly ``text``; white quiet zone included."""
    code = segno.make(text, error=QR_ERROR, micro=False)
    svg = code.svg_inline(scale=1, border=QR_BORDER, dark="#000", light="#fff", svgclass="qr", omitsize=True)
    if label:  # on a page, screen readers get a name for the picture; in print it needs none
        return format_html('<span class="qr-wrap" role="img" aria-label="{}">{}</span>', label, mark_safe(svg))
    return mark_safe(svg)


def cn_date(value: Any) -> str:
    """``2026-11-23`` → ``2026年11月23日``, as Chinese certificates write dates; other text unchanged."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def display_value(value: Any, spec: dict[str, Any] | None = None) -> str:
    """A field's value as printed: dates in Chinese, yes/no, lists joined; numbers without a trailing .0."""
    spec = spec or {}
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "、".join(display_value(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{display_value(v)}" for k, v in value.items())
    if spec.get("format") == "date":
        return cn_date(value)
    return str(value)


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    value: str
    long: bool = False  # printed across the whole width (an address, a business scope)


def fields_of(schema: dict[str, Any], data: dict[str, Any]) -> list[Field]:
    """The licence's own fields in the schema's order, titled as the schema titles them; fields the data
    has but the schema does not name come after, under their own names (a type changed since)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    rows = []
    for name, spec in properties.items():
        if name not in data or data[name] in (None, ""):
            continue
        spec = spec if isinstance(spec, dict) else {}
        text = display_value(data[name], spec)
        rows.append(Field(name, str(spec.get("title") or name), text, len(text) > 24))
    for name, value in data.items():
        if name not in properties and value not in (None, ""):
            text = display_value(value)
            rows.append(Field(name, name, text, len(text) > 24))
    return rows


def paired(fields: list[Field]) -> list[list[Field]]:
    """The fields two to a line, as a 执照 sets them; a long one takes a line of its own."""
    lines: list[list[Field]] = []
    for field in fields:
        if field.long:
            lines.append([field])
        elif lines and len(lines[-1]) == 1 and not lines[-1][0].long:
            lines[-1].append(field)
        else:
            lines.append([field])
    return lines


def _region_name(code: str) -> str:
    from tongban.catalog.models import Region

    found = Region.objects.filter(code=code).values_list("name", flat=True).first()
    return f"{found}（{code}）" if found else code


def validity_text(content: dict[str, Any]) -> str:
    start, end = content.get("valid_from"), content.get("valid_to")
    if not end:
        return f"自{cn_date(start)}起长期有效"
    return f"{cn_date(start)}至{cn_date(end)}"


def layout_of(lic: License) -> str:
    layout = lic.license_type.template or "certificate"
    if layout not in LAYOUTS:
        # A type set to a layout this node lacks still gets its printed form: the holder needs one more
        # than the layout needs to be right. The log says which type to fix.
        log.warning("licence type %s names layout %r; printing it as a certificate", lic.license_type.code, layout)
        return "certificate"
    return layout


SIGN_WIDTH_MM = 70  # the block of issuer name and date; the seal is centred on it


def _seal_image(lic: License) -> dict[str, Any]:
    seal = lic.seal
    data = base64.b64encode(seal.picture.encode("utf-8")).decode("ascii")
    return {
        "src": f"data:image/svg+xml;base64,{data}",
        "width_mm": seal.width_mm,
        "height_mm": seal.height_mm,
        "name": seal.name,
    }


def _sign_box(seal: dict[str, Any]) -> dict[str, Any]:
    """Where the seal and the signer's lines go: the seal centred over the issuer's name and the date (two
    18 pt lines, about 13 mm), so it covers the date as a seal does on paper, and no text above them."""
    width = max(SIGN_WIDTH_MM, seal["width_mm"])
    return {
        "width_mm": width,
        "height_mm": seal["height_mm"] + 2,
        "seal_left_mm": f"{(width - seal['width_mm']) / 2:g}",
        "text_top_mm": f"{max(0, seal['height_mm'] / 2 - 6):g}",
    }


def context(lic: License) -> dict[str, Any]:
    """What the templates print: the signed content, never the row's later state."""
    content = lic.document["license"]
    holder = content.get("holder") or {}
    item = content.get("item") or {}
    issuer = content.get("issuer") or {}
    organ = content.get("defining_organ") or {}
    kind = content.get("type") or {}
    url = verify_url(content["identifier"])
    seal = _seal_image(lic)
    fields = fields_of(lic.license_type.schema or {}, content.get("data") or {})
    return {
        "layout": layout_of(lic),
        "content": content,
        "title": kind.get("name") or content.get("name") or lic.license_type.name,
        "identifier": content["identifier"],
        "number": content.get("number", ""),
        "version": content.get("version", ""),
        "type_code": kind.get("code", ""),
        "issuer_name": issuer.get("name", ""),
        "issuer_code": issuer.get("code", ""),
        "organ_name": organ.get("name", ""),
        "organ_code": organ.get("code", ""),
        "holder_name": holder.get("name", ""),
        "holder_code": holder.get("code", ""),
        "holder_code_type": CODE_TYPES.get(str(holder.get("code_type", "")), str(holder.get("code_type", ""))),
        "item_name": item.get("name", ""),
        "item_code": item.get("code", ""),
        "issued_on": content.get("issued_on", ""),
        "issued_on_cn": cn_date(content.get("issued_on", "")),
        "validity": validity_text(content),
        "jurisdiction": _region_name(str(content.get("jurisdiction") or "")),
        "fields": fields,
        "lines": paired(fields),
        "seal": seal,
        "sign": _sign_box(seal),
        "verify_url": url,
        "qr": qr_svg(url),
    }


def render_html(lic: License) -> str:
    """The printed form as a self-contained HTML page (inline CSS, the seal and QR code as data)."""
    values = context(lic)
    return render_to_string(f"licenses/print/{values['layout']}.html", values)


def render_pdf(lic: License, document: dict[str, Any] | None = None) -> bytes:
    """The licence as a PDF with its fonts embedded and the signed document attached as ``license.json``.

    ``document`` is what to attach (default: ``services.with_proof(lic)``, the signed document with a
    fresh proof of its log entry)."""
    if document is None:
        from tongban.licenses.services import with_proof

        document = with_proof(lic)
    html = render_html(lic)
    from weasyprint import HTML, Attachment  # loaded only in processes that render PDFs: it is slow to import

    # The attachment's dates are the signing time, not the clock, so the same licence and proof give the
    # same bytes when rendered again.
    moment = lic.signed_at.replace(tzinfo=None) if lic.signed_at else None
    attachment = Attachment(
        file_obj=io.BytesIO(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")),
        name=ATTACHMENT,
        description="电子证照文件（签名及存证证明） / signed e-licence document with its log proof",
        created=moment,
        modified=moment,
        relationship="Source",  # PDF/A-3's word for the data the page was made from
    )
    fetcher = _fetcher()
    pdf = HTML(string=html, base_url="data:,", url_fetcher=fetcher).write_pdf(
        pdf_identifier=lic.identifier.encode(), attachments=[attachment], uncompressed_pdf=False
    )
    if fetcher.refused:
        # WeasyPrint only logs a failed fetch and renders on; a licence missing its seal must fail instead.
        raise ValueError(f"the licence template refers to resources outside it: {fetcher.refused}")
    return pdf


def _fetcher() -> Any:
    """A fetcher serving ``data:`` URLs only: a worker rendering licences reads nothing from the network or
    the disk, whatever a template or a value that slipped past escaping names. Made here, on first use,
    so importing this module does not load WeasyPrint."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: dict | None = None):  # type: ignore[no-untyped-def]
            if url.startswith("data:"):
                return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"licence rendering fetches nothing from outside: refused {url}")

    return DataOnlyFetcher()


def embedded_document(pdf: bytes) -> dict[str, Any] | None:
    """The signed document attached to a licence PDF as ``license.json``; None when ``pdf`` is not a PDF,
    carries no such attachment, or the attachment is not a JSON object."""
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        return None
    from pypdf import PdfReader

    try:
        found = PdfReader(io.BytesIO(pdf)).attachments.get(ATTACHMENT)
    except Exception:  # an uploaded file may be broken in any way; then it carries nothing
        return None
    if not found:
        return None
    try:
        data = json.loads(found[0])
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
