"""`tongban worker`: the background worker of a node.

It drains the task queue (notices to render, …; django-tasks with the database backend) and, every
TONGBAN_WORKER_INTERVAL seconds, applies the time rules of case handling: deadline colours (预警) and
行政许可法 art. 32 (no correction request within 5 working days: accepted as of arrival), and fetches the
federation's trust list. A thread of its own delivers what the federation outbox has due, as soon as
it is due: between rounds it looks ten times a second for a message that came due (a cheap indexed
query), so a case a clerk forwards leaves within about 0.1 s, and rendering a pile of PDFs never holds a
message back. Several workers may run side by side: tasks are claimed under a lock, the rules lock each
case they change, and delivery locks each message it records.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from tongban.cases import services
from tongban.cases.tasks import render_pending
from tongban.config import env
from tongban.federation import delivery, node

POLL = 0.1  # seconds between looks for new work while idle

log = logging.getLogger("tongban.worker")


def drain_tasks() -> None:
    """Run every queued task, then return."""
    if not DBTaskResult.objects.ready().exists():
        return  # the worker's loop would otherwise recycle the connection for nothing
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"tongban-{os.getpid()}",
        excluded_queue_names=[],
    ).run()


def deliver() -> dict[str, int]:
    """One round of the federation outbox; a failure is logged and the worker goes on."""
    try:
        return delivery.deliver_due()
    except Exception:  # the worker must survive anything one round meets; the log says what
        log.exception("federation delivery round failed")
        return {}


def wait_for(work: Callable[[], bool], seconds: float = 1.0) -> None:
    """Sleep up to ``seconds``, less as soon as ``work()`` says there is some."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(POLL)
        try:
            if work():
                return
        except Exception:  # a database hiccup: the round after the full wait will say what is wrong
            log.exception("looking for work failed")
            return


def delivering(write: Callable[[str], Any], stop: threading.Event) -> None:
    """The delivery thread: a round, then (when it delivered nothing) a wait until a message comes due."""
    while not stop.is_set():
        began = time.time()
        close_old_connections()  # this thread's own connection: Django keeps one per thread
        sent = deliver()
        if sent.get("delivered") or sent.get("dead"):
            write(", ".join(f"{k}={v}" for k, v in sent.items()))
        if not sent.get("delivered"):  # a backlog is drained round after round, without pausing
            wait_for(lambda since=began: delivery.came_due(since))


def apply_rules(everything: bool = False) -> dict[str, int]:
    from tongban.frontdesk.services import mark_missed_appointments

    node.refresh_trust_list()  # a failure is logged there; the list in force stays
    age = timedelta(0) if everything else timedelta(seconds=60)
    rules: dict[str, Callable[[], int]] = {
        "deemed_accepted": services.apply_article_32,
        "warnings_changed": services.refresh_warnings,
        "lapsed_for_missing_materials": services.lapse_overdue,
        "notices_rendered": lambda: render_pending(age),
        "licence_pdfs_rendered": lambda: render_licences(age),
        "tree_heads_published": _publish_head,
        "appointments_missed": mark_missed_appointments,
    }
    counts = {}
    for name, rule in rules.items():
        try:
            counts[name] = rule()
        except Exception:  # one rule's failure must not stop the others, nor the worker; the log says what
            log.exception("worker rule %s failed", name)
            counts[name] = 0
    return counts


def render_licences(older_than: timedelta) -> int:
    from tongban.licenses.tasks import render_pending as render_pending_licences

    return render_pending_licences(older_than)


def _publish_head() -> int:
    """The licence log's newest signed head to the other nodes, so a forked log is noticed (链上核办)."""
    from tongban.licenses import ledger

    try:
        return ledger.publish_head()
    except Exception:  # the worker must survive anything one round meets; the log says what
        log.exception("publishing the log's tree head failed")
        return 0


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks, deadline warnings, the art. 32 rule, 容缺 deadlines and the "
        "licence log's tree heads."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="apply the rules and drain the queue once, then exit")
        parser.add_argument(
            "--interval", type=float, default=None, help="seconds between rule rounds (TONGBAN_WORKER_INTERVAL)"
        )

    def handle(self, *args: Any, once: bool = False, interval: float | None = None, **options: Any) -> None:
        every = interval if interval is not None else float(env("TONGBAN_WORKER_INTERVAL"))
        if once:
            self._rules(everything=True)
            drain_tasks()
            self._report(deliver())
            return
        threading.Thread(
            target=delivering, args=(self._report_line, threading.Event()), name="delivery", daemon=True
        ).start()
        last_rules = 0.0
        while True:
            close_old_connections()
            if time.monotonic() - last_rules >= every:
                self._rules(everything=False)
                last_rules = time.monotonic()
            drain_tasks()
            wait_for(lambda: DBTaskResult.objects.ready().exists())

    def _rules(self, everything: bool) -> None:
        counts = apply_rules(everything=everything)
        if any(counts.values()):
            self._report_line(", ".join(f"{k}={v}" for k, v in counts.items()))

    def _report(self, sent: dict[str, int]) -> None:
        if sent.get("delivered") or sent.get("dead"):
            self._report_line(", ".join(f"{k}={v}" for k, v in sent.items()))

    def _report_line(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
