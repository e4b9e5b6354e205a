"""Federation delivery between two real nodes (target in the issue: ≥ 200 transfers/s, p99 ≤ 1 s).

    python bench/federation_throughput.py [--count 2000] [--streams 1] [--profile 200] [--worker-seconds 10]

Builds two nodes on 127.0.0.1 as tests/federation/test_nodes.py does (苏州 sends, 信阳 receives; each its
own folder, SQLite file, SM2 key and `tongban serve`, gunicorn with TONGBAN_WORKERS sync workers, 2 by
default). Then, in one process in 苏州's environment (Django set up, the key and trust list loaded):
queues ``--count`` node.ping messages in one transaction (spread over ``--streams`` streams; 1, the
default, is what `tongban federation ping` does: stream node:<receiver>) and calls ``deliver_due()``
until all are delivered. Prints transfers per second and the latency of each message from its enqueue
(OutboxMessage.created_at) to its receipt stored at the sender (delivered_at), p50 and p99. The queue is
a burst, so the latency is mostly waiting in line: the last message waits for all the others. Also the
CPU each side spent per transfer (the delivery process's own clock; 信阳's gunicorn processes from /proc).

For scale, the raw ceiling of one HTTP round trip without signing or storing anything: a request of one
envelope's size (a new connection each time) POSTed ``--count`` times to /healthz (405 from Django:
gunicorn + middleware, no view work); and the receiving half alone: up to 300 envelopes sealed beforehand
at 苏州, POSTed to 信阳 one per request from this process. Delivery itself sends batches
(TONGBAN_FEDERATION_BATCH envelopes per POST), so it can beat both. Then a cProfile of delivering
``--profile`` messages at the sender and one of taking ``--profile`` envelopes in batches at the receiver
(``inbox.receive_batch``, in process, no HTTP), and ``--worker-seconds`` of the real `manage.py worker`
(its delivery thread looks for due messages every 0.1 s when idle): the latency of single messages queued
now and then, and its rate on a backlog. Prints figures; asserts nothing. The latency under a steady
load, and case transfers rather than pings: bench/federation_transfers.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.federation import nodes  # noqa: E402  (after the path: this script runs from anywhere)

MARK = "@@result "

# In 苏州's process: queue ``count`` pings in one transaction, then deliver rounds until none is left.
DELIVER_ALL = """
import json, time
from django.db import transaction
from tongban.federation import delivery, node, services
from tongban.federation.models import OutboxMessage
node.trust_list(); node.signing_key()  # loaded before the clock starts, as in a running worker
began = time.perf_counter()
with transaction.atomic():
    for i in range({count}):
        services.enqueue(receiver="xinyang", type="node.ping", body={{"note": f"bench {{i}}"}},
                         stream=f"bench:{{i % {streams}}}")
queued = time.perf_counter()
cpu = time.process_time()
rounds, totals, deadline = 0, {{"delivered": 0, "retry": 0, "dead": 0}}, time.monotonic() + {timeout}
while time.monotonic() < deadline:
    counts = delivery.deliver_due()
    rounds += 1
    for k, v in counts.items():
        totals[k] += v
    if not any(counts.values()):
        if not OutboxMessage.objects.filter(state="pending").exists():
            break
        time.sleep(0.05)  # a retry is waiting for its backoff
done = time.perf_counter()
print("{mark}" + json.dumps({{"enqueue_s": queued - began, "deliver_s": done - queued, "rounds": rounds,
                              "totals": totals, "cpu_s": time.process_time() - cpu}}))
"""

# In 苏州's process, beside the worker: ``count`` single pings, one every ``gap`` seconds, each committed.
SINGLES = """
import time
from tongban.federation import services
for i in range({count}):
    services.enqueue(receiver="xinyang", type="node.ping", body={{"note": f"single {{i}}"}}, stream="single")
    time.sleep({gap})
"""

# In 苏州's process: cProfile of delivering ``rounds`` messages queued in one stream (batches of
# TONGBAN_FEDERATION_BATCH), the sender's whole side: planning, sealing, posting, checking receipts, recording.
PROFILE_SENDER = """
import cProfile, io, pstats, time
from django.db import transaction
from tongban.federation import delivery, node, services
node.trust_list(); node.signing_key()
with transaction.atomic():
    for i in range({rounds}):
        services.enqueue(receiver="xinyang", type="node.ping", body={{"note": f"profile {{i}}"}}, stream="profile")
profiler = cProfile.Profile()
began = time.perf_counter()
profiler.enable()
delivered = 0
while delivered < {rounds}:
    delivered += delivery.deliver_due()["delivered"]
profiler.disable()
took = time.perf_counter() - began
out = io.StringIO()
out.write(f"{rounds} messages delivered from the sender: {{took * 1000 / {rounds}:.2f}} ms each, under the profiler\\n")
stats = pstats.Stats(profiler, stream=out).strip_dirs()
stats.sort_stats("cumulative").print_stats(22)
stats.sort_stats("tottime").print_stats(12)
print(out.getvalue())
"""

# In 信阳's process: cProfile of ``count`` envelopes sealed with 苏州's key, taken in batches as the
# batch endpoint takes them (inbox.receive_batch, no HTTP).
PROFILE_RECEIVER = """
import cProfile, io, pstats, time
from pathlib import Path
from tongban.federation import delivery, inbox, node
from tongban.federation.envelope import seal
from tongban.federation.sm2 import PrivateKey
node.trust_list(); node.signing_key()
key = PrivateKey.from_pem(Path({key!r}).read_bytes())
envelopes = [seal(type="node.ping", sender="suzhou", receiver="xinyang", body={{"note": f"r {{i}}"}}, key=key).to_dict()
             for i in range({count})]
size = delivery.batch_size()
profiler = cProfile.Profile()
began = time.perf_counter()
profiler.enable()
for start in range(0, len(envelopes), size):
    items = [(e, None if i == 0 else i - 1) for i, e in enumerate(envelopes[start:start + size])]
    assert all(a.status == 200 for a in inbox.receive_batch(items, "127.0.0.1"))
profiler.disable()
took = time.perf_counter() - began
out = io.StringIO()
out.write(f"{count} envelopes taken in batches at the receiver, no HTTP: {{took * 1000 / {count}:.2f}} ms each\\n")
stats = pstats.Stats(profiler, stream=out).strip_dirs()
stats.sort_stats("cumulative").print_stats(18)
stats.sort_stats("tottime").print_stats(10)
print(out.getvalue())
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def result(out: str) -> dict:
    return json.loads(next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK) :])


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a process group (a node's gunicorn)."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp … utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def raw_ceiling(url: str, count: int, size: int) -> float:
    """POSTs per second of a ``size``-byte JSON body to ``url``, one new connection each, sequentially."""
    body = json.dumps({"pad": "x" * max(0, size - 12)}).encode()
    began = time.perf_counter()
    for _ in range(count):
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.read()
    return count / (time.perf_counter() - began)


def receiver_only(suzhou: nodes.Node, xinyang: nodes.Node, count: int) -> tuple[float, int]:
    """Envelopes per second 信阳 takes when they come ready-sealed (the receiving half of a transfer),
    and how many were not applied."""
    out = suzhou.run(
        "import json\nfrom tongban.federation import node\nfrom tongban.federation.envelope import seal\n"
        f"docs = [seal(type='node.ping', sender='suzhou', receiver='xinyang', body={{'note': f'in {{i}}'}},"
        f" key=node.signing_key()).to_dict() for i in range({count})]\n"
        f"print({MARK!r} + json.dumps(docs))"
    )
    envelopes = result(out)
    failed = 0
    began = time.perf_counter()
    for envelope in envelopes:
        status, _, answer = nodes.post(xinyang.inbox_url, envelope)
        failed += status != 200 or answer.get("duplicate") is not False
    return count / (time.perf_counter() - began), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="messages queued in one transaction")
    parser.add_argument("--streams", type=int, default=1, help="streams they are spread over (1: one per receiver)")
    parser.add_argument("--profile", type=int, default=200, help="rounds / receives to profile (0: none)")
    parser.add_argument("--worker-seconds", type=float, default=10, help="how long to watch the worker (0: skip)")
    parser.add_argument("--workers", default="2", help="gunicorn workers per node (TONGBAN_WORKERS)")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' folders")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="tongban-federation-bench-"))
    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"nodes:   2 (suzhou → xinyang) on 127.0.0.1, SQLite (WAL), gunicorn sync × {args.workers}; {folder}")
    began = time.perf_counter()
    fed = nodes.build(folder, (nodes.XINYANG, nodes.SUZHOU), env={"TONGBAN_WORKERS": args.workers})
    print(f"set-up:  {time.perf_counter() - began:.1f} s (migrate, keys, trust list, servers)")
    suzhou, xinyang = fed["suzhou"], fed["xinyang"]
    try:
        # a message of the size delivery posts: one envelope with a ping body
        sample = suzhou.run(
            "import json\nfrom tongban.federation import node\nfrom tongban.federation.envelope import seal\n"
            "print(len(json.dumps(seal(type='node.ping', sender='suzhou', receiver='xinyang',"
            " body={'note': 'bench 1000'}, key=node.signing_key()).to_dict(), ensure_ascii=False)))"
        )
        size = int(sample.split()[-1])

        raw = raw_ceiling(xinyang.url + "/healthz", args.count, size)
        inbound = receiver_only(suzhou, xinyang, min(args.count, 300))

        timeout = max(600, args.count)  # seconds; a guard, not a target
        assert xinyang.server is not None
        server_cpu = group_cpu(xinyang.server.pid)
        out = suzhou.shell(DELIVER_ALL.format(count=args.count, streams=args.streams, timeout=timeout, mark=MARK))
        server_cpu = group_cpu(xinyang.server.pid) - server_cpu
        figures = result(out)
        sent = [m for m in suzhou.outbox() if m["stream"].startswith("bench:")]
        delivered = [m for m in sent if m["state"] == "delivered"]
        latencies = [(m["delivered_at"] - m["created_at"]).total_seconds() for m in delivered]
        received = len(xinyang.inbox(*(m["id"] for m in sent)))
        rate = len(delivered) / figures["deliver_s"]
        print()
        print(
            f"queued:    {args.count} node.ping in one transaction over {args.streams} stream(s), "
            f"{figures['enqueue_s'] * 1000:.0f} ms; envelope {size} bytes"
        )
        print(
            f"delivered: {len(delivered)} of {len(sent)} in {figures['deliver_s']:.2f} s, {figures['rounds']} rounds "
            f"(retries {figures['totals']['retry']}, dead {figures['totals']['dead']}); {received} in 信阳's inbox"
        )
        print(f"rate:      {rate:,.0f} transfers/s  (target ≥ 200)")
        per = 1000 / max(1, len(delivered))
        print(
            f"CPU:       {figures['cpu_s'] * per:.1f} ms at 苏州's delivery process + {server_cpu * per:.1f} ms at "
            f"信阳's gunicorn per transfer (enqueue not counted); one core each would allow "
            f"{1000 / max(figures['cpu_s'] * per, server_cpu * per, 0.001):,.0f}/s if the two ran side by side"
        )
        if latencies:
            print(
                f"latency:   p50 {percentile(latencies, 50):.2f} s, p99 {percentile(latencies, 99):.2f} s, "
                f"max {max(latencies):.2f} s from enqueue to receipt stored  (target p99 ≤ 1 s)"
            )
        print(f"raw HTTP:  {raw:,.0f} POST /healthz per s (same size, new connection each; no signing, no storing)")
        print(
            f"receiver:  {inbound[0]:,.0f} signed envelopes per s POSTed to 信阳 ready-sealed ({inbound[1]} not "
            "applied): its verify, apply, receipt, commit and the HTTP round trip, without the sender's work"
        )
        print(
            f"ratio:     delivery is {rate / raw:.2f} × the raw HTTP round trip; "
            f"{figures['deliver_s'] * 1000 / max(1, len(delivered)):.1f} ms per transfer against {1000 / raw:.1f} ms"
        )

        if args.profile > 0:  # before the worker, whose backlog is left pending: each round sends one message
            print()
            print(suzhou.shell(PROFILE_SENDER.format(rounds=args.profile)))
            print(xinyang.shell(PROFILE_RECEIVER.format(count=args.profile, key=str(suzhou.key_path))))
        if args.worker_seconds > 0:
            worker_figures(suzhou, args.worker_seconds)
    finally:
        fed.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def worker_figures(suzhou: nodes.Node, seconds: float) -> None:
    """`manage.py worker` running: the latency of single messages queued now and then (the best the
    worker offers), then how many of a backlog in one stream it delivers in ``seconds``."""

    def delivered(stream: str) -> int:
        sql = "SELECT COUNT(*) FROM federation_outboxmessage WHERE stream = ? AND state = 'delivered'"
        return suzhou.rows(sql, (stream,))[0][0]

    def wait(stream: str, count: int) -> bool:
        deadline = time.monotonic() + 90
        while delivered(stream) < count:
            if time.monotonic() > deadline:
                print(f"worker:    {stream!r} not delivered within 90 s; see {suzhou.folder / 'worker.log'}")
                return False
            time.sleep(0.05)
        return True

    worker = suzhou.start_worker()
    try:
        suzhou.run(nodes.enqueue_step(("xinyang", "warm-up", "w")))
        if not wait("warm-up", 1):
            return
        singles = 8
        suzhou.run(SINGLES.format(count=singles, gap=1.3))
        if not wait("single", singles):
            return
        latencies = [
            (m["delivered_at"] - m["created_at"]).total_seconds() for m in suzhou.outbox() if m["stream"] == "single"
        ]
        count = int(seconds * 40) + 20  # more than the worker can deliver in ``seconds``
        suzhou.run(nodes.enqueue_step(*(("xinyang", "backlog", f"b {i}") for i in range(count))))
        if not wait("backlog", 1):
            return
        first = time.perf_counter()
        while delivered("backlog") < count and time.perf_counter() - first < seconds:
            time.sleep(0.05)
        done = delivered("backlog")
        took = time.perf_counter() - first
    finally:
        suzhou.stop_worker(worker)
    print(
        f"worker:    single messages, one every 1.3 s: latency p50 {percentile(latencies, 50):.2f} s, "
        f"max {max(latencies):.2f} s (the idle worker looks for due messages every 0.1 s)"
    )
    print(
        f"worker:    a backlog of {count} in one stream: {done - 1} delivered in {took:.1f} s after the first, "
        f"{(done - 1) / took:.1f}/s (in batches, the next sent while the last is recorded)"
    )


if __name__ == "__main__":
    main()
