"""Case transfers (异地代收代办) between two real nodes: how many per second, and how long from `forward`
to the case opened at the handling node (the issue's targets: ≥ 200 transfers/s, p99 ≤ 1 s).

    python bench/federation_transfers.py [--cases 1000] [--rate 20] [--seconds 20] [--ping-rate 200]

Two real nodes on 127.0.0.1 as in tests/federation/ (苏州 receives and forwards, 信阳 decides; each its
own folder, SQLite file, SM2 key, gunicorn and worker). 信阳's fund-centre item and its guide are
published at both, with the 苏州—信阳 agreement at 苏州 (as tests/federation/test_transfer_nodes.py).
At 苏州 a clerk receives cases of that item beforehand (materials seen at the window, no files); what is
measured starts at `forward`. Three parts:

1. **Backlog**: ``--cases`` cases forwarded while no worker runs, then delivered by `deliver_due` rounds in
   one process at 苏州 (batches of TONGBAN_FEDERATION_BATCH): case transfers per second (one
   `case.transfer` each, on its own stream; 信阳 opens the case in the transaction that records the
   message), and the CPU each side spent per transfer.
2. **Steady forwards**, the real `manage.py worker` running at 苏州: a process forwards cases at ``--rate``
   per second for ``--seconds``, each in its own transaction as at a window. Latency from the forward
   (the outbox row, written in the forward's transaction) to the case opened at 信阳 (the inbox row
   written in the transaction that opens it; both nodes use this machine's clock) and to the signed
   receipt stored at 苏州.
3. **Steady messages**: the same worker; `node.ping` messages queued at ``--ping-rate`` per second for
   ``--seconds``, each on its own stream and in its own transaction: latency from queued to the receipt
   stored, i.e. the exchange alone at the target rate.

Prints figures and the machine; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.federation_throughput import group_cpu, machine, percentile  # noqa: E402
from tests.federation import nodes  # noqa: E402  (after the path: this script runs from anywhere)
from tests.federation.test_transfer_nodes import (  # noqa: E402
    CATALOG,
    CENTRE_USCC,
    GUIDE,
    IMPLEMENTATION,
    MATERIALS,
)
from tests.licenses.test_sharing_nodes import program  # noqa: E402

MARK = "@@result "

# At 苏州: ``COUNT`` cases received by one clerk, their materials seen at the window; not forwarded.
RECEIVE = """
import json
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.identity import services as identity
from tongban.identity.actor import SYSTEM, actor_for_user
from tongban.identity.models import Person

account = User.objects.filter(username="clerk-sz").first()
if account is None:
    account = User.objects.create_user("clerk-sz", password="x-very-long-password-1")
    identity.assign_role(SYSTEM, user=account, role="window_clerk", region_code="320500")
    identity.register_person(
        SYSTEM, name="王芳", id_type="resident_id", id_number="411502200003010022", region_code="320500"
    )
clerk = actor_for_user(account)
person = Person.objects.get(id_number="411502200003010022")
numbers = []
for i in range(COUNT):
    case = cases.receive(clerk, implementation=IMPLEMENTATION, person=person, identity_check="身份证读卡器核验")
    for material in case.materials.all():
        cases.record_material(clerk, case, material_id=material.pk, evidence="original_seen")
    numbers.append(case.number)
print(MARK + json.dumps(numbers))
"""

# At 苏州: forward the cases named, at ``RATE`` per second (0: as fast as it goes), each in its own
# transaction as a window would.
FORWARD = """
import json, time
from django.contrib.auth.models import User
from tongban.cases import services as cases
from tongban.cases.models import Case
from tongban.identity.actor import actor_for_user

clerk = actor_for_user(User.objects.get(username="clerk-sz"))
began = time.perf_counter()
for i, number in enumerate(NUMBERS):
    if RATE:
        wait = began + i / RATE - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
    cases.forward(clerk, Case.objects.get(number=number))
print(MARK + json.dumps({"seconds": time.perf_counter() - began}))
"""

# At 苏州: deliver rounds until nothing is pending (no worker running).
DELIVER = """
import json, time
from tongban.federation import delivery, node
from tongban.federation.models import OutboxMessage
node.trust_list(); node.signing_key()
began, cpu = time.perf_counter(), time.process_time()
while OutboxMessage.objects.filter(state="pending").exists():
    if not delivery.deliver_due()["delivered"]:
        time.sleep(0.05)
print(MARK + json.dumps({"seconds": time.perf_counter() - began, "cpu": time.process_time() - cpu}))
"""

# At 苏州: ``COUNT`` pings at ``RATE`` per second, each on its own stream, in its own transaction.
PINGS = """
import json, time
from tongban.federation import services
began = time.perf_counter()
for i in range(COUNT):
    wait = began + i / RATE - time.perf_counter()
    if wait > 0:
        time.sleep(wait)
    services.enqueue(receiver="xinyang", type="node.ping", body={"note": f"steady {i}"}, stream=f"steady:{i}")
print(MARK + json.dumps({"seconds": time.perf_counter() - began}))
"""


# At 苏州: the pending case.transfer messages sealed as the worker would, written to ``PATH``.
SEAL_PENDING = """
import json
from tongban.federation import node
from tongban.federation.envelope import seal
from tongban.federation.models import OutboxMessage
key = node.signing_key()
envelopes = [
    seal(type=m.type, sender="suzhou", receiver=m.receiver, body=m.body, key=key, message_id=m.id).to_dict()
    for m in OutboxMessage.objects.filter(state="pending", type="case.transfer").order_by("created_at", "id")
]
open(PATH, "w").write(json.dumps(envelopes, ensure_ascii=False))
"""

# At 信阳: cProfile of taking those envelopes in batches (inbox.receive_batch, no HTTP).
PROFILE = """
import cProfile, io, json, pstats, time
from tongban.federation import delivery, inbox, node
node.trust_list(); node.signing_key()
envelopes = json.loads(open(PATH).read())
size = delivery.batch_size()
profiler = cProfile.Profile()
began = time.perf_counter()
profiler.enable()
for start in range(0, len(envelopes), size):
    answers = inbox.receive_batch([(e, None) for e in envelopes[start:start + size]], "127.0.0.1")
    assert all(a.status == 200 for a in answers), [a.payload for a in answers if a.status != 200][:1]
profiler.disable()
took = time.perf_counter() - began
out = io.StringIO()
each = took * 1000 / len(envelopes)
out.write(f"{len(envelopes)} case.transfer envelopes taken at 信阳, no HTTP: {each:.2f} ms each\\n")
stats = pstats.Stats(profiler, stream=out).strip_dirs()
stats.sort_stats("cumulative").print_stats(40)
stats.sort_stats("tottime").print_stats(15)
print(out.getvalue())
"""


def result(out: str) -> object:
    return json.loads(next(line for line in reversed(out.splitlines()) if line.startswith(MARK))[len(MARK) :])


def receive(suzhou: nodes.Node, count: int) -> list[str]:
    numbers: list[str] = []
    while len(numbers) < count:  # in parts: one process may run a few minutes at most
        size = min(500, count - len(numbers))
        numbers += result(suzhou.run(program(RECEIVE, COUNT=size, IMPLEMENTATION=IMPLEMENTATION, MARK=MARK)))
    return numbers


def forward(suzhou: nodes.Node, numbers: list[str], rate: float) -> float:
    return result(suzhou.run(program(FORWARD, NUMBERS=numbers, RATE=rate, MARK=MARK)))["seconds"]


def transfer_latencies(suzhou: nodes.Node, xinyang: nodes.Node, numbers: list[str]) -> tuple[list[float], list[float]]:
    """Per case: forward → recorded at 信阳 (its inbox row, written in the transaction that opens the
    case), and forward → receipt stored at 苏州 (seconds)."""
    sent: dict[str, tuple[str, datetime]] = {}
    receipts: dict[str, datetime] = {}
    for start in range(0, len(numbers), 500):
        part = numbers[start : start + 500]
        rows = suzhou.rows(
            "SELECT id, json_extract(body, '$.number'), created_at, delivered_at FROM federation_outboxmessage "
            f"WHERE type = 'case.transfer' AND json_extract(body, '$.number') IN ({','.join('?' * len(part))})",
            part,
        )
        for message_id, number, created, delivered in rows:
            sent[number] = (message_id, nodes.utc(created))
            if delivered:
                receipts[number] = nodes.utc(delivered)
    ids = [message_id for message_id, _ in sent.values()]
    opened: dict[str, datetime] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows = xinyang.rows(
            f"SELECT id, received_at FROM federation_inboxmessage WHERE id IN ({','.join('?' * len(part))})", part
        )
        opened.update({message_id: nodes.utc(at) for message_id, at in rows})
    there = [(opened[i] - at).total_seconds() for i, at in sent.values() if i in opened]
    back = [(receipts[n] - sent[n][1]).total_seconds() for n in receipts]
    return there, back


def wait_delivered(suzhou: nodes.Node, timeout: float = 600) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(left,)] = suzhou.rows("SELECT COUNT(*) FROM federation_outboxmessage WHERE state = 'pending'")
        if not left:
            return True
        time.sleep(0.2)
    return False


def spread(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {percentile(values, 50):.2f} s, p99 {percentile(values, 99):.2f} s, max {max(values):.2f} s "
        f"({len(values)} cases)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases in the backlog part")
    parser.add_argument("--rate", type=float, default=20, help="forwards per second in the steady part")
    parser.add_argument("--seconds", type=float, default=20, help="how long each steady part lasts")
    parser.add_argument("--ping-rate", type=float, default=200, help="messages per second in the last part")
    parser.add_argument("--profile", type=int, default=0, help="then profile taking this many transfers at 信阳")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' folders")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="tongban-transfer-bench-"))
    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    batch = os.environ.get("TONGBAN_FEDERATION_BATCH", "100")
    print(f"nodes:   suzhou → xinyang on 127.0.0.1, SQLite (WAL), gunicorn sync × 2, batches of {batch}; {folder}")
    fed = nodes.build(folder, (nodes.XINYANG, nodes.SUZHOU), env={"TONGBAN_WORKERS": "2"})
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
        steady_count = int(args.rate * args.seconds)
        numbers = receive(suzhou, args.cases + steady_count)
        backlog, steady = numbers[: args.cases], numbers[args.cases :]
        print(f"prepared: {len(numbers)} cases received at 苏州, materials seen (not timed)")

        took = forward(suzhou, backlog, 0)
        print(f"forward:  {len(backlog)} forwards at 苏州 in {took:.1f} s ({len(backlog) / took:.0f}/s, one process)")
        assert xinyang.server is not None
        server_cpu = group_cpu(xinyang.server.pid)
        figures = result(suzhou.run(program(DELIVER, MARK=MARK)))
        server_cpu = group_cpu(xinyang.server.pid) - server_cpu
        there, back = transfer_latencies(suzhou, xinyang, backlog)
        rate = len(there) / figures["seconds"]
        per = 1000 / max(1, len(there))
        print(
            f"backlog:  {len(there)} of {len(backlog)} cases opened at 信阳 in {figures['seconds']:.1f} s: "
            f"{rate:.0f} transfers/s (target ≥ 200); CPU per transfer {figures['cpu'] * per:.1f} ms at 苏州's "
            f"delivery + {server_cpu * per:.1f} ms at 信阳's gunicorn"
        )

        worker = suzhou.start_worker()
        try:
            time.sleep(3)  # the worker's Django set-up
            took = forward(suzhou, steady, args.rate)
            wait_delivered(suzhou)
            there, back = transfer_latencies(suzhou, xinyang, steady)
            print(
                f"steady:   {len(steady)} forwards over {took:.1f} s ({len(steady) / took:.1f}/s offered) with the "
                "worker running"
            )
            print(f"          forward → case opened at 信阳:  {spread(there)}  (target p99 ≤ 1 s)")
            print(f"          forward → receipt stored at 苏州: {spread(back)}")

            pings = int(args.ping_rate * args.seconds)
            took = result(suzhou.run(program(PINGS, COUNT=pings, RATE=args.ping_rate, MARK=MARK)))
            wait_delivered(suzhou)
            rows = suzhou.rows(
                "SELECT created_at, delivered_at FROM federation_outboxmessage WHERE stream LIKE 'steady:%' "
                "AND state = 'delivered'"
            )
            latencies = [(nodes.utc(b) - nodes.utc(a)).total_seconds() for a, b in rows]
            print(
                f"messages: {len(rows)} of {pings} pings queued over {took['seconds']:.1f} s "
                f"({pings / took['seconds']:.0f}/s offered), each its own stream and transaction"
            )
            print(f"          queued → receipt stored: {spread(latencies).replace('cases', 'messages')}")
        finally:
            suzhou.stop_worker(worker)
        if args.profile:
            forward(suzhou, receive(suzhou, args.profile), 0)
            path = str(folder / "envelopes.json")
            suzhou.run(program(SEAL_PENDING, PATH=path))
            print(xinyang.run(program(PROFILE, PATH=path)))
    finally:
        fed.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
