"""Stand-ins for the front desk's policy rules while policy.RULES does not have them yet (no-ops after)."""

from __future__ import annotations

import pytest

from tongban.core.messages import Text
from tongban.identity import policy
from tongban.identity.choices import Role

_RULES = (
    policy.Rule("frontdesk.take", Text("取号", "take a queue ticket"), anonymous=True),
    policy.Rule(
        "frontdesk.operate",
        Text("叫号、接待与预约签到", "call, serve and check in at a window"),
        roles=frozenset({Role.WINDOW_CLERK}),
    ),
    policy.Rule(
        "frontdesk.read",
        Text("查看大厅排队与效能", "see the hall's queue and figures"),
        roles=frozenset({Role.WINDOW_CLERK, Role.SUPERVISOR}),
        reading=True,
    ),
)


@pytest.fixture(autouse=True)
def _frontdesk_rules(monkeypatch):
    for rule in _RULES:
        if rule.action not in policy.RULES:
            monkeypatch.setitem(policy.RULES, rule.action, rule)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Logins are made per test: hashing their passwords properly would dominate the tests' time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
