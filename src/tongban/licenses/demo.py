"""The demo's seals and licence data: each department of the node's region gets a seal, and the issue
step of a demo case fills the licence fields its form lacks with plausible values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q

from tongban.catalog.models import Department, LicenseType
from tongban.core.errors import DomainError
from tongban.identity.actor import SYSTEM
from tongban.licenses import seals
from tongban.licenses.models import Seal

SAMPLES: dict[str, Any] = {
    "entity_type": "有限责任公司（自然人投资或控股）",
    "uscc": "91411500MA9ABCDE0X",
    "unit_number": "411502001001GB00001F00010001",
    "finding": "未发现有犯罪记录",
    "registered_address": "河南省信阳市浉河区民权路1号",
}


def ensure_demo_seals(region_code: str | None = None) -> int:
    """A seal for every department of the region that has a USCC and none in force; returns how many."""
    region_code = region_code or settings.TONGBAN_REGION
    made = 0
    departments = Department.objects.filter(Q(region_id=region_code) | Q(region__parent_id=region_code)).exclude(
        uscc=""
    )
    for department in departments.order_by("id"):
        try:
            seals.current_seal(department)
        except DomainError:
            seals.create_seal(SYSTEM, department=department)
            made += 1
    return made


def export_seals(path: Path) -> None:
    """This node's seals, public parts only, for the federation operator's trust list."""
    from tongban.licenses.management.commands.seal import export_document

    exported = export_document(Seal.objects.all())
    try:
        if json.loads(path.read_text(encoding="utf-8"))["seals"] == exported["seals"]:
            return  # unchanged: a second preparation leaves the file (and the trust list) as they are
    except (OSError, ValueError, KeyError, TypeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(exported, ensure_ascii=False, indent=1), encoding="utf-8")


def license_data(case: Any) -> dict[str, Any] | None:
    """What an issuing officer would add at the issue step: the licence fields the case's form lacks."""
    code = case.guide_version.result_license_type
    license_type = LicenseType.objects.filter(code=code).first() if code else None
    if license_type is None:
        return None
    given = case.form_data or {}
    out: dict[str, Any] = {}
    for name, field in (license_type.schema.get("properties") or {}).items():
        if name in given:
            continue
        if name in SAMPLES:
            out[name] = SAMPLES[name]
        elif field.get("format") == "date":
            out[name] = case.created_at.date().isoformat()
        elif field.get("type") in ("number", "integer"):
            out[name] = max(field.get("minimum", 0), 1)
        else:
            out[name] = f"演示{field.get('title', name)}"
    return out
