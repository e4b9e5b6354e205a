"""Case notices (文书): 受理, 不予受理, 补正材料, 办结, 容缺受理, 告知承诺, 终止办理
and 撤销 notices as HTML and PDF."""

from tongban.cases.notices.render import KINDS, NoticeKind, qr_svg, render_html, render_pdf

__all__ = ["KINDS", "NoticeKind", "qr_svg", "render_html", "render_pdf"]
