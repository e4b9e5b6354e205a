"""Shared test set-up: the component check and catalog factories."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get("TONGBAN_REQUIRE_ALL") == "1"


def need(component: str, available: bool, how: str) -> None:
    """Skip a test whose component is missing, or fail when TONGBAN_REQUIRE_ALL=1 demands everything."""
    if available:
        return
    message = f"{component} is not available; install it: {how}"
    if REQUIRE_ALL:
        pytest.fail(f"TONGBAN_REQUIRE_ALL=1 and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """The clock caches calendar years in the process; a test's rolled-back calendar must not leak."""
    from tongban.workdays import clock

    clock.forget()
    yield
    clock.forget()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ensure_regions() -> None:
    """Transactional tests run last, and each leaves the database flushed, including the regions the
    migrations load: a transactional test that needs them puts them back when an earlier one took them."""
    from django.core.management import call_command

    from tongban.catalog.models import Region

    if not Region.objects.filter(code="411500").exists():
        call_command("load_regions", verbosity=0)
