"""Case notices (文书) as HTML and PDF: pure rendering from a stored, JSON-able context.

The caller stores the context with the notice record; rendering the same context again gives the same
document (and, on the same WeasyPrint and fonts, the same PDF bytes), so a notice can be re-issued long after.
Applicant-supplied values are escaped by the Django templates; the only unescaped markup is the CSS and the two
SVG marks built in :mod:`tongban.cases.notices.marks`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from tongban.cases.notices.marks import qr_svg, seal_svg
from tongban.core.messages import Text

__all__ = ["KINDS", "NoticeKind", "qr_svg", "render_html", "render_pdf"]

CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "cases" / "notices" / "notice.css"

COMMON_REQUIRED = ("number", "issued_on", "organ", "case_number", "item_name", "applicant_name", "verify_url")
DATE_KEYS = (
    "issued_on",
    "arrived_on",
    "accepted_on",
    "statutory_deadline",
    "promised_deadline",
    "deadline",
    "decided_on",
    "signed_on",
)
TEXT_KEYS = ("reasons", "basis", "remedy", "note", "delivery", "consequence", "liability", "finding")

# 行政复议法 (2023) art. 20: 60 days from knowing of the act; 行政诉讼法 art. 46: six months.
DEFAULT_REMEDY = (
    "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，"
    "也可以自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。"
)
# Kinds that take something away from the applicant, and so always tell them how to challenge it.
ADVERSE_KINDS = ("refusal", "lapse", "revocation")


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice: its printed title, a label for staff screens and what its context must hold."""

    code: str
    title: str
    label: Text
    required: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        return f"cases/notices/{self.code}.html"


KINDS: dict[str, NoticeKind] = {
    kind.code: kind
    for kind in (
        NoticeKind("acceptance", "受理通知书", Text("受理通知书", "Notice of acceptance"), ("materials",)),
        NoticeKind("refusal", "不予受理通知书", Text("不予受理通知书", "Notice of refusal to accept"), ("reasons",)),
        NoticeKind(
            "correction", "补正材料通知书", Text("补正材料通知书", "Notice to supply missing materials"), ("items",)
        ),
        NoticeKind("decision", "办结通知书", Text("办结通知书", "Notice of decision"), ("outcome",)),
        NoticeKind(
            "tolerance",
            "容缺受理告知书",
            Text("容缺受理告知书", "Notice of acceptance with materials to follow"),
            ("items",),
        ),
        # Conditions, or materials the commitment replaces, or both: checked in _template_context.
        NoticeKind("commitment", "告知承诺书", Text("告知承诺书", "Notification and commitment form")),
        NoticeKind(
            "lapse",
            "终止办理通知书",
            Text("终止办理通知书", "Notice of termination: materials not supplied"),
            ("items", "deadline", "reasons"),
        ),
        NoticeKind(
            "revocation",
            "撤销决定书",
            Text("撤销决定书", "Decision to revoke an approval"),
            ("decided_on", "finding", "reasons", "basis"),
        ),
    )
}

DECISION_OUTCOMES = ("approve", "deny")


def cn_date(value: str) -> str:
    """``2026-11-22`` → ``2026年11月22日``: Arabic numerals, no leading zeros, as GB/T 9704 writes dates."""
    day = dt.date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def _paragraphs(text: str) -> list[str]:
    # Staff type reasons and legal bases as free text; each line they typed becomes its own indented paragraph.
    return [line.strip() for line in re.split(r"\r?\n", text) if line.strip()]


def _kind(kind: str) -> NoticeKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown notice kind {kind!r}; known kinds: {', '.join(KINDS)}") from None


def _template_context(kind: NoticeKind, context: dict) -> dict:
    if context.get("kind", kind.code) != kind.code:
        raise ValueError(f"context is for a {context['kind']!r} notice, not {kind.code!r}")
    missing = [key for key in (*COMMON_REQUIRED, *kind.required) if not context.get(key)]
    if missing:
        raise ValueError(f"{kind.code} notice context lacks {', '.join(missing)}")
    if kind.code == "commitment" and not (context.get("conditions") or context.get("materials")):
        raise ValueError("commitment notice context lacks conditions or materials (one of them must be given)")
    if kind.code == "decision" and context["outcome"] not in DECISION_OUTCOMES:
        raise ValueError(f"decision outcome must be one of {DECISION_OUTCOMES}, not {context['outcome']!r}")
    # A malformed list would otherwise render as silently empty rows, which nobody would notice until printed.
    for key in ("materials", "items"):
        rows = context.get(key)
        if rows is not None and not (
            isinstance(rows, list) and all(isinstance(r, dict) and r.get("name") for r in rows)
        ):
            raise ValueError(f"{key} must be a list of objects, each with a name")
    conditions = context.get("conditions")
    if conditions is not None and not (isinstance(conditions, list) and all(isinstance(c, str) for c in conditions)):
        raise ValueError("conditions must be a list of texts")

    values = dict(context)
    values["kind"] = kind.code
    values["title"] = kind.title
    for key in DATE_KEYS:
        if context.get(key):
            try:
                values[f"{key}_cn"] = cn_date(context[key])
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be an ISO date (YYYY-MM-DD), not {context[key]!r}") from None
    values["paras"] = {key: _paragraphs(str(context[key])) for key in TEXT_KEYS if context.get(key)}
    if kind.code in ADVERSE_KINDS or (kind.code == "decision" and context["outcome"] == "deny"):
        remedy = DEFAULT_REMEDY
        if kind.title.endswith("决定书"):
            remedy = remedy.replace("本通知书", "本决定书")  # the applicant receives a 决定书, not a 通知书
        values["paras"].setdefault("remedy", [remedy])
    values["css"] = mark_safe(_css())  # our own file, not a context value
    values["qr"] = mark_safe(qr_svg(context["verify_url"]))  # modules only: the URL is encoded, never printed inside
    values["seal"] = mark_safe(seal_svg(context["organ"]))  # seal_svg escapes the organ name itself
    return values


@cache
def _css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def render_html(kind: str, context: dict) -> str:
    """The notice as a self-contained HTML page (inline CSS and SVG), for previews and for the PDF."""
    notice_kind = _kind(kind)
    return render_to_string(notice_kind.template, _template_context(notice_kind, context))


def render_pdf(kind: str, context: dict) -> bytes:
    """The notice as an A4 PDF with its fonts embedded.

    The same context gives the same bytes as long as WeasyPrint and the fonts stay the same; an upgrade of either
    may change the bytes (not the wording), so keep the PDF as issued rather than re-rendering it to compare.
    """
    html = render_html(kind, context)
    from tongban.cases.notices.pdf import html_to_pdf  # WeasyPrint loads only in processes that render PDFs

    return html_to_pdf(html, identifier=context["number"])
