"""An item case of a bundle application (一件事): received with what the bundle already holds.

The bundle's intake checked the applicant's identity and took each material once; ``receive_bundle_item``
opens the item's case with them, awaiting acceptance like any window intake: the form filled from the
merged form, each shared material recorded as given the way it was given to the bundle (a file is the
same stored file, referenced, not copied), and a material that an earlier item's result provides
recorded as that e-licence (免提交). The bundles app decides what to pass; the case's own rules decide
the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.cases import events
from tongban.cases import services as core
from tongban.cases.choices import MaterialEvidence, MaterialState, Status
from tongban.cases.models import Case, MaterialFile
from tongban.identity.actor import Actor
from tongban.identity.denied import require
from tongban.identity.models import Authorisation, Organisation, Person


@dataclass(frozen=True)
class SharedMaterial:
    """How one material of the item's guide was given through the bundle."""

    name: str  # the material's name in the item's guide
    evidence: str
    note: str = ""
    file: dict[str, Any] = field(default_factory=dict)  # stored name, original name, type, size, sm3, sha256
    license_identifier: str = ""
    license_document: dict[str, Any] | None = None


@transaction.atomic
def receive_bundle_item(
    actor: Actor,
    *,
    implementation: Any,
    bundle_case: Any,
    key: str,
    channel: str,
    person: Person | None,
    organisation: Organisation | None,
    agent: Person | None,
    authorisation: Authorisation | None,
    identity_check: str,
    form_data: dict[str, Any],
    materials: Sequence[SharedMaterial],
) -> Case:
    """收件 of one item of a bundle: the case awaits acceptance by the item's department."""
    from tongban.cases.services import transfer

    impl = core._implementation(implementation)
    home = transfer.home_node_for(impl)
    if home:  # 多地联办: another node's part; the bundle's definition named the agreement that allows it
        require(actor, "case.intake")
    else:
        require(actor, "case.intake", Case(region_id=impl.region_id, department_id=impl.department_id))
    case = core._new_case(
        actor,
        impl,
        channel=channel,
        status=Status.PENDING,
        person=person,
        organisation=organisation,
        agent=agent,
        authorisation=authorisation,
        form_data=form_data,
        receiving_region_code=bundle_case.receiving_region_id,
    )
    case.bundle_case = bundle_case
    case.bundle_key = key
    case.home_node = home
    case.received_by = bundle_case.received_by
    case.identity_check = identity_check
    case.arrived_at = timezone.now()
    case.save(update_fields=["bundle_case", "bundle_key", "home_node", "received_by", "identity_check", "arrived_at"])
    events.append(
        case,
        actor,
        "receive",
        "",
        {"identity_check": identity_check, "bundle": bundle_case.number, "item": key},
        at=case.arrived_at,
    )
    given = {m.name: m for m in materials}
    for material in case.materials.all():
        shared = given.get(material.name)
        if shared is None:
            continue
        material.state = MaterialState.PROVIDED
        material.evidence = shared.evidence
        material.note = shared.note[:500]
        if shared.evidence == MaterialEvidence.LICENSE:
            material.license_identifier = shared.license_identifier
            material.license_document = shared.license_document
        material.save(update_fields=["state", "evidence", "note", "license_identifier", "license_document"])
        if shared.file:
            MaterialFile.objects.create(
                material=material,
                version=1,
                file=shared.file["name"],
                original_name=shared.file["original_name"],
                content_type=shared.file["content_type"],
                size=shared.file["size"],
                sm3=shared.file["sm3"],
                sha256=shared.file["sha256"],
            )
        detail = {"material": material.name, "evidence": shared.evidence, "bundle": bundle_case.number}
        if shared.license_identifier:
            detail["license"] = shared.license_identifier
        events.append(case, actor, "record-material", case.status, detail)
    if home:
        _send_on(case)
    return case


def _send_on(case: Case) -> None:
    """Another node's part goes there at once; when its materials are not complete yet, it stays here
    for the window to complete and forward, and the bundle carries on with the rest."""
    from tongban.cases.services import transfer
    from tongban.core.errors import DomainError
    from tongban.identity.actor import SYSTEM

    try:
        with transaction.atomic():
            transfer.forward(SYSTEM, case)
    except DomainError as held:
        events.append(case, SYSTEM, "forward-held", case.status, {"problems": [p.code for p in held.problems]})
