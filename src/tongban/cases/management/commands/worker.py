"""`tongban worker`: the background worker of a node.

It drains the task queue (notices to render, …; django-tasks with the database backend) and, every
TONGBAN_WORKER_INTERVAL seconds, applies the time rules of case handling: deadline colours (预警) and
行政许可法 art. 32 (no correction request within 5 working days: accepted as of arrival), and fetches the
federation's trust list. Every second it delivers what the federation outbox has due. Several
workers may run side by side: tasks are claimed under a lock, and the rules lock each case they change.
"""

from __future__ import annotations

import logging
import os
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
        last_rules = 0.0
        while True:
            if not once:
                close_old_connections()
            if time.monotonic() - last_rules >= every or once:
                counts = apply_rules(everything=once)
                last_rules = time.monotonic()
                if any(counts.values()):
                    self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
            drain_tasks()
            sent = deliver()
            if sent.get("delivered") or sent.get("dead"):
                self.stdout.write(", ".join(f"{k}={v}" for k, v in sent.items()))
            if once:
                return
            if not sent.get("delivered"):  # a backlog is drained round after round, without pausing
                time.sleep(1)
