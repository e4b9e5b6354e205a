"""Case lifecycle throughput over HTTP under concurrent clients (target: ≥ 500 transitions/s on PostgreSQL).

    python bench/case_throughput.py                       # SQLite (WAL) in a temporary folder
    python bench/case_throughput.py --db postgres         # a throwaway PostgreSQL cluster, plus pgbench
    python bench/case_throughput.py --clients 8 16 --workers 4 --runs 3 --cases 96 --profile 200

Builds one small world per client (a department in one of 信阳's counties, its published item, a
window clerk, a reviewer and a department head scoped to that department, and an online applicant), with
an API bearer token per login (``cases:read cases:write``), and creates the online drafts with their
materials uploaded through the commands, outside the timed part. Prints, per transition through Django's
test client in process, the SQL statements and CPU milliseconds (an upper bound: cores × 1000 / CPU ms).

Serves tongban with gunicorn (N sync workers) on 127.0.0.1; GET /healthz through the same server and
client shows what the HTTP path alone manages at that moment (the machine is shared). Then, from Python
threads with one HTTP connection each, drives every case through the six transitions submit → accept →
review → approve → issue → deliver with ``POST /api/v1/cases/{number}/{action}/``, ``Authorization:
Bearer …``, ``X-Tongban-Role`` and the version last seen. The figure counts these six transitions only
(create and upload are not timed). No worker runs: the two notices per case (受理, 办结) are queued, not
rendered.

Then, on the same database: the raw database doing the same writes (the rows the app wrote, copied,
in one transaction per transition, with the same row locks and counters, no HTTP and no Django request
handling), and on PostgreSQL ``pgbench`` (TPC-B-like, scale 10, 8 clients) on the same cluster.
``--profile N`` adds a cProfile of N accept calls in process. Prints the figures and the medians of
the runs; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import _cases

STEPS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("submit", "applicant", {}),
    ("accept", "clerk", {}),
    ("review", "reviewer", {"opinion": "材料齐全，符合法定条件"}),
    ("approve", "head", {"opinion": "准予"}),
    ("issue", "clerk", {}),
    ("deliver", "clerk", {"method": "online"}),
)
TARGET = 500.0


@dataclass
class Login:
    token: str
    role: str | None  # the assignment id for X-Tongban-Role; None for the applicant

    def headers(self) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"}
        if self.role:
            h["X-Tongban-Role"] = self.role
        return h


@dataclass
class WorldRef:
    world: Any
    logins: dict[str, Login]


@dataclass
class RunResult:
    clients: int
    cases: int
    seconds: float
    ok: int
    errors: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    first_errors: list[str] = field(default_factory=list)
    load: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def all_latencies(self) -> list[float]:
        return [ms for values in self.latencies.values() for ms in values]


# --- data -------------------------------------------------------------------------------------------


def build_worlds(count: int) -> list[WorldRef]:
    from django.test.utils import override_settings
    from tests.cases import make as cases_make
    from tests.identity import make as identity_make

    from tongban.catalog.models import Region
    from tongban.identity.auth.tokens import issue_token

    counties = list(
        Region.objects.filter(level="county", code__startswith="4115").order_by("code").values_list("code", flat=True)
    )
    worlds = []
    # Test-speed password hashes: the logins never sign in, they use bearer tokens.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(count):
            w = cases_make.world(counties[i % len(counties)])
            logins = {}
            for who in ("applicant", "clerk", "reviewer", "head"):
                user = getattr(w, who)
                raw, _ = issue_token(user, ["cases:read", "cases:write"], days=2)
                role = None if who == "applicant" else str(identity_make.assignment_of(user).pk)
                logins[who] = Login(raw, role)
            worlds.append(WorldRef(w, logins))
    return worlds


def make_drafts(worlds: list[WorldRef], per_world: list[int]) -> list[list[str]]:
    """Online drafts with every material uploaded, through the commands; their numbers per world."""
    from tests.cases import make as cases_make

    return [
        [cases_make.online(ref.world, submit=False).number for _ in range(n)]
        for ref, n in zip(worlds, per_world, strict=True)
    ]


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# --- the timed part ---------------------------------------------------------------------------------


def drive(port: int, worlds: list[WorldRef], numbers: list[list[str]]) -> RunResult:
    """One thread per world, each driving its cases through the six transitions, one after another."""
    client = _cases.Http(port)
    result = RunResult(clients=len(worlds), cases=sum(map(len, numbers)), seconds=0.0, ok=0, errors=0)
    lock = threading.Lock()
    start = threading.Barrier(len(worlds) + 1)

    def work(ref: WorldRef, mine: list[str]) -> None:
        ok = errors = 0
        lat: dict[str, list[float]] = defaultdict(list)
        problems: list[str] = []
        start.wait()
        for number in mine:
            version = None
            for action, who, body in STEPS:
                payload = dict(body) if version is None else {**body, "version": version}
                try:
                    status, data, ms = client.call(
                        "POST", f"/api/v1/cases/{number}/{action}/", ref.logins[who].headers(), payload
                    )
                except OSError as exc:
                    errors += 1
                    problems.append(f"{number} {action}: {exc!r}")
                    break
                if status != 200:
                    errors += 1
                    problems.append(f"{number} {action}: HTTP {status} {str(data)[:300]}")
                    break
                ok += 1
                lat[action].append(ms)
                version = data["version"]
        with lock:
            result.ok += ok
            result.errors += errors
            for action, values in lat.items():
                result.latencies[action] += values
            result.first_errors += problems[: max(0, 3 - len(result.first_errors))]

    threads = [
        threading.Thread(target=work, args=(ref, mine), daemon=True) for ref, mine in zip(worlds, numbers, strict=True)
    ]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - t0
    result.load = _cases.load_average()
    return result


# --- the same writes, straight to the database --------------------------------------------------------


def _insert_sql(model: Any, row: dict[str, Any]) -> tuple[str, list[Any]]:
    from django.db import connection

    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if f.attname in row]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    return sql, [f.get_db_prep_save(row[f.attname], connection) for f in fields]


def raw_ceiling(clients: int, cases_per_client: int) -> tuple[float, int, float]:
    """Transitions/s of the database doing what the six commands write, from ``clients`` threads.

    Per transition, one transaction: lock the case row (FOR UPDATE; on SQLite the IMMEDIATE transaction
    takes the write lock), read the last event, UPDATE the case row, INSERT the event; accept and
    approve also count up the per-region notice counters (accept twice: the acceptance number and the
    notice number, as the app does) and INSERT the notice, then queue the render task (after commit);
    review and approve INSERT the review opinion. The rows are copies of the rows the app wrote.
    Works on the cases the HTTP runs completed (their status is overwritten; the database is thrown away).
    """
    from django.db import connection, connections, transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tongban.cases.models import Case, CaseEvent, Notice, ReviewOpinion

    def row_of(obj: Any) -> dict[str, Any]:
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    events = {e.action: row_of(e) for e in CaseEvent.objects.filter(action__in=[s[0] for s in STEPS]).order_by("id")}
    notices = {n.kind: row_of(n) for n in Notice.objects.order_by("id")}
    opinion = row_of(ReviewOpinion.objects.order_by("id").first())
    task = row_of(DBTaskResult.objects.order_by("enqueued_at").first())
    case_rows = list(Case.objects.order_by("id").values_list("id", "receiving_region_id")[: clients * cases_per_client])
    if len(case_rows) < clients:
        return float("nan"), 0, 0.0
    per = len(case_rows) // clients
    lock_sql = "SELECT id, version, status FROM cases_case WHERE id = %s" + (
        " FOR UPDATE" if connection.features.has_select_for_update else ""
    )
    tail_sql = "SELECT seq, hash FROM cases_caseevent WHERE case_id = %s ORDER BY seq DESC LIMIT 1"
    update_sql = "UPDATE cases_case SET status = %s, version = version + 1, warning = %s WHERE id = %s"
    seq_sql = "UPDATE cases_sequence SET last = last + 1 WHERE name = %s"
    seq_read = "SELECT last FROM cases_sequence WHERE name = %s"
    targets = {
        "submit": "pending",
        "accept": "in_review",
        "review": "in_review",
        "approve": "approved",
        "issue": "issued",
        "deliver": "completed",
    }
    done = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def transition(case_id: int, region: str, action: str) -> None:
        now = timezone.now()
        notice_kind = {"accept": ("acceptance", "SL"), "approve": ("decision", "BJ")}.get(action)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(lock_sql, [case_id])
            cur.fetchone()
            cur.execute(tail_sql, [case_id])
            last = cur.fetchone()
            if action in ("review", "approve"):
                row = {**opinion, "case_id": case_id, "at": now}
                row.pop("id")
                cur.execute(*_insert_sql(ReviewOpinion, row))
            cur.execute(update_sql, [targets[action], "none", case_id])
            event = {**events[action], "case_id": case_id, "seq": (last[0] + 1) if last else 1, "at": now}
            event.pop("id")
            cur.execute(*_insert_sql(CaseEvent, event))
            if notice_kind:
                name = f"notice:{region}:{notice_kind[1]}:{now:%Y}"
                for _ in range(2 if action == "accept" else 1):
                    cur.execute(seq_sql, [name])
                    cur.execute(seq_read, [name])
                    cur.fetchone()
                notice = {
                    **notices[notice_kind[0]],
                    "case_id": case_id,
                    "number": uuid.uuid4().hex[:40],
                    "token": uuid.uuid4().hex,
                    "created_at": now,
                }
                notice.pop("id")
                cur.execute(*_insert_sql(Notice, notice))
        if notice_kind:
            with connection.cursor() as cur:
                cur.execute(*_insert_sql(DBTaskResult, {**task, "id": uuid.uuid4(), "enqueued_at": now}))

    def work(mine: list[tuple[int, str]]) -> None:
        n = 0
        barrier.wait()
        try:
            for case_id, region in mine:
                for action, _, _ in STEPS:
                    transition(case_id, region, action)
                    n += 1
        finally:
            with lock:
                done[0] += n
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(case_rows[i * per : (i + 1) * per],), daemon=True) for i in range(clients)
    ]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return done[0] / seconds, done[0], seconds


# --- what one request costs, in process ---------------------------------------------------------------


def in_process(ref: WorldRef, cases: int) -> dict[str, tuple[int, float, float]]:
    """Per transition, through Django's test client in this process (no HTTP, no concurrency): SQL
    statements, and the median CPU and wall milliseconds over ``cases`` cases (after one warm-up case).

    The CPU time is this process's only: the whole database on SQLite, none of the server on PostgreSQL.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from tests.cases import make as cases_make

    client = Client(HTTP_HOST="127.0.0.1")
    numbers = [cases_make.online(ref.world, submit=False).number for _ in range(cases + 1)]
    queries: dict[str, int] = {}
    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    for i, number in enumerate(numbers):
        for action, who, body in STEPS:
            login = ref.logins[who]
            extra = {"HTTP_AUTHORIZATION": f"Bearer {login.token}"}
            if login.role:
                extra["HTTP_X_TONGBAN_ROLE"] = login.role
            path = f"/api/v1/cases/{number}/{action}/"
            if i == 0:
                with CaptureQueriesContext(connection) as q:
                    client.post(path, body, content_type="application/json", **extra)
                queries[action] = len(q.captured_queries)
                continue
            c0, t0 = time.process_time(), time.perf_counter()
            response = client.post(path, body, content_type="application/json", **extra)
            cpu[action].append((time.process_time() - c0) * 1000)
            wall[action].append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{action} answered {response.status_code}: {response.content[:300]!r}")
    return {a: (queries[a], _cases.median(cpu[a]), _cases.median(wall[a])) for a, _, _ in STEPS}


def healthz_rate(port: int, clients: int, seconds: float) -> float:
    """Requests/s of GET /healthz (a plain Django view, one small query) through the same server and client."""
    http = _cases.Http(port)
    stop = time.perf_counter() + seconds
    done = [0]
    lock = threading.Lock()

    def work() -> None:
        n = 0
        while time.perf_counter() < stop:
            http.call("GET", "/healthz", {})
            n += 1
        with lock:
            done[0] += n

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.perf_counter() - t0)


def profile_accept(ref: WorldRef, calls: int) -> str:
    """cProfile of ``calls`` accept requests through Django's test client (cases prepared beforehand)."""
    from django.test import Client
    from tests.cases import make as cases_make

    numbers = []
    for _ in range(calls):
        case = cases_make.online(ref.world)  # submitted: awaiting acceptance
        numbers.append(case.number)
    client = Client(HTTP_HOST="127.0.0.1")
    login = ref.logins["clerk"]
    extra = {"HTTP_AUTHORIZATION": f"Bearer {login.token}", "HTTP_X_TONGBAN_ROLE": login.role}
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for number in numbers:
        r = client.post(f"/api/v1/cases/{number}/accept/", {}, content_type="application/json", **extra)
        if r.status_code != 200:
            raise RuntimeError(f"accept answered {r.status_code}: {r.content[:300]!r}")
    profiler.disable()
    seconds = time.perf_counter() - t0
    out = io.StringIO()
    out.write(f"{calls} accept calls in process: {seconds * 1000 / calls:.1f} ms each (under the profiler)\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"tongban/|oauth2_provider/oauth2_validators|rest_framework/views", 40)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


# --- the report -----------------------------------------------------------------------------------------


def fmt(values: list[float]) -> str:
    return f"{_cases.percentile(values, 50):6.1f} {_cases.percentile(values, 95):7.1f} {max(values or [0]):7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16], help="concurrent clients (threads)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per client count (the median is reported)")
    parser.add_argument("--cases", type=int, default=96, help="cases driven through the lifecycle per run")
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--raw-clients", type=int, default=8, help="threads for the raw-database ceiling")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw-database ceiling")
    parser.add_argument("--in-process", type=int, default=10, metavar="N", help="cases for the in-process costs")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also cProfile N accept calls in process")
    parser.add_argument("--server-log", default=None, help="write gunicorn's output to this file")
    args = parser.parse_args()
    _cases.stop_on_sigterm()

    with contextlib.ExitStack() as stack:
        pg = _cases.open_database(args.db, stack)
        from django.db import connections

        print(f"machine:  {_cases.machine(pg)}")
        print(f"code:     {_cases.code_version()}")
        print(f"database: {_cases.database()}" + (f" (throwaway cluster: {_cases.PG_OPTIONS})" if pg else ""))
        t0 = time.perf_counter()
        worlds = build_worlds(max(args.clients))
        plan = [(c, r) for c in args.clients for r in range(args.runs)]
        drafts = {}
        for clients, run in plan:
            drafts[clients, run] = make_drafts(worlds[:clients], split(args.cases, clients))
        costs = in_process(worlds[0], args.in_process)
        connections.close_all()
        print(
            f"data:     {len(worlds)} departments in {len({w.world.department.region_id for w in worlds})} counties "
            f"of 411500, {len(plan) * args.cases:,} online drafts with 2 uploaded materials each, "
            f"built through the commands in {time.perf_counter() - t0:.0f} s (not timed)"
        )
        print(
            f"in process, one client, Django test client, median of {args.in_process} cases "
            f"(CPU of this process: {'app and SQLite' if args.db == 'sqlite' else 'app only, not the server'}):"
        )
        print(f"  {'transition':<10} {'queries':>7} {'CPU ms':>7} {'wall ms':>8}")
        for action, (n, cpu, wall) in costs.items():
            print(f"  {action:<10} {n:>7} {cpu:7.1f} {wall:8.1f}")
        total_cpu = sum(c for _, c, _ in costs.values())
        print(
            f"  {'per case':<10} {sum(n for n, _, _ in costs.values()):>7} {total_cpu:7.1f} "
            f"{sum(w for _, _, w in costs.values()):8.1f}   -> at most "
            f"{(os.cpu_count() or 1) * 6000 / total_cpu:.0f} transitions/s on {os.cpu_count()} cores from the app's "
            "CPU alone"
        )
        print(
            f"load:     gunicorn {args.workers} sync workers on 127.0.0.1; clients are Python threads in this "
            f"process, one HTTP/1.1 connection each (gunicorn's sync workers close it after every response); "
            f"each client drives {args.cases}/clients cases one after another, 6 transitions each"
        )
        results: list[RunResult] = []
        with _cases.gunicorn(args.workers, log=args.server_log) as port:
            # Warm every worker (imports, calendar, connections) with a few reads.
            http = _cases.Http(port)
            for _ in range(args.workers * 4):
                http.call("GET", "/api/v1/cases/?limit=1", worlds[0].logins["clerk"].headers())
            hz = healthz_rate(port, max(args.clients), 3.0)
            print(
                f"calibration: GET /healthz (plain Django view, one query) through the same server and client, "
                f"{max(args.clients)} clients: {hz:,.0f} requests/s (load {_cases.load_average()})"
            )
            print(
                f"{'clients':>7} {'run':>3} {'cases':>5} {'seconds':>8} {'transitions':>11} {'errors':>6} "
                f"{'trans/s':>8}  {'p50 ms':>6} {'p95 ms':>7} {'max ms':>7}  load"
            )
            for clients, run in plan:
                r = drive(port, worlds[:clients], drafts[clients, run])
                results.append(r)
                print(
                    f"{clients:>7} {run + 1:>3} {r.cases:>5} {r.seconds:8.1f} {r.ok:>11,} {r.errors:>6} "
                    f"{r.rate:8.1f}  {fmt(r.all_latencies())}  {r.load}"
                )
                for problem in r.first_errors:
                    print(f"          error: {problem}")
        print("per action, all runs (ms):  p50    p95     max")
        for action, _, _ in STEPS:
            values = [ms for r in results for ms in r.latencies.get(action, [])]
            print(f"  {action:<24} {fmt(values)}")

        from tongban.cases.models import Case

        driven = [n for per_world in drafts.values() for numbers in per_world for n in numbers]
        completed = Case.objects.filter(number__in=driven, status="completed").count()
        print(f"check:    {completed:,} of the {len(driven):,} cases driven are completed")

        raw = None
        if not args.no_raw:
            per_client = max(1, completed // args.raw_clients)
            raw = raw_ceiling(args.raw_clients, per_client)
            print(
                f"raw database, same writes: {raw[1]:,} transitions in {raw[2]:.1f} s from {args.raw_clients} "
                f"threads = {raw[0]:,.0f} transitions/s"
            )
        connections.close_all()

        pgbench = None
        if pg is not None:
            tps, _out = pg.pgbench(scale=10, clients=8, seconds=args.pgbench_seconds)
            pgbench = tps
            print(
                f"pgbench:  TPC-B-like, scale 10, 8 clients, 2 threads, {args.pgbench_seconds} s on the same "
                f"cluster: {tps:,.0f} tps (load {_cases.load_average()})"
            )

        print()
        print(f"summary ({args.db}, gunicorn {args.workers} sync workers; median of {args.runs} runs):")
        print(
            f"  {'clients':>7} {'trans/s':>8} {'runs':>24} {'p95 ms':>7}"
            + ("  ÷ pgbench" if pgbench else "")
            + ("  ÷ raw" if raw else "")
        )
        best = 0.0
        for clients in args.clients:
            mine = [r for r in results if r.clients == clients]
            rate = _cases.median([r.rate for r in mine])
            best = max(best, rate)
            line = (
                f"  {clients:>7} {rate:8.1f} {', '.join(f'{r.rate:.0f}' for r in mine):>24} "
                f"{_cases.percentile([ms for r in mine for ms in r.all_latencies()], 95):7.1f}"
            )
            if pgbench:
                line += f"  {rate / pgbench:9.3f}"
            if raw:
                line += f"  {rate / raw[0]:6.3f}"
            print(line)
        if raw:
            print(f"  raw database, same writes ({args.raw_clients} threads): {raw[0]:,.0f} transitions/s")
        if pgbench:
            print(f"  pgbench TPC-B-like (scale 10, 8 clients): {pgbench:,.0f} tps")
        verdict = "met" if best >= TARGET else "NOT met"
        scope = "" if args.db == "postgres" else " (the target is for PostgreSQL; this is SQLite)"
        print(f"  target ≥ {TARGET:.0f} transitions/s: {verdict} (best median {best:.1f}){scope}")

        if args.profile:
            print()
            print(profile_accept(worlds[0], args.profile))


if __name__ == "__main__":
    main()
