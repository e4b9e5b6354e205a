"""Two windows calling at the same moment never get the same ticket."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.conftest import ensure_regions
from tests.frontdesk.world import world
from tongban.frontdesk import services
from tongban.frontdesk.models import QueueTicket
from tongban.identity.actor import Actor, actor_for_user


@pytest.fixture
def committed_world():  # type: ignore[no-untyped-def]
    """A hall in a test whose transactions commit (threads need that to see each other's rows).

    No item implementation is made here, so SQLite's full-text table (which the flush does not empty)
    gets no row to clean up after the test.
    """
    ensure_regions()
    w = world()
    # Two department-free comprehensive windows of the same hall, each with its clerk.
    second = type(w.comprehensive).objects.create(hall=w.hall, number="02", name="综合受理", kind="comprehensive")
    for _ in range(3):
        services.take_ticket(Actor(), hall=w.hall, category="A")
    yield w, second


@pytest.mark.django_db(transaction=True)
def test_two_windows_calling_at_once_get_different_tickets(committed_world):
    w, second = committed_world
    windows = [w.comprehensive, second]
    if connection.vendor == "sqlite":
        # SQLite serialises writers for the whole file, so two threads cannot race here; what remains to
        # show is that a window calling after another gets the next ticket, not the same one.
        got = [services.call_next(w.actor(), window=window).pk for window in windows]
        assert len(set(got)) == 2
        assert QueueTicket.objects.filter(status="called").count() == 2
        return
    start = threading.Barrier(2)
    got: list[int] = []
    errors: list[Exception] = []

    def clerk(window) -> None:  # type: ignore[no-untyped-def]
        try:
            actor = actor_for_user(w.clerk)
            start.wait()
            got.append(services.call_next(actor, window=window).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(window,)) for window in windows]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(got) == 2 and len(set(got)) == 2
    called = QueueTicket.objects.filter(status="called")
    assert sorted(called.values_list("window_id", flat=True)) == sorted(x.pk for x in windows)
    assert sorted(called.values_list("number", flat=True)) == ["A001", "A002"]
