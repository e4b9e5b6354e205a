"""A small issuing world for the licence API, VC and CLI tests: a department of 信阳 (411500) with a seal, a
licence type, an applicant's case, the licence issued on it, and the operator's trust list naming this
node's key and the seal — all built through the commands, as a node would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tests import factories as f
from tests.federation.conftest import Federation
from tests.identity import make
from tongban.cases import services as cases
from tongban.catalog.models import Department, LicenseType
from tongban.federation import node, trust
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.licenses import keystore, seals, services
from tongban.licenses.models import License, Seal

REGION = "411500"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "测试经营许可证",
    "type": "object",
    "required": ["permit_scope"],
    "properties": {
        "permit_scope": {"type": "string", "title": "许可范围"},
        "premises": {"type": "string", "title": "经营场所"},
    },
}
DATA = {"permit_scope": "预包装食品销售", "premises": "信阳市浉河区民权路1号"}


@dataclass
class World:
    federation: Federation
    department: Department
    seal: Seal
    license_type: LicenseType
    license: License
    holder: User
    head: User
    clerk: User
    trust: trust.TrustList

    def signed_trust_list(self) -> dict[str, Any]:
        return self.trust.document

    def write_trust(self, folder: Path) -> tuple[Path, Path]:
        """The trust list and the operator's public key (the anchor) as files, as a verifier gets them."""
        listed, anchor = folder / "trust.json", folder / "operator.pub.pem"
        listed.write_text(json.dumps(self.trust.document, ensure_ascii=False), encoding="utf-8")
        anchor.write_text(self.federation.operator.public_key().to_pem(), encoding="ascii")
        return listed, anchor


def trust_with_seals(federation: Federation, *published: Seal, version: int = 1) -> trust.TrustList:
    """The operator's list with this node's seals published, accepted by this node."""
    body = federation.body(version)
    body["nodes"][0]["seals"] = [s.public_dict() for s in published]
    return node.accept_trust_list(trust.sign(body, federation.operator), "test")


def license_type(code_owner: str, **kw: Any) -> LicenseType:
    return LicenseType.objects.create(
        code=f"{code_owner}001",
        name=kw.pop("name", "测试经营许可证"),
        defining_organ_name="测试定义机关",
        holder_kind="natural",
        validity_years=5,
        schema=SCHEMA,
        template="certificate",
        **kw,
    )


def issue(department: Department, kind: LicenseType, applicant: User, data: dict[str, Any] | None = None) -> License:
    """A licence issued on an applicant's case, by the issue step's own command."""
    impl = f.implementation(
        dept=department,
        region_code=department.region_id,
        guide_data=f.guide(
            name="测试经营许可", result_type="license", result_name=kind.name, result_license_type=kind.code
        ),
    )
    case = cases.create_draft(actor_for_user(applicant), implementation=impl)
    lic = services.issue_for_case(SYSTEM, case, dict(data or DATA))
    assert lic is not None
    return lic


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Path:
    """Seal keys and stored files in a temporary folder; quick password hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    var = tmp_path / "var"
    var.mkdir()
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(var))
    monkeypatch.delenv("TONGBAN_SEAL_KEY_PASSWORD", raising=False)
    monkeypatch.delenv("TONGBAN_KEYSTORE", raising=False)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(var)}},
    }
    keystore.forget()
    yield var
    keystore.forget()


@pytest.fixture
def world(federation: Federation, isolated: Path, db: None) -> World:
    department = f.department(REGION, name="信阳市测试市场监督管理局")
    # Valid from a minute ago: issuance signs at the whole second, which may fall before a seal made just now.
    seal = seals.create_seal(SYSTEM, department=department, valid_from=timezone.now() - timedelta(minutes=1))
    kind = license_type(f.uscc("100000"))
    holder = make.applicant(REGION)
    lic = issue(department, kind, holder)
    return World(
        federation=federation,
        department=department,
        seal=seal,
        license_type=kind,
        license=lic,
        holder=holder,
        head=make.staff("department_head", REGION, department=department),
        clerk=make.staff("window_clerk", REGION, department=department),
        trust=trust_with_seals(federation, seal),
    )
