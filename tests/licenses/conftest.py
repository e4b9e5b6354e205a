"""Shared set-up for the licence tests: this node (xinyang, 411500) and a peer (suzhou, 320500), each with
a real SM2 key, and the operator's signed trust list naming both, accepted by this node."""

from __future__ import annotations

import pytest

from tests.federation.conftest import ME, PEER, Federation, federation
from tongban.federation.trust import TrustList

__all__ = ["ME", "PEER", "Federation", "federation", "trust_list"]


@pytest.fixture
def trust_list(federation: Federation, db: None) -> TrustList:
    """The trust list in force at this node (the ``federation`` fixture's keys, signed by its operator)."""
    return federation.accept()
