"""Shared set-up of the case tests: files in a temporary folder, quick password hashing, and a clock.

The clock starts on Monday 23 November 2026, 09:00 in 信阳, and moves a millisecond per reading, so no
test depends on today's date (a deadline computed from "now" would otherwise run into a year the
calendar does not hold, some day).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, tzinfo=ZONE)


class Clock:
    """The tests' clock: set to a moment, then a millisecond further per reading."""

    def __init__(self, moment: datetime) -> None:
        self.at = moment

    def set(self, moment: datetime) -> None:
        self.at = moment

    def __call__(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at.astimezone(UTC)  # as Django's own: aware, in UTC


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    now = Clock(MONDAY)
    with mock.patch("django.utils.timezone.now", now):
        yield now
