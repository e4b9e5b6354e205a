"""Electronic seals (电子印章): the key store, the seal commands and their policy, the picture, the CLI."""

from __future__ import annotations

import base64
import json
import stat
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests import factories as f
from tests.identity import make
from tongban.core.errors import DomainError
from tongban.federation import trust
from tongban.federation.sm2 import PrivateKey, PublicKey, SM2Error
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.denied import PolicyDenied
from tongban.licenses import keystore, seals
from tongban.licenses.keystore import FileKeyStore, KeyStoreError
from tongban.licenses.models import Seal

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def var(tmp_path, monkeypatch, settings):  # type: ignore[no-untyped-def]
    """Key files in a temporary var folder, the generated password, and no key cached from another test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("TONGBAN_SEAL_KEY_PASSWORD", raising=False)
    monkeypatch.delenv("TONGBAN_KEYSTORE", raising=False)
    keystore.forget()
    yield tmp_path
    keystore.forget()


def _key_files(var: Path) -> list[Path]:
    folder = var / "keys" / "seals"
    return sorted(folder.glob("*.pem")) if folder.exists() else []


class MemoryKeyStore:
    """A key store that keeps real SM2 keys in memory: stands in for an HSM behind TONGBAN_KEYSTORE."""

    keys: dict[str, PrivateKey] = {}

    def create(self, seal_id: str) -> PublicKey:
        self.keys[seal_id] = PrivateKey.generate()
        return self.keys[seal_id].public_key()

    def sign(self, seal_id: str, data: bytes) -> bytes:
        return self.keys[seal_id].sign(data)

    def public_key(self, seal_id: str) -> PublicKey:
        return self.keys[seal_id].public_key()


# --- the key store ----------------------------------------------------------------------------------


def test_file_store_keeps_keys_encrypted_and_signs_after_reloading(var):
    store = FileKeyStore()
    public = store.create("S0001")
    path = var / "keys" / "seals" / "S0001.pem"
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password_file = var / "keys" / "seal-password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    with pytest.raises(SM2Error, match="encrypted"):
        PrivateKey.from_pem(pem)
    with pytest.raises(SM2Error):
        PrivateKey.from_pem(pem, b"not the password")
    assert PrivateKey.from_pem(pem, password_file.read_bytes().strip()).public_key() == public

    signature = store.sign("S0001", b"licence")
    assert public.verify(b"licence", signature)
    keystore.forget()  # a fresh process reads the file again
    assert public.verify(b"again", FileKeyStore().sign("S0001", b"again"))
    assert FileKeyStore().public_key("S0001") == public


def test_file_store_refuses_reuse_and_forgets_destroyed_keys(var):
    store = FileKeyStore()
    store.create("S0001")
    with pytest.raises(KeyStoreError, match="exists"):
        store.create("S0001")
    store.destroy("S0001")
    assert _key_files(var) == []
    with pytest.raises(KeyStoreError, match="no key"):
        store.sign("S0001", b"x")
    with pytest.raises(KeyStoreError):
        store.create("../escape")


def test_password_setting_replaces_the_generated_password(var, monkeypatch):
    monkeypatch.setenv("TONGBAN_SEAL_KEY_PASSWORD", "a-password-from-the-secret-store")
    public = FileKeyStore().create("S0001")
    assert not (var / "keys" / "seal-password").exists()
    pem = (var / "keys" / "seals" / "S0001.pem").read_bytes()
    assert PrivateKey.from_pem(pem, b"a-password-from-the-secret-store").public_key() == public


def test_keystore_setting_plugs_in_another_store(var, monkeypatch):
    monkeypatch.setenv("TONGBAN_KEYSTORE", f"{__name__}.MemoryKeyStore")
    seal = seals.create_seal(SYSTEM, department=f.department())
    assert _key_files(var) == []
    assert PublicKey.from_pem(seal.public_key).verify(b"x", seals.sign(seal, b"x"))
    monkeypatch.setenv("TONGBAN_KEYSTORE", "tongban.licenses.nowhere.Store")
    with pytest.raises(KeyStoreError, match="cannot be imported"):
        keystore.keystore()


# --- creating, rotating, revoking -------------------------------------------------------------------


def test_create_seal_names_it_after_the_department_for_three_years(var):
    dept = f.department(name="信阳市市场监督管理局")
    seal = seals.create_seal(SYSTEM, department=dept)
    assert seal.seal_id == f"{dept.uscc}0001"
    assert (seal.name, seal.kind, seal.width_mm, seal.height_mm) == ("信阳市市场监督管理局", 1, 42, 42)
    public = PublicKey.from_pem(seal.public_key)
    assert seal.key_id == public.fingerprint()
    assert seal.valid_to.year == seal.valid_from.year + 3
    assert [p.name for p in _key_files(var)] == [f"{seal.seal_id}.pem"]
    assert seals.create_seal(SYSTEM, department=dept, name="信阳市市场监督管理局合同专用章").seal_id.endswith("0002")

    public_part = seal.public_dict()
    assert public_part["organisation_code"] == dept.uscc
    assert public_part["organisation_name"] == dept.name
    assert public_part["revoked_at"] is None
    assert base64.b64decode(public_part["picture"]["data"]).decode() == seal.picture
    assert trust.seal_entry(public_part).key_id == seal.key_id  # what the trust list will accept


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"kind": 3}, "kind", "invalid"),
        ({"name": "局" * 65}, "name", "too_long"),
        ({"valid_to": timezone.now() - timedelta(days=1)}, "valid_to", "before_start"),
        ({"valid_from": timezone.now().replace(tzinfo=None)}, "valid_from", "no_time_zone"),
    ],
)
def test_create_seal_refuses_bad_input_and_writes_nothing(var, kwargs, field, code):
    with pytest.raises(DomainError) as refused:
        seals.create_seal(SYSTEM, department=f.department(), **kwargs)
    problem = refused.value.problems[0]
    assert (problem.field, problem.code) == (field, code)
    assert problem.text.zh and problem.text.en
    assert not Seal.objects.exists() and _key_files(var) == []


def test_rotation_ends_the_old_seal_without_revoking_it(var):
    dept = f.department()
    old = seals.create_seal(SYSTEM, department=dept)
    before = timezone.now()
    earlier = seals.sign(old, b"issued before", at=before)
    new = seals.rotate(SYSTEM, old)
    old.refresh_from_db()
    assert new.seal_id == f"{dept.uscc}0002" and new.key_id != old.key_id and new.name == old.name
    assert old.revoked_at is None and old.valid_to <= new.valid_from
    assert seals.current_seal(dept) == new
    assert seals.current_seal(dept, at=before) == old
    assert PublicKey.from_pem(old.public_key).verify(b"issued before", earlier)
    assert old.problem_at(before) is None
    with pytest.raises(DomainError) as refused:
        seals.sign(old, b"after")
    assert refused.value.problems[0].code == "seal_expired" and refused.value.status == 409
    with pytest.raises(DomainError, match="cannot be rotated"):
        seals.rotate(SYSTEM, old)


def test_a_revoked_seal_signs_nothing_but_its_earlier_signatures_stand(var, django_capture_on_commit_callbacks):
    dept = f.department()
    seal = seals.create_seal(SYSTEM, department=dept)
    signed_at = timezone.now()
    signature = seals.sign(seal, b"licence 1", at=signed_at)
    with django_capture_on_commit_callbacks(execute=True):
        seals.revoke(SYSTEM, seal, reason="私钥介质遗失")
    seal.refresh_from_db()
    assert seal.revoked_at >= signed_at and seal.revocation_reason == "私钥介质遗失" and seal.revoked_by == "system"
    assert _key_files(var) == []  # the file store erased the key once the revocation was committed

    for at in (None, signed_at):  # not even with a signing time from before the revocation
        with pytest.raises(DomainError) as refused:
            seals.sign(seal, b"licence 2", at=at)
        assert refused.value.problems[0].code == "seal_revoked" and refused.value.status == 409
    assert PublicKey.from_pem(seal.public_key).verify(b"licence 1", signature)
    assert seal.problem_at(signed_at) is None
    assert seal.problem_at(seal.revoked_at).problems[0].code == "seal_revoked"
    with pytest.raises(DomainError) as refused:
        seals.current_seal(dept)
    assert refused.value.problems[0].code == "no_seal" and dept.name in refused.value.problems[0].text.zh
    with pytest.raises(DomainError, match="already revoked"):
        seals.revoke(SYSTEM, seal, reason="again")


def test_a_stale_seal_object_cannot_sign_after_revocation_elsewhere(var):
    seal = seals.create_seal(SYSTEM, department=f.department())
    stale = Seal.objects.get(pk=seal.pk)
    seals.revoke(SYSTEM, seal, reason="撤销机构")
    with pytest.raises(DomainError, match="revoked"):
        seals.sign(stale, b"x")


def test_revoke_needs_a_reason(var):
    seal = seals.create_seal(SYSTEM, department=f.department())
    with pytest.raises(DomainError) as refused:
        seals.revoke(SYSTEM, seal, reason="  ")
    assert refused.value.problems[0].field == "reason"
    seal.refresh_from_db()
    assert seal.revoked_at is None


def test_an_expired_or_future_seal_signs_nothing(var):
    now = timezone.now()
    dept = f.department()
    seal = seals.create_seal(
        SYSTEM, department=dept, valid_from=now - timedelta(days=30), valid_to=now - timedelta(days=1)
    )
    with pytest.raises(DomainError) as refused:
        seals.sign(seal, b"x")
    assert refused.value.problems[0].code == "seal_expired" and refused.value.problems[0].field == "seal"
    assert seals.sign(seal, b"x", at=now - timedelta(days=2))  # it could sign within its validity
    with pytest.raises(DomainError, match="no usable electronic seal"):
        seals.current_seal(dept)


def test_current_seal_without_any_seal_names_the_department():
    dept = f.department(name="信阳市民政局")
    with pytest.raises(DomainError) as refused:
        seals.current_seal(dept)
    problem = refused.value.problems[0]
    assert (problem.field, problem.code) == ("department", "no_seal")
    assert "信阳市民政局" in problem.text.zh and dept.uscc in problem.text.en
    assert refused.value.status == 409


# --- who may ----------------------------------------------------------------------------------------


def test_a_window_clerk_may_not_manage_seals_and_nothing_is_written(var):
    dept = f.department()
    clerk = actor_for_user(make.staff("window_clerk", department=dept))
    with pytest.raises(PolicyDenied):
        seals.create_seal(clerk, department=dept)
    assert not Seal.objects.exists() and _key_files(var) == []
    seal = seals.create_seal(SYSTEM, department=dept)
    with pytest.raises(PolicyDenied):
        seals.revoke(clerk, seal, reason="不该允许")
    with pytest.raises(PolicyDenied):
        seals.rotate(clerk, seal)
    seal.refresh_from_db()
    assert seal.revoked_at is None and Seal.objects.count() == 1


def test_the_head_of_the_department_and_the_node_operator_may(var):
    dept, other = f.department(), f.department()
    head = actor_for_user(make.staff("department_head", department=dept))
    operator = actor_for_user(make.staff("node_operator"))
    seal = seals.create_seal(head, department=dept)
    with pytest.raises(PolicyDenied):
        seals.create_seal(head, department=other)  # another department's head is out of scope
    seals.revoke(operator, seal, reason="机构改革")
    assert seals.create_seal(operator, department=other).department == other


# --- the picture ------------------------------------------------------------------------------------


def test_the_picture_is_a_round_red_seal_in_svg():
    name = "信阳市市场监督管理局"
    svg = seals.seal_picture(name)
    assert svg == seals.seal_picture(name)  # deterministic
    root = ElementTree.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg" and (root.get("width"), root.get("height")) == ("42mm", "42mm")
    circle = root.find(f"{SVG}circle")
    assert circle is not None and circle.get("fill") == "none" and circle.get("stroke", "").startswith("#d")
    star = root.find(f"{SVG}polygon")
    assert star is not None and len(star.get("points", "").split()) == 10
    texts = root.findall(f"{SVG}text")
    assert "".join(t.text or "" for t in texts) == name
    assert all("Noto Serif CJK SC" in t.get("font-family", "") for t in texts)
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


def test_the_picture_escapes_the_name():
    root = ElementTree.fromstring(seals.seal_picture("A&B<局>").encode("utf-8"))
    assert "".join(t.text or "" for t in root.findall(f"{SVG}text")) == "A&B<局>"


# --- the command line -------------------------------------------------------------------------------


def test_seal_command_creates_lists_rotates_revokes_and_exports(var, capsys, settings):
    settings.TONGBAN_NODE_ID = "xinyang"
    dept = f.department(name="信阳市公安局")
    call_command("seal", "create", "--department", dept.uscc, "--years", "2")
    first = Seal.objects.get()
    assert first.name == "信阳市公安局" and first.valid_to.year == first.valid_from.year + 2
    call_command("seal", "rotate", first.seal_id)
    second = Seal.objects.exclude(pk=first.pk).get()
    call_command("seal", "revoke", second.seal_id, "--reason", "测试吊销")
    call_command("seal", "create", "--department", str(dept.pk), "--name", "信阳市公安局户籍专用章")
    capsys.readouterr()
    call_command("seal", "list")
    listing = capsys.readouterr().out
    assert "ended" in listing and "revoked" in listing and "in force" in listing

    out = var / "seals.json"
    call_command("seal", "export", "--out", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["node_id"] == "xinyang" and len(exported["seals"]) == 3
    assert [trust.seal_entry(s).seal_id for s in exported["seals"]] == sorted(
        Seal.objects.values_list("seal_id", flat=True)
    )
    with pytest.raises(CommandError, match="no department"):
        call_command("seal", "create", "--department", "nonesuch")
    with pytest.raises(CommandError, match="already revoked"):
        call_command("seal", "revoke", second.seal_id, "--reason", "again")
