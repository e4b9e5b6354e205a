"""Photograph the guide page for the docs: docs/screenshots/guide.png.

    .venv/bin/python scripts/screenshot.py [--out docs/screenshots/guide.png] [--width 1024] [--large-text]

Builds a throwaway database in a temporary folder (never ./var), fills it with the demo-like catalog
of the page tests (正常退休提取住房公积金 in 信阳市, with its materials) through the catalog commands,
serves it on 127.0.0.1 and takes a full-page screenshot with Debian's Chromium.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "guide.png"))
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--large-text", action="store_true", help="photograph the page in large-text mode")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("Chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="tongban-shot-") as var:
        # Settings read the environment once, at import: set it before Django starts.
        os.environ.update(
            TONGBAN_VAR_DIR=var, DJANGO_SETTINGS_MODULE="tongban.settings", DJANGO_ALLOW_ASYNC_UNSAFE="true"
        )
        import django

        django.setup()
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.management import call_command
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
        from django.core.wsgi import get_wsgi_application
        from tests.web import data

        call_command("migrate", verbosity=0)
        catalog = data.build()

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, *args: object) -> None:  # one line per static file is noise here
                pass

        server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
        server.set_app(StaticFilesHandler(get_wsgi_application()))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/guides/{catalog.fund.implementation_code}/"

        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            context = browser.new_context(viewport={"width": args.width, "height": 900}, locale="zh-CN")
            if args.large_text:
                context.add_cookies([{"name": "tongban_large_text", "value": "1", "url": url}])
            page = context.new_page()
            page.goto(url)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=args.out, full_page=True)
            browser.close()
        server.shutdown()
    print(f"{args.out}: {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
