"""The message log API: node operators read what was sent, received and refused, and retry dead letters."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.federation.conftest import PEER
from tests.identity import make
from tongban.federation import services
from tongban.federation.models import OutboxMessage, OutboxState, RefusedMessage

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_operator_reads_the_log_filters_refusals_and_retries_a_dead_letter():
    operator = as_user(make.staff("node_operator", "411500"))
    dead = services.enqueue(receiver=PEER, type="node.ping", body={})
    OutboxMessage.objects.filter(pk=dead.pk).update(state=OutboxState.DEAD, attempts=12, last_error="HTTP 503")
    RefusedMessage.objects.create(code="bad_signature", reason="签名无效", sender="wuhan")
    RefusedMessage.objects.create(code="clock_skew", reason="时间偏差", sender=PEER)

    listed = operator.get("/api/v1/federation/outbox/?state=dead").json()
    assert [m["id"] for m in listed["results"]] == [dead.pk]
    refused = operator.get("/api/v1/federation/refused/?code=bad_signature").json()
    assert [(r["code"], r["sender"]) for r in refused["results"]] == [("bad_signature", "wuhan")]
    assert operator.get("/api/v1/federation/outbox/?state=lost").status_code == 400

    again = operator.post(f"/api/v1/federation/outbox/{dead.pk}/retry/")
    assert (again.status_code, again.json()["state"], again.json()["attempts"]) == (200, "pending", 0)
    assert operator.post(f"/api/v1/federation/outbox/{dead.pk}/retry/").status_code == 409  # not dead any more


def test_other_roles_see_nothing_of_the_log():
    services.enqueue(receiver=PEER, type="node.ping", body={})
    clerk = as_user(make.staff("window_clerk", "411500"))
    assert clerk.get("/api/v1/federation/outbox/").status_code == 403
    assert clerk.get("/api/v1/federation/refused/").status_code == 403
