"""The error a refused policy check raises: a 403 in the API's shape, with the reason in both languages.

It is both a DomainError (so the API's exception handler renders it with message_zh and message_en)
and DRF's PermissionDenied (so DRF code that expects a refusal, like OPTIONS metadata, handles it).
Kept apart from policy.py because importing rest_framework.views while DRF loads the default
permission class would be circular.
"""

from __future__ import annotations

from rest_framework import exceptions

from tongban.core.errors import DomainError, Problem
from tongban.identity.policy import Decision


class PolicyDenied(DomainError, exceptions.PermissionDenied):
    status = 403
    status_code = 403

    def __init__(self, decision: Decision, field: str | None = None) -> None:
        self.decision = decision
        super().__init__([Problem(field, decision.code, decision.reason)], 403)


def require(actor, action: str, obj=None, field: str | None = None) -> Decision:  # type: ignore[no-untyped-def]
    """The Decision of ``policy.may``, or PolicyDenied when it refuses."""
    from tongban.identity.policy import may

    decision = may(actor, action, obj)
    if not decision.allowed:
        raise PolicyDenied(decision, field)
    return decision
