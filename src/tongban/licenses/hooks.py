"""Where licences join case handling: the issue step (制证) signs the case's e-licence."""

from __future__ import annotations

from typing import Any

from tongban.identity.actor import Actor


def sign_on_issue(actor: Actor, case: Any, license_data: dict[str, Any] | None) -> dict[str, Any] | None:
    from tongban.licenses.services import issue_for_case

    lic = issue_for_case(actor, case, license_data)
    return {"license": lic.identifier, "license_number": lic.number} if lic is not None else None


def revoke_with_case(actor: Actor, case: Any, reasons: str) -> None:
    """撤销 of an approval revokes the licences it produced: their status, an event and a log entry each."""
    from tongban.licenses.models import License, LicenseStatus
    from tongban.licenses.services import revoke

    in_force = License.objects.filter(case=case, status__in=[LicenseStatus.VALID, LicenseStatus.SUSPENDED])
    for lic in in_force:
        revoke(actor, lic, reason=f"准予决定已撤销（{case.number}）：{reasons}"[:500])


def register() -> None:
    from tongban.cases import services

    for hooks, hook in ((services.ON_ISSUE, sign_on_issue), (services.ON_REVOCATION, revoke_with_case)):
        if hook not in hooks:
            hooks.append(hook)
