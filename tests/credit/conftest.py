"""Shared set-up of the credit tests: quick password hashing, files in a temporary folder, and the case
tests' fixed clock (Monday 23 November 2026, 09:00 in 信阳), so "today" is 2026-11-23 in every test."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.cases.conftest import MONDAY, Clock


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TONGBAN_REGION = "411500"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    now = Clock(MONDAY)
    with mock.patch("django.utils.timezone.now", now):
        yield now
