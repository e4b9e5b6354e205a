"""Where licences join case handling: the issue step (制证) signs the case's e-licence."""

from __future__ import annotations

from typing import Any

from tongban.identity.actor import Actor


def sign_on_issue(actor: Actor, case: Any, license_data: dict[str, Any] | None) -> dict[str, Any] | None:
    from tongban.licenses.services import issue_for_case

    lic = issue_for_case(actor, case, license_data)
    return {"license": lic.identifier, "license_number": lic.number} if lic is not None else None


def register() -> None:
    from tongban.cases import services

    if sign_on_issue not in services.ON_ISSUE:
        services.ON_ISSUE.append(sign_on_issue)
