"""The two drawn marks on a notice: the 核验二维码 (QR code) and the placeholder 印章 (seal).

Both are inline SVG strings built here, so rendering never fetches anything and the browser preview and
the PDF show the same drawing.
"""

from __future__ import annotations

import math

import segno
from django.utils.html import escape

# Medium error correction: a printed notice gets folded and stamped over, and M keeps a typical verify URL
# at version 4 (33 modules), which prints at about 0.6 mm per module at the size the stylesheet gives it.
QR_ERROR = "m"
QR_BORDER = 4  # the quiet zone ISO/IEC 18004 requires; scanners fail on a tight crop next to text
SEAL_RED = "#d40f1b"


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The module matrix of the QR code for ``url`` (1 = dark), without the quiet zone."""
    return segno.make(url, error=QR_ERROR, micro=False).matrix


def qr_svg(url: str) -> str:
    """Inline SVG markup of the QR code that encodes exactly ``url``."""
    matrix = qr_matrix(url)
    size = len(matrix) + 2 * QR_BORDER
    # One rectangle per horizontal run of dark modules keeps the markup small (a version-4 code is ~300 runs).
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start + QR_BORDER} {y + QR_BORDER}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}" shape-rendering="crispEdges" role="img" aria-label="文书核验二维码">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = math.radians(-90 + 36 * k)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


def seal_svg(organ: str) -> str:
    """A red round placeholder seal (样章) with a star and ``organ`` along the upper arc.

    It imitates the layout of an official round seal so the notice's proportions are right, but says
    样章 in its centre: it is not an electronic seal and must never be read as one.
    """
    chars = list(organ.strip())
    cx = cy = 100.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="seal" viewBox="0 0 200 200" width="200" height="200" '
        f'role="img" aria-label="{escape(organ)}（样章）">',
        f'<g fill="none" stroke="{SEAL_RED}" stroke-width="6"><circle cx="{cx}" cy="{cy}" r="94"/></g>',
        f'<polygon fill="{SEAL_RED}" points="{_star(cx, cy, 30)}"/>',
    ]
    n = len(chars)
    if n:
        # Characters sit upright along the arc, left to right over the top, as on a real seal; the arc
        # widens with the name up to 240°, then the glyphs shrink instead.
        span = min(240.0, 26.0 * (n - 1))
        step = span / (n - 1) if n > 1 else 0.0
        font = min(26.0, 0.9 * math.radians(step) * 70.0) if n > 1 else 26.0
        radius = 84.0 - font / 2  # glyphs keep a steady gap to the ring whatever their size
        parts.append(
            f'<g fill="{SEAL_RED}" font-family="Noto Sans CJK SC, sans-serif" font-weight="bold" '
            f'font-size="{font:.1f}" text-anchor="middle">'
        )
        for i, char in enumerate(chars):
            angle = -span / 2 + i * step
            x = cx + radius * math.sin(math.radians(angle))
            y = cy - radius * math.cos(math.radians(angle))
            # The baseline is moved down by ~0.35 em so the glyph's centre, not its baseline, sits on the arc.
            parts.append(
                f'<text x="{x:.2f}" y="{y + 0.35 * font:.2f}" '
                f'transform="rotate({angle:.2f} {x:.2f} {y:.2f})">{escape(char)}</text>'
            )
        parts.append("</g>")
    parts.append(
        f'<text x="{cx}" y="158" fill="{SEAL_RED}" font-family="Noto Sans CJK SC, sans-serif" font-weight="bold" '
        f'font-size="22" text-anchor="middle">样章</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
