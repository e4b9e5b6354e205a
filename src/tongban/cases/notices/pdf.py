"""HTML to PDF through WeasyPrint, with nothing fetched from outside the notices' own static folder.

Imported only when a PDF is rendered: WeasyPrint and its Pango bindings take a noticeable time to load, and
web processes that only preview notices never need them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher

STATIC_DIR = (Path(__file__).resolve().parent.parent / "static" / "cases" / "notices").resolve()
BASE_URL = STATIC_DIR.as_uri() + "/"


class NoticeRenderError(ValueError):
    """A notice template asked for a resource it may not have; a programming error, not the applicant's."""


class LocalOnlyFetcher(URLFetcher):
    """Serves ``data:`` URLs and files under the notices' static folder; refuses everything else.

    A worker rendering notices must not hang on, or leak data to, a remote host because a template (or a value
    that slipped past escaping) names an http(s) URL; and ``file:`` elsewhere would let a template read
    any file the worker can.
    """

    def __init__(self) -> None:
        super().__init__(timeout=1, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None):
        if url.startswith("data:") or self._is_static_file(url):
            return super().fetch(url, headers)
        self.refused.append(url)
        raise NoticeRenderError(f"notice rendering fetches nothing from outside: refused {url}")

    @staticmethod
    def _is_static_file(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parts.path)).resolve()
        return path.is_relative_to(STATIC_DIR)


def html_to_pdf(html: str, *, identifier: str) -> bytes:
    """The PDF for ``html``; raises :class:`NoticeRenderError` if the HTML asked for a refused resource.

    ``identifier`` becomes the PDF file identifier, so the same notice rendered twice gives the same bytes.
    """
    fetcher = LocalOnlyFetcher()
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(
        pdf_identifier=identifier.encode(), uncompressed_pdf=False
    )
    if fetcher.refused:
        # WeasyPrint only logs a failed fetch and renders on; a notice missing part of its content must fail.
        raise NoticeRenderError(f"notice template refers to resources outside the notice: {fetcher.refused}")
    return pdf
