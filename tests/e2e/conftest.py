"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser is the system's `chromium` package. Without it these tests are
skipped, or fail under TONGBAN_REQUIRE_ALL=1.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.conftest import chromium_path, need
from tests.web import data
from tongban.catalog import regions
from tongban.catalog.models import Region

# Playwright's sync API keeps an event loop running in the test's thread, and Django refuses ORM calls
# from such a thread. The test only builds data before driving the browser, and the live server answers
# from its own thread, so the check guards against nothing here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",  # runs as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",  # no calls home: tests stay offline and quiet
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # /dev/shm is tiny in containers; Chromium crashes tabs when it fills
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    path = chromium_path()
    need("Chromium", path is not None, "apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": path, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture
def catalog(transactional_db: None) -> data.Catalog:
    """The demo-like catalog, committed so the live server's thread sees it."""
    # The flush after each transactional test empties every table, the divisions (GB/T 2260) that a data
    # migration loaded too; put them back. serialized_rollback would, but Django keeps its copy on the
    # connection object of the thread that set up the database, and under Playwright's sync API the
    # test gets a different connection object, which has none.
    if not Region.objects.exists():
        regions.load(Region)
    return data.build()
