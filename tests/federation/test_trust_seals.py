"""Electronic seals (电子印章) on the trust list: parsed from the signed body, checked, found by id, judged
at a moment; and the operator's `trust-add-seals` with a node's `seal export`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.federation.conftest import ME, PEER
from tongban.federation import node, trust
from tongban.federation.sm2 import PrivateKey, PublicKey
from tongban.identity.actor import SYSTEM
from tongban.licenses import keystore, seals

NOW = datetime.now(UTC)
USCC = "11411500MB0000001X"  # the issuing department


def seal_dict(
    key: PrivateKey,
    seal_id: str = f"{USCC}0001",
    *,
    start: datetime | None = None,
    days: int = 1095,
    revoked_at: datetime | None = None,
    **changes: Any,
) -> dict[str, Any]:
    start = start or NOW - timedelta(days=1)
    public = key.public_key()
    entry = {
        "seal_id": seal_id,
        "kind": 1,
        "name": "信阳市市场监督管理局",
        "organisation_name": "信阳市市场监督管理局",
        "organisation_code": seal_id[:18],
        "key_id": public.fingerprint(),
        "public_key": public.to_pem(),
        "valid_from": start.isoformat(),
        "valid_to": (start + timedelta(days=days)).isoformat(),
        "revoked_at": revoked_at.isoformat() if revoked_at else None,
        "picture": {"type": "svg", "data": base64.b64encode(b"<svg/>").decode(), "width_mm": 42, "height_mm": 42},
    }
    entry.update(changes)
    return entry


def signed(federation: Any, *seal_entries: dict[str, Any], node_index: int = 0) -> dict[str, Any]:
    body = federation.body()
    body["nodes"][node_index]["seals"] = list(seal_entries)
    return trust.sign(body, federation.operator)


def test_seals_in_a_signed_list_are_parsed_and_found(federation):
    key = PrivateKey.generate()
    listed = trust.load(signed(federation, seal_dict(key)), federation.operator.public_key())
    (seal,) = listed.node(ME).seals
    assert listed.node(PEER).seals == ()  # a node without "seals" issues nothing
    assert (seal.seal_id, seal.kind, seal.name, seal.organisation_code) == (
        f"{USCC}0001",
        1,
        "信阳市市场监督管理局",
        USCC,
    )
    assert seal.key_id == key.key_id() and seal.public_key == key.public_key()
    assert seal.picture["type"] == "svg" and seal.revoked_at is None
    found = listed.seal(f"{USCC}0001")
    assert found is not None and found[0].node_id == ME and found[1] is seal
    assert listed.seal("nonesuch") is None
    assert seal.public_key.verify(b"licence", key.sign(b"licence"))


@pytest.mark.parametrize(
    "changes",
    [
        {"key_id": "0" * 64},  # the key id must be the SM3 of the key
        {"public_key": "not a key"},
        {"kind": 3},
        {"kind": True},
        {"seal_id": ""},
        {"valid_to": "2030-01-01T00:00:00"},  # no time zone
    ],
)
def test_a_malformed_seal_makes_the_list_malformed(federation, changes):
    document = signed(federation, seal_dict(PrivateKey.generate(), **changes))
    with pytest.raises(trust.TrustError) as refused:
        trust.load(document, federation.operator.public_key())
    assert refused.value.code == "malformed"


def test_one_seal_id_may_not_name_two_seals(federation):
    body = federation.body()
    body["nodes"][0]["seals"] = [seal_dict(PrivateKey.generate())]
    body["nodes"][1]["seals"] = [seal_dict(PrivateKey.generate())]
    with pytest.raises(trust.TrustError, match="twice"):
        trust.load(trust.sign(body, federation.operator), federation.operator.public_key())


def test_a_seal_is_judged_at_the_moment_of_signing(federation):
    revoked_at = NOW - timedelta(hours=1)
    start = NOW - timedelta(days=10)
    document = signed(
        federation,
        seal_dict(PrivateKey.generate(), f"{USCC}0001", start=start, revoked_at=revoked_at),
        seal_dict(PrivateKey.generate(), f"{USCC}0002", start=start, days=5),
    )
    listed = trust.load(document, federation.operator.public_key())
    _, revoked = listed.seal(f"{USCC}0001")  # type: ignore[misc]
    _, ended = listed.seal(f"{USCC}0002")  # type: ignore[misc]
    assert revoked.problem_at(revoked_at - timedelta(minutes=1)) is None  # signed before: still good
    assert revoked.problem_at(revoked_at).code == "seal_revoked"  # type: ignore[union-attr]
    assert revoked.problem_at(NOW).code == "seal_revoked"  # type: ignore[union-attr]
    assert ended.problem_at(start + timedelta(days=1)) is None
    assert ended.problem_at(NOW).code == "seal_expired"  # type: ignore[union-attr]
    assert ended.problem_at(start - timedelta(seconds=1)).code == "seal_expired"  # type: ignore[union-attr]


# --- the operator's command line -------------------------------------------------------------------


@pytest.fixture
def seal_store(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TONGBAN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TONGBAN_SEAL_KEY_PASSWORD", raising=False)
    monkeypatch.delenv("TONGBAN_KEYSTORE", raising=False)
    keystore.forget()
    yield
    keystore.forget()


def _body_with_this_node(federation: Any) -> Any:
    folder = federation.folder
    (folder / "me.pub.pem").write_text(federation.me.public_key().to_pem())
    (folder / "operator.pem").write_text(federation.operator.to_pem())
    body = folder / "trust-body.json"
    call_command("federation", "trust-new", "--out", str(body))
    call_command(
        "federation", "trust-add-node", str(body), "--node", ME, "--name", "信阳市", "--regions", "411500",
        "--url", "http://xinyang.test", "--key", str(folder / "me.pub.pem"),
    )  # fmt: skip
    return body


@pytest.mark.django_db
def test_exported_seals_go_on_the_list_and_verify_after_signing(federation, seal_store):
    folder = federation.folder
    dept = f.department()
    kept = seals.create_seal(SYSTEM, department=dept)
    signature = seals.sign(kept, b"licence")
    gone = seals.create_seal(SYSTEM, department=dept, name="专用章")
    seals.revoke(SYSTEM, gone, reason="机构改革")
    body = _body_with_this_node(federation)
    call_command("seal", "export", "--out", str(folder / "seals.json"))
    call_command("federation", "trust-add-seals", str(body), str(folder / "seals.json"), "--node", ME)
    call_command(
        "federation", "trust-sign", str(body), "--operator-key", str(folder / "operator.pem"),
        "--out", str(folder / "trust-list.json"),
    )  # fmt: skip

    listed = node.accept_trust_list((folder / "trust-list.json").read_bytes(), "test")
    node_entry, entry = listed.seal(kept.seal_id)  # type: ignore[misc]
    assert node_entry.node_id == ME and entry.key_id == kept.key_id and entry.organisation_code == dept.uscc
    assert entry.public_key.verify(b"licence", signature) and entry.problem_at(datetime.now(UTC)) is None
    _, revoked = listed.seal(gone.seal_id)  # type: ignore[misc]
    assert revoked.problem_at(datetime.now(UTC)).code == "seal_revoked"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_adding_seals_again_replaces_the_list_but_keeps_what_cannot_sign(federation, seal_store):
    folder = federation.folder
    body = _body_with_this_node(federation)
    active, revoked = PrivateKey.generate(), PrivateKey.generate()
    first = [
        seal_dict(active, f"{USCC}0001"),
        seal_dict(revoked, f"{USCC}0002", revoked_at=NOW - timedelta(hours=1)),
        seal_dict(PrivateKey.generate(), f"{USCC}0003", start=NOW - timedelta(days=30), days=10),
    ]
    (folder / "first.json").write_text(json.dumps({"node_id": ME, "seals": first}))
    call_command("federation", "trust-add-seals", str(body), str(folder / "first.json"), "--node", ME)
    # The next export lacks all three, and names the revoked one without its revocation.
    again = [seal_dict(revoked, f"{USCC}0002"), seal_dict(PrivateKey.generate(), f"{USCC}0004")]
    (folder / "again.json").write_text(json.dumps(again))
    call_command("federation", "trust-add-seals", str(body), str(folder / "again.json"), "--node", ME)

    written = json.loads(body.read_text(encoding="utf-8"))["nodes"][0]["seals"]
    by_id = {s["seal_id"][-4:]: s for s in written}
    assert sorted(by_id) == ["0002", "0003", "0004"]  # the active seal left out is dropped, the ended one kept
    assert by_id["0002"]["revoked_at"] == first[1]["revoked_at"]  # a published revocation stands

    with pytest.raises(CommandError, match="not 'xinyang'"):
        (folder / "other.json").write_text(json.dumps({"node_id": PEER, "seals": again}))
        call_command("federation", "trust-add-seals", str(body), str(folder / "other.json"), "--node", ME)
    with pytest.raises(CommandError, match="does not match its key id"):
        (folder / "bad.json").write_text(json.dumps([seal_dict(active, key_id="0" * 64)]))
        call_command("federation", "trust-add-seals", str(body), str(folder / "bad.json"), "--node", ME)
    with pytest.raises(CommandError, match="twice"):
        (folder / "twice.json").write_text(json.dumps([again[1], again[1]]))
        call_command("federation", "trust-add-seals", str(body), str(folder / "twice.json"), "--node", ME)
    with pytest.raises(CommandError, match="not on the list"):
        call_command("federation", "trust-add-seals", str(body), str(folder / "again.json"), "--node", PEER)
    assert PublicKey.from_pem(by_id["0004"]["public_key"]).fingerprint() == by_id["0004"]["key_id"]
