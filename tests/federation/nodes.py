"""Real federation nodes for the network tests and the throughput bench: each node a folder of its own
(TONGBAN_VAR_DIR: SQLite database, signing key, secret key, logs), its own port on 127.0.0.1, and its own
processes — `tongban serve` (gunicorn), `manage.py federation …`, `manage.py worker`, `manage.py shell`.

Nothing here imports Django: the test process starts processes, speaks HTTP and reads each node's SQLite
file read-only. Everything a node does, it does in a process of its own with its own environment.

A process costs about 1.5 s of CPU before it does anything (Django's set-up), so, to keep the tests
quick on two cores, these shortcuts are taken; none changes what is tested:

* the database is migrated once, in a template folder that then accepts the first signed trust list
  (`federation refresh`), and the file is copied to every node: a copied SQLite file is exactly what
  `migrate` and `refresh` would have left in each folder (they hold nothing node-specific). Migrating
  costs 8-15 s of CPU, most of it in one oauth2_provider migration; `refresh` runs per node later,
  in the tests that change the list;
* the template's migration runs beside the operator's work (keys, list, signature);
* several management commands that one person would type in a row run in one process, through
  ``call_command`` in `manage.py shell -c` (:func:`script`): the same command code, argument parsing
  included, without paying Django's set-up for each.

Two work-arounds, for things the project does not offer yet:

* ``tongban serve`` is given ``--no-control-socket``: gunicorn 25.1+ opens a control socket at
  ~/.gunicorn/gunicorn.ctl by default (27.0.1 here), one path for every gunicorn of the user, so two
  nodes on one machine take it from each other (each logs "Control socket listening" at the same path);
* `trust-add-node` / `trust-rotate` make a key valid from the second it is listed (there is no
  ``--valid-from``); :meth:`Federation.sign_steps` starts every listed key a day earlier before signing.
  Otherwise a message dated a few minutes back is refused ``key_expired`` (the key check comes before
  the clock check in ``open_envelope``) and the clock-skew refusal cannot be seen.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MANAGE = str(ROOT / "manage.py")
PYTHON = sys.executable
TIMEOUT = 180  # seconds any one command may take on a busy machine; generous, and never asserted

# (node id, name, region) of the nodes a federation can hold
XINYANG = ("xinyang", "信阳市", "411500")
SUZHOU = ("suzhou", "苏州市", "320500")
HUANGGANG = ("huanggang", "黄冈市", "421100")

INBOX_PATH = "/federation/v1/messages/"


def _serve_options() -> tuple[str, ...]:
    """gunicorn 25.1+ opens a control socket, at one path for every gunicorn of the user (module note)."""
    try:
        major, minor = (int(part) for part in version("gunicorn").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return ()
    return ("--no-control-socket",) if (major, minor) >= (25, 1) else ()


SERVE_OPTIONS = _serve_options()

# Run by the operator between adding keys and signing: start every key a day earlier (module note).
_BACKDATE = """
import json as _json
from datetime import UTC as _UTC, datetime as _dt, timedelta as _td
_path = {path!r}
_body = _json.loads(open(_path, encoding="utf-8").read())
_start = (_dt.now(_UTC) - _td(days=1)).replace(microsecond=0)
for _node in _body["nodes"]:
    for _key in _node["keys"]:
        _key["valid_from"] = min(_dt.fromisoformat(_key["valid_from"]), _start).isoformat()
open(_path, "w", encoding="utf-8").write(_json.dumps(_body, ensure_ascii=False, indent=1))
"""

_WAIT_FOR = """
import pathlib as _pathlib, time as _time
_deadline = _time.monotonic() + 120
while not _pathlib.Path({path!r}).exists() and _time.monotonic() < _deadline:
    _time.sleep(0.05)
"""


class NodeError(AssertionError):
    """A node's command or server did not do what it was asked; the message carries its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of one node's processes: this process's without any TONGBAN_* it carries (the
    suite's TONGBAN_DATABASE_URL would make every node share one database), plus the node's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tongban.settings",
            "PYTHONUNBUFFERED": "1",
            "TONGBAN_VAR_DIR": str(var_dir),
            "TONGBAN_WORKERS": "1",  # one gunicorn worker per node: enough, and kind to a 2-core machine
        }
    )
    env.update(extra)
    return env


def script(*steps: Sequence[str] | str) -> str:
    """Code for `manage.py shell -c`: each step a management command's argv (run with ``call_command``,
    which parses the arguments as the command line would) or a line of Python."""
    lines = ["from django.core.management import call_command"]
    for step in steps:
        lines.append(step if isinstance(step, str) else f"call_command(*{list(step)!r})")
    return "\n".join(lines)


DELIVER = ("federation", "deliver")
MAKE_DUE = (
    "from django.utils import timezone\n"
    "from tongban.federation.models import OutboxMessage\n"
    "OutboxMessage.objects.filter(state='pending').update(next_attempt_at=timezone.now())"
)


def enqueue_step(*messages: tuple[str, str, str]) -> str:
    """Python for `manage.py shell`: queue (receiver, stream, note) pings in one transaction, as a
    feature's command would (services.enqueue inside the change's transaction); prints each id."""
    return (
        "from django.db import transaction\n"
        "from tongban.federation import services\n"
        "with transaction.atomic():\n"
        f"    for receiver, stream, note in {list(messages)!r}:\n"
        "        m = services.enqueue(receiver=receiver, type='node.ping', body={'note': note}, stream=stream)\n"
        "        print('queued', m.pk)"
    )


def ids_in(out: str) -> list[str]:
    """The ids `federation ping` or :func:`enqueue_step` printed, in order."""
    return [line.split()[1] for line in out.splitlines() if line.startswith("queued ")]


def rounds_in(out: str) -> list[dict[str, int]]:
    """The counts each `federation deliver` round printed ("delivered 1, retry 0, dead 0"), in order."""
    return [
        {name: int(n) for name, n in (part.split() for part in line.split(", "))}
        for line in out.splitlines()
        if line.startswith("delivered ")
    ]


def _check(proc: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    if proc.returncode != 0:
        raise NodeError(f"{what} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [PYTHON, MANAGE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    return _check(proc, f"manage.py {' '.join(args)[:200]}") if check else proc


def _kill_group(proc: subprocess.Popen[Any], sig: int = signal.SIGKILL) -> None:
    """Signal the process group started here (the child leads its own session), then reap the leader."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def post(url: str, document: Any, timeout: float = 30) -> tuple[int, dict[str, str], Any]:
    """POST JSON; (status, headers, the answer decoded when it is JSON, else its bytes), whatever the status."""
    data = document if isinstance(document, bytes) else json.dumps(document, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, dict(exc.headers), exc.read()
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw


@dataclass
class Node:
    node_id: str
    name: str
    region: str
    folder: Path
    port: int
    anchor: Path
    trust_list: Path
    extra: dict[str, str] = field(default_factory=dict)  # more TONGBAN_* for every process of the node
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def inbox_url(self) -> str:
        return self.url + INBOX_PATH

    @property
    def env(self) -> dict[str, str]:
        return base_env(
            self.folder,
            TONGBAN_NODE_ID=self.node_id,
            TONGBAN_REGION=self.region,
            TONGBAN_HOST="127.0.0.1",
            TONGBAN_PORT=str(self.port),
            TONGBAN_TRUST_ANCHOR=str(self.anchor),
            TONGBAN_TRUST_LIST=str(self.trust_list),
            **self.extra,
        )

    @property
    def key_path(self) -> Path:
        """Where TONGBAN_FEDERATION_KEY points when unset: <var>/federation/node-key.pem."""
        return self.folder / "federation" / "node-key.pem"

    @property
    def public_key_path(self) -> Path:
        return self.folder / "federation" / "node-key.pub.pem"

    @property
    def database(self) -> Path:
        return self.folder / "tongban.sqlite3"

    # --- commands, each a process of its own in this node's environment

    def manage(self, *args: str, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return manage({**self.env, **extra_env}, *args, check=check)

    def federation(self, *args: str, **extra_env: str) -> str:
        return self.manage("federation", *args, **extra_env).stdout

    def shell(self, code: str, **extra_env: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code, **extra_env).stdout

    def run(self, *steps: Sequence[str] | str, **extra_env: str) -> str:
        """Several steps (management commands' argv, or lines of Python) in one `manage.py shell`."""
        return self.shell(script(*steps), **extra_env)

    def deliver(self, rounds: int = 1, *, make_due: bool = False, **extra_env: str) -> list[dict[str, int]]:
        """Delivery rounds at this node, the counts of each ({"delivered": 1, "retry": 0, "dead": 0}).

        One round is `manage.py federation deliver`. Several rounds, or ``make_due``, run in one process
        (`federation deliver` through call_command, as often as asked). ``make_due`` first sets the
        next attempt of every pending message to now: what the worker sees once a backoff has passed,
        without the test sleeping through a random wait of up to 2^attempts seconds."""
        if rounds == 1 and not make_due:
            return rounds_in(self.federation("deliver", **extra_env))
        steps = [MAKE_DUE] if make_due else []
        return rounds_in(self.run(*steps, *[DELIVER] * rounds, **extra_env))

    # --- processes that keep running

    def _spawn(self, args: Sequence[str], log: str, **extra_env: str) -> subprocess.Popen[bytes]:
        with open(self.folder / log, "ab") as out:
            return subprocess.Popen(
                [PYTHON, *args],
                env={**self.env, **extra_env},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: gunicorn's workers are killed with their master
            )

    def start(self, wait: bool = True) -> None:
        """`tongban serve` (migrate, then gunicorn on TONGBAN_HOST:TONGBAN_PORT)."""
        assert self.server is None, f"{self.node_id} is already serving"
        self.server = self._spawn(["-m", "tongban.cli", "serve", *SERVE_OPTIONS], "server.log")
        if wait:
            self.wait_healthy()

    def wait_healthy(self, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            if self.server is not None and self.server.poll() is not None:
                raise NodeError(f"{self.node_id}'s server exited {self.server.returncode}:\n{self.log('server.log')}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
                    return json.loads(response.read())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise NodeError(
                        f"{self.node_id} not healthy after {timeout} s:\n{self.log('server.log')}"
                    ) from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server and its gunicorn workers, as a crash would."""
        if self.server is not None:
            _kill_group(self.server)
            self.server = None

    def start_worker(self, *args: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """`manage.py worker` in the background."""
        worker = self._spawn([MANAGE, "worker", *args], "worker.log", **extra_env)
        self.workers.append(worker)
        return worker

    def stop_worker(self, worker: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        _kill_group(worker, sig)
        self.workers.remove(worker)

    def stop(self) -> None:
        for worker in list(self.workers):
            self.stop_worker(worker)
        self.kill()

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"

    # --- this node's own database, read-only, from this process

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, tuple(params)).fetchall()
        finally:
            con.close()

    def outbox(self, *ids: str) -> list[dict[str, Any]]:
        """Outgoing messages (all, or these ids), oldest first, JSON decoded and times parsed (UTC)."""
        names = [
            *("id", "receiver", "type", "stream", "body", "state", "attempts", "next_attempt_at", "last_error"),
            *("created_at", "delivered_at", "receipt"),
        ]
        sql = f"SELECT {', '.join(names)} FROM federation_outboxmessage"
        if ids:
            sql += f" WHERE id IN ({', '.join('?' for _ in ids)})"
        found = [dict(zip(names, row, strict=True)) for row in self.rows(sql + " ORDER BY created_at, id", ids)]
        for row in found:
            for name in ("body", "receipt"):
                row[name] = json.loads(row[name]) if row[name] else None
            for name in ("next_attempt_at", "created_at", "delivered_at"):
                row[name] = utc(row[name]) if row[name] else None
        return found

    def inbox(self, *ids: str) -> list[dict[str, Any]]:
        """Received and applied messages (all, or these ids), in the order they were received."""
        names = ["id", "sender", "type", "envelope", "outcome", "receipt", "received_at"]
        sql = f"SELECT {', '.join(names)} FROM federation_inboxmessage"
        if ids:
            sql += f" WHERE id IN ({', '.join('?' for _ in ids)})"
        found = [dict(zip(names, row, strict=True)) for row in self.rows(sql + " ORDER BY received_at", ids)]
        for row in found:
            row["envelope"], row["receipt"] = json.loads(row["envelope"]), json.loads(row["receipt"])
            row["received_at"] = utc(row["received_at"])
        return found

    def refused(self, message_id: str) -> list[tuple[str, str, str]]:
        """(code, claimed sender, reason) of every refusal logged for this message id."""
        return self.rows(
            "SELECT code, sender, reason FROM federation_refusedmessage WHERE message_id = ? ORDER BY id", (message_id,)
        )


def utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Federation:
    """The federation operator's side (key, list body, signed list) and the nodes."""

    folder: Path
    nodes: dict[str, Node]

    @property
    def operator_key(self) -> Path:
        return self.folder / "operator" / "operator-key.pem"

    @property
    def anchor(self) -> Path:
        """The operator's public key: every node's TONGBAN_TRUST_ANCHOR."""
        return self.folder / "operator" / "operator-key.pub.pem"

    @property
    def body(self) -> Path:
        return self.folder / "operator" / "trust-body.json"

    @property
    def signed(self) -> Path:
        """The signed trust list: every node's TONGBAN_TRUST_LIST."""
        return self.folder / "trust-list.json"

    @property
    def operator_env(self) -> dict[str, str]:
        return base_env(self.folder / "operator")

    def __getitem__(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def add_node(self, node: Node) -> list[str]:
        return [
            "federation",
            "trust-add-node",
            str(self.body),
            "--node",
            node.node_id,
            "--name",
            node.name,
            "--regions",
            node.region,
            "--url",
            node.url,
            "--key",
            str(node.public_key_path),
        ]

    def sign_steps(self, out: Path | None = None) -> list[Sequence[str] | str]:
        """Start listed keys a day earlier (module note), then `federation trust-sign` (bumps the version)."""
        sign = ["federation", "trust-sign", str(self.body), "--operator-key", str(self.operator_key)]
        return [_BACKDATE.format(path=str(self.body)), [*sign, "--out", str(out or self.signed)]]

    def operator(self, *steps: Sequence[str] | str) -> str:
        """The operator's commands, in one process (no node of their own: a folder for Django only)."""
        return manage(self.operator_env, "shell", "--no-imports", "-c", script(*steps)).stdout

    def version(self) -> int:
        return int(json.loads(self.signed.read_text(encoding="utf-8"))["body"]["version"])

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()


def build(
    folder: Path,
    specs: Sequence[tuple[str, str, str]] = (XINYANG, SUZHOU),
    *,
    members: Sequence[str] | None = None,
    start: bool = True,
    env: dict[str, str] | None = None,
) -> Federation:
    """The operator's key; every node's key (`federation keygen`) and migrated database; a trust list
    naming ``members`` (default: every node), signed, accepted by each member (`federation refresh`);
    and the members' servers started and healthy. Nodes not among the members are ready to join.
    ``env``: more settings for every node (TONGBAN_WORKERS=2, …)."""
    folder.mkdir(parents=True, exist_ok=True)
    fed = Federation(folder, {})
    for node_id, name, region in specs:
        fed.nodes[node_id] = Node(
            node_id, name, region, folder / node_id, free_port(), fed.anchor, fed.signed, dict(env or {})
        )
    member_ids = list(fed.nodes) if members is None else list(members)
    # The template folder migrates, waits for the operator's first signed list, and accepts it; its
    # database file then becomes every node's, each holding that list as `refresh` would have left it.
    template = Node("template", "", "", folder / "template", 0, fed.anchor, fed.signed)
    preparing = subprocess.Popen(
        [
            PYTHON,
            MANAGE,
            "shell",
            "--no-imports",
            "-c",
            script(["migrate", "--verbosity", "0"], _WAIT_FOR.format(path=str(fed.signed)), ["federation", "refresh"]),
        ],
        env=template.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        unpublished = fed.signed.with_suffix(".unpublished")
        fed.operator(
            ["federation", "operator-keygen", "--out", str(fed.operator_key)],
            *(["federation", "keygen", "--out", str(node.key_path)] for node in fed.nodes.values()),
            ["federation", "trust-new", "--out", str(fed.body)],
            *(fed.add_node(fed.nodes[n]) for n in member_ids),
            *fed.sign_steps(out=unpublished),
            f"import os; os.replace({str(unpublished)!r}, {str(fed.signed)!r})",  # published whole, at once
        )
        out, err = preparing.communicate(timeout=TIMEOUT)
    finally:
        if preparing.poll() is None:
            preparing.kill()
            preparing.wait()
    _check(subprocess.CompletedProcess(preparing.args, preparing.returncode, out, err), "migrate + refresh (template)")
    for node in fed.nodes.values():
        node.folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template.database, node.database)
    if start:
        try:
            for node_id in member_ids:
                fed.nodes[node_id].start(wait=False)
            for node_id in member_ids:
                fed.nodes[node_id].wait_healthy()
        except BaseException:
            fed.stop()
            raise
    return fed
