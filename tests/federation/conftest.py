"""A small federation for the in-process tests: an operator, this node (xinyang, 411500) and a peer
(suzhou, 320500), each with its SM2 key; the signed trust list accepted by this node."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tongban.federation import node, trust
from tongban.federation.sm2 import PrivateKey, PublicKey

ME, PEER = "xinyang", "suzhou"


@dataclass
class Federation:
    operator: PrivateKey
    me: PrivateKey
    peer: PrivateKey
    folder: Path

    def key_entry(
        self, public: PublicKey, *, days: int = 365, start: datetime | None = None, revoked_at: datetime | None = None
    ) -> dict[str, Any]:
        start = start or datetime.now(UTC) - timedelta(days=1)
        return {
            "key_id": public.fingerprint(),
            "public_key": public.to_pem(),
            "valid_from": start.isoformat(),
            "valid_to": (start + timedelta(days=days)).isoformat(),
            "revoked_at": revoked_at.isoformat() if revoked_at else None,
        }

    def body(self, version: int = 1, **peer_key: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "format": trust.FORMAT,
            "version": version,
            "issued_at": now.isoformat(),
            "next_update": (now + timedelta(days=7)).isoformat(),
            "nodes": [
                {
                    "node_id": ME,
                    "name": "信阳市",
                    "regions": ["411500"],
                    "base_url": "http://xinyang.test",
                    "keys": [self.key_entry(self.me.public_key())],
                },
                {
                    "node_id": PEER,
                    "name": "苏州市",
                    "regions": ["320500"],
                    "base_url": "http://suzhou.test",
                    "keys": [self.key_entry(self.peer.public_key(), **peer_key)],
                },
            ],
        }

    def accept(self, version: int = 1, **peer_key: Any) -> trust.TrustList:
        return node.accept_trust_list(trust.sign(self.body(version, **peer_key), self.operator), "test")


@pytest.fixture
def federation(tmp_path, monkeypatch, settings):  # type: ignore[no-untyped-def]
    operator, me, peer = PrivateKey.generate(), PrivateKey.generate(), PrivateKey.generate()
    (tmp_path / "node-key.pem").write_text(me.to_pem())
    (tmp_path / "anchor.pem").write_text(operator.public_key().to_pem())
    monkeypatch.setenv("TONGBAN_FEDERATION_KEY", str(tmp_path / "node-key.pem"))
    monkeypatch.setenv("TONGBAN_TRUST_ANCHOR", str(tmp_path / "anchor.pem"))
    settings.TONGBAN_NODE_ID = ME
    node.forget()
    yield Federation(operator, me, peer, tmp_path)
    node.forget()
