"""Licence test data (电子证照): a licence type, an issuing department with its seal, the trust list that
publishes the seal, and licences signed through the licence commands.

The seal keys go to the key store under the test's own folder (``isolated_keys``); the node key and the
operator's trust list come from the ``federation`` fixture (tests/federation/conftest.py).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests import factories as f
from tests.federation.conftest import ME, Federation
from tongban.catalog.models import Department, LicenseType
from tongban.federation import node, trust
from tongban.federation.trust import TrustList
from tongban.identity.actor import SYSTEM
from tongban.licenses import keystore, seals, services
from tongban.licenses.models import License, LicenseEventKind, Seal

_serial = itertools.count(1)
_versions = itertools.count(2)  # the federation fixture's own list is version 1

CERTIFICATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "id_number", "title"],
    "properties": {
        "name": {"type": "string", "title": "姓名"},
        "id_number": {"type": "string", "title": "公民身份号码"},
        "title": {"type": "string", "title": "资格名称"},
        "level": {"type": "string", "title": "等级"},
        "awarded_on": {"type": "string", "title": "取得日期", "format": "date"},
    },
}
LICENSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["company_name", "uscc", "legal_rep", "business_scope"],
    "properties": {
        "company_name": {"type": "string", "title": "名称"},
        "uscc": {"type": "string", "title": "统一社会信用代码"},
        "legal_rep": {"type": "string", "title": "法定代表人"},
        "capital": {"type": "number", "title": "注册资本（万元）"},
        "business_scope": {"type": "string", "title": "经营范围"},
    },
    "x-holder": {"name": "company_name", "code": "uscc", "code_type": "049"},
}


def isolated_keys(monkeypatch: Any, folder: Any) -> None:
    """Seal keys in ``folder``, away from the node's own var/ folder."""
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(folder))
    monkeypatch.setenv("TONGBAN_SEAL_KEY_PASSWORD", "test-seal-password")
    keystore.forget()


def license_type(
    *, template: str = "certificate", schema: dict[str, Any] | None = None, name: str = "职业资格证书", **kw: Any
) -> LicenseType:
    """A licence type defined by a national organ (type code: the organ's USCC and a sequence)."""
    organ = f.uscc("100000")
    return LicenseType.objects.create(
        code=f"{organ}{next(_serial) % 1000:03d}",
        name=name,
        defining_organ_name=kw.pop("defining_organ_name", "人力资源和社会保障部"),
        schema=schema if schema is not None else CERTIFICATE_SCHEMA,
        template=template,
        **kw,
    )


def issuing_department(region: str = "411500", name: str = "信阳市人力资源和社会保障局") -> Department:
    return f.department(region, name=name)


def seal(department: Department) -> Seal:
    # Made a minute ago: a licence is signed at a whole second, which may fall before a seal made this second.
    return seals.create_seal(SYSTEM, department=department, valid_from=timezone.now() - timedelta(minutes=1))


def publish(federation: Federation, *published: Seal) -> TrustList:
    """A newer trust list naming this node's seals, signed by the operator and accepted here."""
    body = federation.body(next(_versions))
    for entry in body["nodes"]:
        if entry["node_id"] == ME:
            entry["seals"] = [s.public_dict() for s in published]
    return node.accept_trust_list(trust.sign(body, federation.operator), "test")


def license(
    license_type: LicenseType,
    issuer: Department,
    *,
    holder: dict[str, str],
    data: dict[str, Any],
    serial: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> License:
    """A licence signed with the issuer's seal in force, without a case: what ``issue_for_case`` does after
    its checks (signature, log leaf, issuance event)."""
    today = date.today()
    lic = services._sign_and_store(
        license_type=license_type,
        issuer=issuer,
        serial=serial or f"T{next(_serial):08d}",
        version=1,
        holder=holder,
        data=services._checked_data(license_type, data),
        case=None,
        item={"code": "T0001", "name": "职业资格证书核发"},
        valid_from=valid_from or today,
        valid_to=valid_to,
        previous=None,
    )
    services._event(SYSTEM, lic, LicenseEventKind.ISSUE, lic.log_index)
    return lic


def certificate_data(name: str, id_number: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "id_number": id_number, "title": "电工", "level": "四级", "awarded_on": "2026-06-30", **more}


def person_holder(name: str, id_number: str) -> dict[str, str]:
    return {"name": name, "code": id_number, "code_type": services.CODE_TYPE_ID_CARD}
