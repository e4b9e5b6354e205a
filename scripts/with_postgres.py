"""Run a command against a throwaway PostgreSQL cluster, then remove it.

    python scripts/with_postgres.py pytest -q

Creates a UTF-8 (C.UTF-8) cluster in a temporary folder, listening on 127.0.0.1 and a free port,
exports TONGBAN_DATABASE_URL for the command, and stops and deletes the cluster afterwards. The server
refuses to run as root, so as root the cluster runs as the `postgres` user.

When no PostgreSQL server is installed it says so and exits 0 (skipped), or 1 when
TONGBAN_REQUIRE_ALL=1.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

HOW = "apt-get install postgresql postgresql-contrib (Debian) or set TONGBAN_PG_BIN to its bin folder"


def find_bin() -> Path | None:
    candidates = [os.environ.get("TONGBAN_PG_BIN", "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(out)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    bindir = find_bin()
    if bindir is None:
        message = f"PostgreSQL server not found: the PostgreSQL test run is skipped. Install it: {HOW}"
        if os.environ.get("TONGBAN_REQUIRE_ALL") == "1":
            print(f"TONGBAN_REQUIRE_ALL=1 and {message}", file=sys.stderr)
            return 1
        print(f"SKIPPED: {message}", file=sys.stderr)
        return 0
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    tmp = Path(tempfile.mkdtemp(prefix="tongban-pg-"))
    data = tmp / "data"
    data.mkdir()
    if as_root:
        shutil.chown(tmp, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    log = tmp / "server.log"
    try:
        subprocess.run(
            [
                *run_as,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        env = dict(
            os.environ, TONGBAN_DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/postgres", TONGBAN_TEST_POSTGRES="1"
        )
        print(f"PostgreSQL {bindir.parent.name} on 127.0.0.1:{port} (throwaway cluster in {tmp})", file=sys.stderr)
        return subprocess.run(argv, env=env, check=False).returncode
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
