"""The chaos run of the case transfer (异地代收代办): many cases forwarded from 苏州 to 信阳 while the
receiving server and the sending worker are killed (SIGKILL) and restarted at random. Prints how many
cases were lost and how many were applied twice — both must be 0 — and how long it took.

    python bench/federation_chaos.py [--cases 10000] [--seed 7] [--calm 3-10]

Two real nodes on 127.0.0.1 as in tests/federation/ (each its own folder, SQLite file, SM2 key and
processes). 信阳's fund-centre item and its guide are published at both, with the 苏州—信阳 agreement at
苏州. In one process at 苏州 a clerk receives ``--cases`` applications of that item (materials seen at
the window, no files) and forwards each: one `case.transfer` message per case, each on its own stream.
Then 苏州's `manage.py worker` delivers, and every ``--calm`` seconds (random in the range) one of two
faults strikes at random: 信阳's server is killed and started again a moment later, or 苏州's worker
is killed (between any two statements: mid-delivery, after 信阳 committed and before 苏州 stored the
receipt, …) and started again. When 苏州's outbox has nothing left to send, both databases are read:

- lost: cases forwarded at 苏州 that 信阳 does not have;
- applied twice: cases 信阳 received more than once (more than one `receive` event, or two case rows);
- 信阳's inbox rows per message id (a repeated id must have been answered from the stored receipt);
- 苏州's dead letters (must be none: every fault is transient).

Asserts nothing; prints the figures and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.federation import nodes  # noqa: E402  (after the path: this script runs from anywhere)
from tests.federation.test_transfer_nodes import (  # noqa: E402
    CATALOG,
    CENTRE_USCC,
    GUIDE,
    IMPLEMENTATION,
    MATERIALS,
)
from tests.licenses.test_sharing_nodes import program  # noqa: E402

# At 苏州: one clerk, one applicant (her ID number repeated does not matter here), ``count`` cases each
# received, its materials seen at the window, and forwarded, each in its own transaction as at a window.
RECEIVE_MANY = """
import json, time
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user

from tongban.identity.models import Person

account = User.objects.filter(username="clerk-sz").first()
if account is None:  # the first batch
    account = User.objects.create_user("clerk-sz", password="x-very-long-password-1")
    identity.assign_role(SYSTEM, user=account, role="window_clerk", region_code="320500")
    identity.register_person(
        SYSTEM, name="王芳", id_type="resident_id", id_number="411502200003010022", region_code="320500"
    )
clerk = actor_for_user(account)
person = Person.objects.get(id_number="411502200003010022")
began = time.perf_counter()
for i in range(COUNT):
    case = cases.receive(clerk, implementation=IMPLEMENTATION, person=person, identity_check="身份证读卡器核验")
    for material in case.materials.all():
        cases.record_material(clerk, case, material_id=material.pk, evidence="original_seen")
    cases.forward(clerk, case)
print("RESULT " + json.dumps({"seconds": time.perf_counter() - began}))
"""


BATCH = 1000


def pending(node: nodes.Node) -> int:
    [(n,)] = node.rows("SELECT COUNT(*) FROM federation_outboxmessage WHERE state = 'pending'")
    return int(n)


def count(node: nodes.Node, sql: str) -> int:
    [(n,)] = node.rows(sql)
    return int(n or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calm", default="3-10", help="seconds between faults, a random value in this range")
    parser.add_argument("--timeout", type=float, default=7200, help="give up after this many seconds")
    args = parser.parse_args()
    low, high = (float(x) for x in args.calm.split("-"))
    rng = random.Random(args.seed)
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"tongban-chaos-{os.getpid()}"
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; folder {folder}")
    fed = nodes.build(folder, (nodes.SUZHOU, nodes.XINYANG))
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    try:
        for node, agreement in ((suzhou, True), (xinyang, False)):
            node.run(
                program(
                    CATALOG,
                    CENTRE_USCC=CENTRE_USCC,
                    IMPLEMENTATION=IMPLEMENTATION,
                    GUIDE=GUIDE,
                    MATERIALS=MATERIALS,
                    AGREEMENT=agreement,
                )
            )
        # In batches: one process may run a few minutes at most (tests/federation/nodes.py's timeout).
        making = 0.0
        for start in range(0, args.cases, BATCH):
            size = min(BATCH, args.cases - start)
            out = suzhou.run(program(RECEIVE_MANY, COUNT=size, IMPLEMENTATION=IMPLEMENTATION))
            making += json.loads([line for line in out.splitlines() if line.startswith("RESULT ")][-1][7:])["seconds"]
        print(f"{args.cases} cases received and forwarded at 苏州 in {making:.0f} s")

        faults = {"receiver_killed": 0, "worker_killed": 0}
        worker = suzhou.start_worker()
        began = time.monotonic()
        while pending(suzhou) and time.monotonic() - began < args.timeout:
            time.sleep(rng.uniform(low, high))
            if rng.random() < 0.5:
                xinyang.kill()
                faults["receiver_killed"] += 1
                time.sleep(rng.uniform(0.5, 3))
                xinyang.start()
            else:
                suzhou.stop_worker(worker)  # SIGKILL, mid-whatever it was doing
                faults["worker_killed"] += 1
                time.sleep(rng.uniform(0.2, 2))
                worker = suzhou.start_worker()
            left = pending(suzhou)
            print(f"  {time.monotonic() - began:6.0f} s: {args.cases - left} delivered, {left} left; faults {faults}")
        took = time.monotonic() - began

        forwarded = count(suzhou, "SELECT COUNT(*) FROM cases_case WHERE home_node = 'xinyang'")
        there = count(xinyang, "SELECT COUNT(DISTINCT number) FROM cases_case WHERE origin_node = 'suzhou'")
        rows_there = count(xinyang, "SELECT COUNT(*) FROM cases_case WHERE origin_node = 'suzhou'")
        received_twice = count(
            xinyang,
            "SELECT COUNT(*) FROM (SELECT case_id FROM cases_caseevent WHERE action = 'receive' "
            "GROUP BY case_id HAVING COUNT(*) > 1)",
        )
        numbers_here = {n for (n,) in suzhou.rows("SELECT number FROM cases_case WHERE home_node = 'xinyang'")}
        numbers_there = {n for (n,) in xinyang.rows("SELECT number FROM cases_case WHERE origin_node = 'suzhou'")}
        inbox = count(xinyang, "SELECT COUNT(*) FROM federation_inboxmessage WHERE type = 'case.transfer'")
        inbox_ids = count(
            xinyang, "SELECT COUNT(DISTINCT id) FROM federation_inboxmessage WHERE type = 'case.transfer'"
        )
        dead = count(suzhou, "SELECT COUNT(*) FROM federation_outboxmessage WHERE state = 'dead'")
        retried = count(suzhou, "SELECT COUNT(*) FROM federation_outboxmessage WHERE attempts > 1")
        print(
            json.dumps(
                {
                    "cases_forwarded": forwarded,
                    "cases_at_xinyang": there,
                    "lost": len(numbers_here - numbers_there),
                    "applied_twice": received_twice + (rows_there - there),
                    "inbox_rows": inbox,
                    "inbox_distinct_ids": inbox_ids,
                    "dead_letters": dead,
                    "messages_retried": retried,
                    "faults": faults,
                    "seconds_to_deliver": round(took),
                    "transfers_per_second_under_faults": round(forwarded / took, 1) if took else None,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    finally:
        fed.stop()


if __name__ == "__main__":
    main()
