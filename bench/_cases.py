"""Shared pieces of the case benchmarks: the database (SQLite, or a throwaway PostgreSQL cluster),
a gunicorn server on 127.0.0.1, a small keep-alive HTTP client for threads, and the machine line.

Nothing here imports Django at module level: the database must be chosen (and the cluster started)
before Django reads its settings, so ``open_database`` sets Django up once the environment is ready
(as ``_setup`` does, without its extra temporary folder).
Everything started here is stopped by the ``ExitStack`` it was entered into, also on Ctrl-C and on
SIGTERM (turned into SystemExit by ``stop_on_sigterm``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.with_postgres import find_bin, free_port  # noqa: E402

# The same server options as scripts/with_postgres.py: a throwaway cluster, not durable.
PG_OPTIONS = "-c fsync=off -c synchronous_commit=off -c max_connections=200 -c shared_buffers=512MB"


def stop_on_sigterm() -> None:
    """SIGTERM (a killed job) unwinds like Ctrl-C, so every ``finally`` and ExitStack callback runs."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# --- the database -----------------------------------------------------------------------------------


@dataclass
class Postgres:
    bindir: Path
    port: int
    folder: Path
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def version(self) -> str:
        out = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True).stdout
        return out.strip().removeprefix("postgres (PostgreSQL) ")

    def client(self, program: str, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / program), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)

    def pgbench(self, scale: int, clients: int, seconds: int, threads: int = 2) -> tuple[float, str]:
        """TPC-B-like tps of this cluster (its own database ``pgbench``, built here at ``scale``)."""
        self.client("createdb", "pgbench")
        self.client("pgbench", "-i", "-q", "-s", str(scale), "pgbench")
        out = self.client("pgbench", "-c", str(clients), "-j", str(threads), "-T", str(seconds), "pgbench").stdout
        found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        return (float(found.group(1)) if found else float("nan")), out


@contextlib.contextmanager
def postgres_cluster(options: str = PG_OPTIONS):  # type: ignore[no-untyped-def]
    """A UTF-8 (C.UTF-8) cluster on 127.0.0.1 and a free port, stopped and deleted afterwards."""
    bindir = find_bin()
    if bindir is None:
        raise SystemExit("PostgreSQL server not found (initdb, pg_ctl); install postgresql or set TONGBAN_PG_BIN")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="tongban-bench-pg-"))
    data = folder / "data"
    data.mkdir()
    if as_root:
        shutil.chown(folder, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    started = False
    try:
        initdb = ["-D", str(data), "-E", "UTF8", "--locale=C.UTF-8", "-A", "trust", "-U", "postgres"]
        subprocess.run([*run_as, str(bindir / "initdb"), *initdb], check=True, stdout=subprocess.DEVNULL)
        server = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 {options}"
        start = ["-D", str(data), "-l", str(folder / "server.log"), "-o", server, "-w", "start"]
        subprocess.run([*run_as, str(bindir / "pg_ctl"), *start], check=True, stdout=subprocess.DEVNULL)
        started = True
        yield Postgres(bindir, port, folder, run_as)
    finally:
        if started:
            subprocess.run(
                [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(folder, ignore_errors=True)


def open_database(db: str, stack: contextlib.ExitStack) -> Postgres | None:
    """Choose the database, set Django up on it and migrate; returns the cluster if any.

    The working folder (SQLite file, uploaded files) is a fresh temporary folder, removed at the end.
    """
    var = Path(tempfile.mkdtemp(prefix="tongban-bench-var-"))
    stack.callback(shutil.rmtree, var, True)
    os.environ["TONGBAN_VAR_DIR"] = str(var)
    os.environ.pop("TONGBAN_DATABASE_URL", None)
    pg = None
    if db == "postgres":
        pg = stack.enter_context(postgres_cluster())
        os.environ["TONGBAN_DATABASE_URL"] = pg.url
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    def close_connections() -> None:
        from django.db import connections

        connections.close_all()

    stack.callback(close_connections)
    return pg


def database() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            return f"PostgreSQL {cur.fetchone()[0]}"
    return f"SQLite {sqlite3.sqlite_version} (WAL)"


def machine(pg: Postgres | None) -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    bindir = pg.bindir if pg else find_bin()
    pg_version = "not installed"
    if bindir is not None:
        pg_version = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip()
        pg_version = pg_version.removeprefix("postgres (PostgreSQL) ")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}{mem}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, PostgreSQL {pg_version}; "
        f"load average {load}"
    )


def code_version() -> str:
    """The commit the code under test is at, and whether src/ has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes in src/" if dirty else "")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# --- the web server ---------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(workers: int, log: Path | None = None):  # type: ignore[no-untyped-def]
    """``workers`` sync gunicorn workers serving tongban on 127.0.0.1 (the environment's database);
    yields the port. Stopped (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "tongban.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--graceful-timeout",
        "5",
        "--timeout",
        "120",
    ]
    # Its own session: Ctrl-C reaches this script only, which then stops the server itself.
    proc = subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}" + (f"; see {log}" if log else ""))
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/")
                conn.getresponse().read()
                conn.close()
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


class Http:
    """One HTTP/1.1 connection per thread (reopened when the server closes it, as gunicorn's sync
    workers do after each response)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        return conn

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any, float]:
        """Status, decoded JSON (or text) and milliseconds from sending to the last byte."""
        payload = None if body is None else json.dumps(body).encode()
        hdrs = {"Accept": "application/json", **headers}
        if payload is not None:
            hdrs["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._conn()
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=hdrs)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if attempt == 2:
                    raise
                continue
            ms = (time.perf_counter() - t0) * 1000
            if response.will_close:
                conn.close()
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = raw.decode("utf-8", "replace")
            return response.status, data, ms
        raise AssertionError("unreachable")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return percentile(values, 50)
