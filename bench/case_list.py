"""Case list latency for a window clerk restricted to one department, at 1,000,000 cases (target: p95 ≤ 200 ms).

    python bench/case_list.py                                  # SQLite (WAL), 1,000,000 cases
    python bench/case_list.py --db postgres                    # a throwaway PostgreSQL cluster
    python bench/case_list.py --cases 100000                   # a quick run
    python bench/case_list.py --db postgres --experiment       # then try the index named in EXPERIMENT

Builds 200 departments in the counties of four prefectures (信阳, 郑州, 洛阳, 南阳), each with two published
items (through the catalog commands), then inserts the cases straight into the table in batches of
10,000, one transaction each (not through the commands: a million lifecycles would take hours): a mild
Zipf spread over the departments (the busiest holds ~7 %), created over the last two years (running
cases in the last 30 days), realistic statuses (most completed, some in review, pending, drafts …),
deadlines and warning colours for the running ones. ``--loader orm`` uses ``Case.objects.bulk_create``;
the default ``sql`` inserts the same rows with one prepared INSERT per batch (COPY on PostgreSQL),
because bulk_create ran at ~700–1,200 rows/s here (every field of every row prepared in Python: 15–25
minutes for a million). The table's non-unique indexes are dropped for the load and rebuilt from their
own definitions afterwards. The events table stays empty: the list does not read it. Then ``ANALYZE``
(``VACUUM ANALYZE`` on PostgreSQL), what autovacuum or an operator does after a bulk load.

Serves tongban with gunicorn on 127.0.0.1 and times, one request at a time from one client, 200
requests each of ``GET /api/v1/cases/?limit=50`` plain, with ``status=in_review`` and with
``warning=red``, as a window clerk (bearer token, ``X-Tongban-Role``) of the busiest department and of
a median one. Prints p50/p95/max, and for the slowest the plans of its two queries (count, page), their
time in process, and as a diagnostic the time of the same SQL without the clerk's "own cases" branch.
``--experiment`` then creates the indexes in ``EXPERIMENT`` one by one with raw SQL in the benchmark
database only (the models are not changed), measuring again and showing the plans. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import operator
import random
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import _cases

TARGET_MS = 200.0
PREFECTURES = ("4115", "4101", "4103", "4113")
FILTERS = {
    "plain": "",
    "status=in_review": "&status=in_review",
    "warning=red": "&warning=red",
}
# Share of cases per status, as a node two years into service would hold them.
STATUSES = {
    "completed": 0.70,
    "in_review": 0.08,
    "draft": 0.04,
    "pending": 0.03,
    "refused": 0.03,
    "withdrawn": 0.03,
    "denied": 0.02,
    "correction": 0.015,
    "approved": 0.015,
    "issued": 0.015,
    "suspended": 0.01,
    "terminated": 0.005,
}
ACCEPTED = {"in_review", "suspended", "approved", "issued", "completed", "denied", "terminated"}
DECIDED = {"approved", "issued", "completed", "denied"}
CLOSED = {"completed", "refused", "withdrawn", "terminated"}
RUNNING = {"in_review", "pending", "correction", "suspended", "approved", "issued", "draft"}
# The experiment (``--experiment``): the index the plans call for; see the module's report.
# Each step is kept for the next. Step 1 lets the list's ORDER BY … LIMIT 50 stop early even with the
# clerk's "own cases" OR; it is measured over HTTP. Step 2 would let the count be answered from an index
# alone, but only once the OR is gone (which needs a code change), so it is looked at in the plans only.
EXPERIMENT = [
    ("CREATE INDEX bench_case_recent ON cases_case (created_at DESC, id DESC)", True),
    ("CREATE INDEX bench_case_scope ON cases_case (department_id, region_id, status, warning)", False),
]


# --- the data ---------------------------------------------------------------------------------------


def build_catalog(departments: int, seed: int) -> list[Any]:
    """``departments`` departments, two published implementations each, through the catalog commands."""
    from tests import factories as f

    from tongban.catalog.models import Region

    rng = random.Random(seed)
    counties = [
        code
        for prefix in PREFECTURES
        for code in Region.objects.filter(level="county", code__startswith=prefix)
        .order_by("code")
        .values_list("code", flat=True)
    ]
    names = ["正常退休提取住房公积金", "社会保障卡申领", "开具户籍类证明", "食品经营许可", "不动产抵押登记"]
    names += ["失业登记", "企业住所变更登记", "残疾人证办理", "最低生活保障审批", "教师资格认定"]
    items = [f.item(name=n) for n in names]
    made = []
    for i in range(departments):
        dept = f.department(counties[i % len(counties)], name=f"第{i + 1}号实施机关")
        impls = [f.implementation(item, dept, region_code=dept.region_id) for item in rng.sample(items, 2)]
        made.append((dept, impls))
    return made


def case_batches(
    total: int, catalog: list[Any], seed: int, users: tuple[list[int], list[int]], batch: int
) -> Iterator[tuple[list[dict[str, Any]], list[int]]]:
    """Batches of case rows (attribute name -> value); the last item of each batch's tuple is the
    department index of every row."""
    from django.utils import timezone

    rng = random.Random(seed)
    applicants, clerks = users
    weights = [1 / (i + 1) ** 0.7 for i in range(len(catalog))]
    statuses, shares = list(STATUSES), list(STATUSES.values())
    guides = {impl.pk: impl.current_version for _, impls in catalog for impl in impls}
    now = timezone.now()
    two_years = 2 * 365 * 86400
    made = 0
    while made < total:
        n = min(batch, total - made)
        which = rng.choices(range(len(catalog)), weights=weights, k=n)
        status_of = rng.choices(statuses, weights=shares, k=n)
        rows = []
        for j in range(n):
            d = which[j]
            dept, impls = catalog[d]
            impl = impls[j % 2]
            guide = guides[impl.pk]
            status = status_of[j]
            # Running cases are recent; finished ones anywhere in the two years.
            span = 30 * 86400 if status in RUNNING else two_years
            created = now - timedelta(seconds=rng.random() * span)
            online = rng.random() < 0.6
            arrived = None if status == "draft" else created + timedelta(minutes=rng.randint(1, 60))
            accepted = arrived + timedelta(hours=rng.randint(1, 72)) if status in ACCEPTED else None
            warning = "none"
            if status in ("in_review", "approved"):
                warning = rng.choices(["none", "yellow", "red"], weights=[75, 15, 10])[0]
            decided = accepted + timedelta(days=rng.randint(1, 5)) if status in DECIDED else None
            closed = (decided or arrived or created) + timedelta(days=1) if status in CLOSED else None
            region = dept.region_id
            rows.append(
                {
                    "created_at": created,
                    "number": f"{region}-{created:%Y%m%d}-{made + j:07d}",
                    "version": 9 if status == "completed" else 4,
                    "status": status,
                    "channel": "online" if online else "window",
                    "implementation_id": impl.pk,
                    "guide_version_id": guide.pk,
                    "region_id": region,
                    "department_id": dept.pk,
                    "receiving_region_id": region,
                    "item_name": guide.name,
                    "applicant_name": "张三",
                    "created_by_id": rng.choice(applicants) if online else clerks[d],
                    "case_type": "promised",
                    "current_step": 1 if status in DECIDED else 0,
                    "arrived_at": arrived,
                    "accepted_at": accepted,
                    "acceptance_number": f"{region}-SL-{made + j:07d}" if accepted else "",
                    "statutory_deadline": accepted + timedelta(days=guide.statutory_limit + 8) if accepted else None,
                    "promised_deadline": accepted + timedelta(days=guide.promised_limit + 2) if accepted else None,
                    "warning": warning,
                    "outcome": ("deny" if status == "denied" else "approve") if decided else "",
                    "decided_at": decided,
                    "issued_at": decided if status in ("issued", "completed") else None,
                    "delivered_at": closed if status == "completed" else None,
                    "closed_at": closed,
                }
            )
        yield rows, which
        made += n


def load_cases(total: int, catalog: list[Any], seed: int, loader: str, batch: int = 10_000) -> list[int]:
    """Insert ``total`` cases in batches of ``batch``, one transaction each; the count per department.

    ``orm``: ``Case.objects.bulk_create``. ``sql``: the same rows as one prepared INSERT per batch
    (``executemany``), every column the model has, constants prepared once by the model's own fields.
    """
    from datetime import UTC

    from django.contrib.auth.models import User
    from django.db import connection, models, transaction

    from tongban.cases.models import Case

    # Who created the cases: applicants online, a clerk of the department at the window. No passwords.
    applicants = [u.pk for u in User.objects.bulk_create([User(username=f"bench-applicant-{i}") for i in range(500)])]
    clerks = [u.pk for u in User.objects.bulk_create([User(username=f"bench-clerk-{i}") for i in range(len(catalog))])]
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    proto = Case(review_steps=["审查", "审批"])
    constant = {f.attname: f.get_db_prep_save(getattr(proto, f.attname), connection) for f in fields}
    moments = {f.attname for f in fields if isinstance(f, models.DateTimeField)}
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Case._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    sqlite = connection.vendor == "sqlite"
    copy_sql = f"COPY {quote(Case._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"

    attnames = [f.attname for f in fields]
    as_tuple = operator.itemgetter(*attnames)
    varying_moments = [a for a in attnames if a in moments]

    def prepared(row: dict[str, Any]) -> tuple[Any, ...]:
        if sqlite:  # what Django's SQLite backend stores: naive UTC text
            for a in varying_moments:
                value = row.get(a)
                if value is not None:
                    row[a] = str(value.astimezone(UTC).replace(tzinfo=None))
        return as_tuple({**constant, **row})

    per_department = [0] * len(catalog)
    for rows, which in case_batches(total, catalog, seed, (applicants, clerks), batch):
        for d in which:
            per_department[d] += 1
        with transaction.atomic():
            if loader == "orm":
                Case.objects.bulk_create([Case(review_steps=["审查", "审批"], **row) for row in rows])
            else:
                params = [prepared(row) for row in rows]
                with connection.cursor() as cur:
                    if sqlite:
                        cur.executemany(sql, params)
                    else:  # PostgreSQL: COPY, several times faster than executemany here
                        with cur.cursor.copy(copy_sql) as copy:
                            for values in params:
                                copy.write_row(values)
    return per_department


@contextlib.contextmanager
def secondary_indexes_rebuilt():  # type: ignore[no-untyped-def]
    """Drop the case table's non-unique indexes for the load and create them again afterwards, with
    their own definitions (what a bulk loader does: one sorted build instead of a million inserts)."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case' "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%'"
            )
        else:
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases_case' "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
            )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield len(indexes)
    finally:
        t = time.perf_counter()
        with connection.cursor() as cur:
            for _, definition in indexes:
                cur.execute(definition)
        secondary_indexes_rebuilt.seconds = time.perf_counter() - t  # type: ignore[attr-defined]


@contextlib.contextmanager
def created_at_as_given():  # type: ignore[no-untyped-def]
    """Let bulk_create keep the ``created_at`` we give (the field is auto_now_add), in this process only."""
    from tongban.cases.models import Case

    field = Case._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE")
        else:
            cur.execute("ANALYZE")


# --- the timed part ---------------------------------------------------------------------------------


def measure(port: int, headers: dict[str, str], requests: int) -> dict[str, tuple[list[float], int]]:
    http = _cases.Http(port)
    out = {}
    for label, extra in FILTERS.items():
        path = f"/api/v1/cases/?limit=50{extra}"
        for _ in range(3):  # warm-up
            status, data, _ = http.call("GET", path, headers)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {str(data)[:300]}")
        times = []
        for _ in range(requests):
            _, data, ms = http.call("GET", path, headers)
            times.append(ms)
        out[label] = (times, data["count"])
    return out


def list_queries(headers: dict[str, str], extra: str) -> list[str]:
    """The SQL the list runs (through Django's test client, in process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    with CaptureQueriesContext(connection) as q:
        client.get(f"/api/v1/cases/?limit=50{extra}", **meta)
    return [x["sql"] for x in q.captured_queries if "cases_case" in x["sql"]]


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
            return "\n".join(r[0] for r in cur.fetchall())
        cur.execute("EXPLAIN QUERY PLAN " + sql)
        return _sqlite_plan(cur.fetchall())


def run_ms(sql: str, times: int = 5) -> float:
    """Median milliseconds to run ``sql`` and fetch every row, in this process."""
    from django.db import connection

    spent = []
    with connection.cursor() as cur:
        for _ in range(times):
            t = time.perf_counter()
            cur.execute(sql)
            cur.fetchall()
            spent.append((time.perf_counter() - t) * 1000)
    return _cases.median(spent)


OWN_BRANCH = re.compile(r'"cases_case"\."created_by_id" = \d+ OR ')


def diagnose(headers: dict[str, str], extra: str, title: str) -> None:
    """The plans of the list's two queries (count, page), their time in process, and the time of the same
    SQL without the clerk's "own cases" branch (``created_by = me OR …``), as a diagnostic."""
    print()
    print(title)
    for sql in list_queries(headers, extra):
        print(f"  SQL: {sql[:400]}{' …' if len(sql) > 400 else ''}")
        print("    " + explain(sql).replace("\n", "\n    "))
        narrowed = OWN_BRANCH.sub("", sql)
        line = f"    -> {run_ms(sql):.1f} ms in process (median of 5)"
        if narrowed != sql:
            first = explain(narrowed).splitlines()
            line += (
                f"; the same SQL without the own-cases branch: {run_ms(narrowed):.1f} ms "
                f"(plan: {' / '.join(x.strip() for x in first[:3])} …)"
            )
        print(line)


def _sqlite_plan(rows: list[Any]) -> str:
    """EXPLAIN QUERY PLAN rows (id, parent, _, detail) as an indented tree."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def report(label: str, results: dict[str, tuple[list[float], int]]) -> list[tuple[str, float]]:
    p95s = []
    for name, (times, count) in results.items():
        p95 = _cases.percentile(times, 95)
        p95s.append((name, p95))
        print(
            f"  {label:<22} {name:<18} {count:>8,} {_cases.percentile(times, 50):8.1f} {p95:8.1f} "
            f"{max(times):8.1f}  {'≤' if p95 <= TARGET_MS else '>'} {TARGET_MS:.0f}"
        )
    return p95s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per filter and clerk")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--experiment", action="store_true", help="then try the indexes in EXPERIMENT")
    parser.add_argument("--no-explain", action="store_true", help="skip the query plans")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--loader",
        choices=["sql", "orm"],
        default="sql",
        help="sql: one prepared INSERT (PostgreSQL: COPY) per batch of 10,000 (default); orm: Case.objects.bulk_create "
        "(~700 rows/s here: too slow for a million)",
    )
    args = parser.parse_args()
    _cases.stop_on_sigterm()

    with contextlib.ExitStack() as stack:
        pg = _cases.open_database(args.db, stack)
        from django.db import connections
        from django.test.utils import override_settings
        from tests.identity import make

        from tongban.identity.auth.tokens import issue_token

        print(f"machine:  {_cases.machine(pg)}")
        print(f"code:     {_cases.code_version()}")
        print(f"database: {_cases.database()}" + (f" (throwaway cluster: {_cases.PG_OPTIONS})" if pg else ""))
        t0 = time.perf_counter()
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            catalog = build_catalog(args.departments, args.seed)
        t1 = time.perf_counter()
        with created_at_as_given(), secondary_indexes_rebuilt() as n_indexes:
            per_department = load_cases(args.cases, catalog, args.seed, args.loader)
        t2 = time.perf_counter()
        rebuilt = secondary_indexes_rebuilt.seconds  # type: ignore[attr-defined]
        analyze()
        t3 = time.perf_counter()
        print(
            f"data:     {args.departments} departments in {len({d.region_id for d, _ in catalog})} counties, "
            f"{2 * args.departments} published items (commands, {t1 - t0:.0f} s); {args.cases:,} cases inserted "
            f"({args.loader} loader, batches of 10,000) in {t2 - t1:.0f} s ({args.cases / (t2 - t1):,.0f} rows/s, "
            f"of which rebuilding the {n_indexes} non-unique indexes dropped for the load {rebuilt:.0f} s), "
            f"{'VACUUM ANALYZE' if pg else 'ANALYZE'} {t3 - t2:.0f} s; no events"
        )
        ordered = sorted(range(len(catalog)), key=lambda i: -per_department[i])
        chosen = {"busiest department": ordered[0], "median department": ordered[len(ordered) // 2]}
        clerks = {}
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            for label, i in chosen.items():
                dept = catalog[i][0]
                user = make.staff("window_clerk", dept.region_id, department=dept)
                raw, _ = issue_token(user, ["cases:read"], days=2)
                role = str(make.assignment_of(user).pk)
                clerks[label] = {"Authorization": f"Bearer {raw}", "X-Tongban-Role": role}
                print(f"clerk:    {label}: {dept.name} ({dept.region_id}), {per_department[i]:,} cases")
        connections.close_all()

        def run(title: str) -> list[tuple[str, str, float]]:
            print()
            print(
                f"{title}: GET /api/v1/cases/?limit=50 over HTTP, gunicorn {args.workers} sync workers, one client, "
                f"{args.requests} requests each after 3 warm-up (load {_cases.load_average()})"
            )
            print(f"  {'clerk':<22} {'filter':<18} {'count':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            found = []
            with _cases.gunicorn(args.workers) as port:
                for label, headers in clerks.items():
                    for name, p95 in report(label, measure(port, headers, args.requests)):
                        found.append((label, name, p95))
            print(f"  (load average afterwards {_cases.load_average()})")
            return found

        found = run("figures")
        worst = max(found, key=lambda x: x[2])
        if not args.no_explain:
            label, name, _ = worst
            diagnose(clerks[label], FILTERS[name], f"query plans of the slowest ({label}, {name}):")
        verdict = "met" if worst[2] <= TARGET_MS else "NOT met"
        print()
        print(f"target p95 ≤ {TARGET_MS:.0f} ms at {args.cases:,} cases: {verdict} (worst p95 {worst[2]:.1f} ms)")

        if args.experiment:
            from django.db import connection

            print()
            print("EXPERIMENT (benchmark database only; the models are unchanged):")
            for step, (sql, over_http) in enumerate(EXPERIMENT, start=1):
                t = time.perf_counter()
                with connection.cursor() as cur:
                    cur.execute(sql)
                print(f"  step {step}: {sql}  ({time.perf_counter() - t:.1f} s)")
                analyze()
                connections.close_all()
                if over_http:
                    found = run(f"figures with experiment step {step}")
                    worst = max(found, key=lambda x: x[2])
                    print(f"  with step {step}: worst p95 {worst[2]:.1f} ms")
                if not args.no_explain:
                    label, name, _ = worst
                    diagnose(
                        clerks[label], FILTERS[name], f"query plans of the slowest ({label}, {name}), step {step}:"
                    )


if __name__ == "__main__":
    main()
