"""The demo as a small federation: several regional nodes on 127.0.0.1 with one login across them.

`tongban demo` (what `make demo` runs) prepares and serves the nodes below; 信阳 is also the federation's
OpenID Connect provider. Each node is an ordinary tongban node with its own working folder, prepared by
``tongban demo --single --no-serve`` in a subprocess with that node's TONGBAN_* settings. The nodes share
nothing but the signed trust list and the login provider. Layout (``<var>`` is TONGBAN_VAR_DIR, ./var
when unset)::

    <var>/demo/operator.pem, operator.pub.pem    the federation operator's key pair (the trust anchor)
    <var>/demo/trust-body.json, trust-list.json  the trust list: the body, and the signed list
    <var>/demo/<node>/                           the node's TONGBAN_VAR_DIR: database, files, keys
        federation/node-key.pem                  its SM2 signing key
        oidc.env                                 its client id and secret at 信阳 (not on 信阳)
        node.env                                 every TONGBAN_* setting it runs with
        prepare.log, serve.log, worker.log       what its processes printed

Every step runs only when its result is missing or out of date (keys, the list, client registrations);
the data commands are idempotent themselves. So a second run is quick and changes nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.config import env, var_dir


@dataclass(frozen=True)
class DemoNode:
    node_id: str
    short: str  # what the banner calls it
    name: str  # its name on the trust list
    region: str  # GB/T 2260
    offset: int  # its port is the first port plus this


NODES: tuple[DemoNode, ...] = (
    DemoNode("xinyang", "信阳", "信阳市", "411500", 0),
    DemoNode("suzhou", "苏州", "苏州市", "320500", 1),
    DemoNode("yangpu", "上海杨浦", "上海市杨浦区", "310110", 2),
    DemoNode("huanggang", "黄冈", "黄冈市", "421100", 3),
)
BY_ID = {n.node_id: n for n in NODES}
PROVIDER = NODES[0]  # the OpenID Connect provider, and the node the others ping
PARALLEL = 2  # nodes prepared at once: loading the demo catalog keeps one core busy for ~10 s
HEALTH_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0

# Settings one may give the whole demo (TONGBAN_DEBUG=1 make demo); every other TONGBAN_* variable is
# each node's own and set here, so nothing of the caller's (a database URL, a key file) is shared.
SHARED = frozenset(
    {
        "TONGBAN_DEBUG",
        "TONGBAN_LANGUAGE",
        "TONGBAN_MAX_UPLOAD_MB",
        "TONGBAN_WARNING_DAYS",
        "TONGBAN_WORKER_INTERVAL",
        "TONGBAN_VERIFICATION_DAYS",
        "TONGBAN_TOLERANCE_DAYS",
        "TONGBAN_TOLERANCE_MARGIN_DAYS",
        "TONGBAN_FEDERATION_SKEW_SECONDS",
        "TONGBAN_FEDERATION_MAX_ATTEMPTS",
        "TONGBAN_SESSION_HOURS",
        "TONGBAN_LOGIN_MAX_FAILURES",
        "TONGBAN_LOGIN_LOCK_MINUTES",
        "TONGBAN_LOGIN_IP_MAX_FAILURES",
    }
)
CLIENT_ID, CLIENT_SECRET = "TONGBAN_OIDC_CLIENT_ID", "TONGBAN_OIDC_CLIENT_SECRET"

Say = Callable[[str], None]


def choose(names: str | None) -> tuple[DemoNode, ...]:
    """The nodes to run, in their fixed order; 信阳 always, as the others log in and report through it."""
    if not names:
        return NODES
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    unknown = sorted(wanted - BY_ID.keys())
    if unknown:
        raise CommandError(f"unknown demo node(s) {', '.join(unknown)}; the demo nodes are {', '.join(BY_ID)}")
    return tuple(n for n in NODES if n.node_id in wanted or n is PROVIDER)


@dataclass(frozen=True)
class Demo:
    """Where the demo's nodes live and how they are reached."""

    root: Path
    first_port: int
    nodes: tuple[DemoNode, ...] = NODES

    @classmethod
    def from_settings(cls, names: str | None = None, port: int | None = None) -> Demo:
        first = port if port is not None else int(env("TONGBAN_PORT"))
        return cls(root=var_dir() / "demo", first_port=first, nodes=choose(names))

    def folder(self, node: DemoNode) -> Path:
        return self.root / node.node_id

    def port(self, node: DemoNode) -> int:
        return self.first_port + node.offset

    def url(self, node: DemoNode) -> str:
        return f"http://127.0.0.1:{self.port(node)}"

    @property
    def operator_key(self) -> Path:
        return self.root / "operator.pem"

    @property
    def anchor(self) -> Path:
        return self.root / "operator.pub.pem"

    @property
    def trust_body(self) -> Path:
        return self.root / "trust-body.json"

    @property
    def trust_list(self) -> Path:
        return self.root / "trust-list.json"

    def key(self, node: DemoNode) -> Path:
        return self.folder(node) / "federation" / "node-key.pem"  # the default for its TONGBAN_VAR_DIR

    def public_key(self, node: DemoNode) -> Path:
        return self.key(node).with_suffix(".pub.pem")

    def oidc_env(self, node: DemoNode) -> Path:
        return self.folder(node) / "oidc.env"

    def settings(self, node: DemoNode) -> dict[str, str]:
        """Every TONGBAN_* setting the node runs with."""
        values = {
            "TONGBAN_VAR_DIR": str(self.folder(node)),
            "TONGBAN_NODE_ID": node.node_id,
            "TONGBAN_REGION": node.region,
            "TONGBAN_HOST": "127.0.0.1",
            "TONGBAN_PORT": str(self.port(node)),
            "TONGBAN_PUBLIC_URL": self.url(node),
            "TONGBAN_WORKERS": "1",  # one gunicorn worker per node keeps four nodes light
            "TONGBAN_TRUST_ANCHOR": str(self.anchor),
            "TONGBAN_TRUST_LIST": str(self.trust_list),
        }
        if node is PROVIDER:
            values["TONGBAN_OIDC_PROVIDER"] = "1"
        else:
            client = read_env_file(self.oidc_env(node))
            if client.get(CLIENT_ID) and client.get(CLIENT_SECRET):
                values["TONGBAN_OIDC_ISSUER"] = f"{self.url(PROVIDER)}/o"
                values[CLIENT_ID], values[CLIENT_SECRET] = client[CLIENT_ID], client[CLIENT_SECRET]
        return values

    def environ(self, node: DemoNode) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_") or k in SHARED}
        return {**inherited, **self.settings(node)}


# --- small helpers ---


def parse_env(text: str) -> dict[str, str]:
    """NAME=value lines (as `tongban oidc_client` prints them); # comments are skipped."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def read_env_file(path: Path) -> dict[str, str]:
    try:
        return parse_env(path.read_text(encoding="utf-8"))
    except OSError:
        return {}


def _write_if_changed(path: Path, text: str, private: bool = False) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if private:
        path.chmod(0o600)
    return True


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _shown(path: Path) -> str:
    """A path as a person at this shell would type it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)


def _tongban(demo: Demo, node: DemoNode, *args: str, timeout: float = 120) -> str:
    """Run `tongban ARGS` in the node's environment; its output, or CommandError with what it said."""
    done = subprocess.run(
        [sys.executable, "-m", "tongban.cli", *args],
        env=demo.environ(node),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise CommandError(f"`tongban {' '.join(args)}` on {node.node_id} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=5)


def _query(database: Path, sql: str, *params: str) -> list[tuple]:
    """A read-only look at a node's SQLite database; [] when it cannot be read (then the step is redone)."""
    if not database.exists():
        return []
    try:
        with _read_only(database) as connection:
            return list(connection.execute(sql, params))
    except sqlite3.Error:
        return []


def database(demo: Demo, node: DemoNode) -> Path:
    return demo.folder(node) / "tongban.sqlite3"


# --- preparing ---


def prepare(demo: Demo, say: Say) -> None:
    """Keys, the trust list, each node's data and the login clients; each only when missing or stale."""
    demo.root.mkdir(parents=True, exist_ok=True)
    if not demo.operator_key.exists():
        _quiet("federation", "operator-keygen", "--out", str(demo.operator_key))
        say(f"  operator key (trust anchor) {_shown(demo.anchor)}")
    for node in demo.nodes:
        _node_key(demo, node, say)
    if not trust_list_current(demo):
        _sign_trust_list(demo, say)
    say(f"  preparing {', '.join(n.short for n in demo.nodes)}, {PARALLEL} at a time …")
    lock = threading.Lock()

    def one(node: DemoNode) -> None:
        lines = _prepare_node(demo, node)
        with lock:
            for line in lines:
                say(line)

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(one, demo.nodes))  # re-raises the first failure, after the others finished
    if not trust_list_current(demo):  # the nodes' seals exist now: put them on the list, and each node takes it
        _sign_trust_list(demo, say)
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda node: _refresh(demo, node), demo.nodes))
    for node in demo.nodes:
        if node is not PROVIDER:
            _register_client(demo, node, say)
    for node in demo.nodes:
        text = "".join(f"{k}={v}\n" for k, v in demo.settings(node).items())
        _write_if_changed(demo.folder(node) / "node.env", text, private=True)  # holds the client secret


def _refresh(demo: Demo, node: DemoNode) -> None:
    """`tongban federation refresh` in the node's environment: it holds the newest list before it serves."""
    done = subprocess.run(
        [sys.executable, "-m", "tongban.cli", "federation", "refresh"],
        env=demo.environ(node),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise CommandError(f"{node.short} could not take the new trust list: {done.stderr[-2000:]}")


def _quiet(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _node_key(demo: Demo, node: DemoNode, say: Say) -> None:
    key, public = demo.key(node), demo.public_key(node)
    if not key.exists():
        _quiet("federation", "keygen", "--out", str(key))  # writes the public half beside it
        say(f"  {node.short} signing key {_shown(key)}")
    elif not public.exists():
        from tongban.federation.sm2 import PrivateKey

        public.write_text(PrivateKey.from_pem(key.read_bytes()).public_key().to_pem(), encoding="ascii")


def trust_list_current(demo: Demo) -> bool:
    """Whether the signed list names every node with its region, address and key, signed by our operator."""
    from tongban.federation.sm2 import PublicKey, SM2Error

    try:
        document = json.loads(demo.trust_list.read_text(encoding="utf-8"))
        operator = PublicKey.from_pem(demo.anchor.read_bytes()).fingerprint()
        if document["signature"]["key_id"] != operator:
            return False
        listed = {entry["node_id"]: entry for entry in document["body"]["nodes"]}
        soon = datetime.now(UTC) + timedelta(days=30)
        for node in demo.nodes:
            entry = listed.get(node.node_id)
            if entry is None or (entry["name"], entry["regions"], entry["base_url"]) != (
                node.name,
                [node.region],
                demo.url(node),
            ):
                return False
            pem = demo.public_key(node).read_text(encoding="ascii").strip()
            if not any(
                k["public_key"].strip() == pem
                and not k.get("revoked_at")
                and datetime.fromisoformat(k["valid_to"]) > soon
                for k in entry["keys"]
            ):
                return False
            if _exported_seals(demo, node) - {s["seal_id"] for s in entry.get("seals") or []}:
                return False
    except (OSError, ValueError, KeyError, TypeError, SM2Error):
        return False
    return True


def seals_file(demo: Demo, node: DemoNode) -> Path:
    return demo.folder(node) / "seals.json"  # written by the node's `tongban demo --single`


def _exported_seals(demo: Demo, node: DemoNode) -> set[str]:
    path = seals_file(demo, node)
    if not path.exists():
        return set()
    return {s["seal_id"] for s in json.loads(path.read_text(encoding="utf-8"))["seals"]}


def _sign_trust_list(demo: Demo, say: Say) -> None:
    """A new list with the nodes started now, one version above any a node holds (they refuse older ones)."""
    try:
        held = int(json.loads(demo.trust_list.read_text(encoding="utf-8"))["body"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        held = 0
    for node in demo.nodes:
        for (version,) in _query(database(demo, node), "SELECT max(version) FROM federation_trustlistversion"):
            held = max(held, version or 0)
    body = str(demo.trust_body)
    _quiet("federation", "trust-new", "--out", body, "--version", str(held))
    for node in demo.nodes:
        _quiet(
            "federation", "trust-add-node", body,
            "--node", node.node_id, "--name", node.name, "--regions", node.region,
            "--url", demo.url(node), "--key", str(demo.public_key(node)),
        )  # fmt: skip
        if seals_file(demo, node).exists():
            _quiet("federation", "trust-add-seals", body, str(seals_file(demo, node)), "--node", node.node_id)
    _quiet("federation", "trust-sign", body, "--operator-key", str(demo.operator_key), "--out", str(demo.trust_list))
    say(f"  trust list v{held + 1} with {', '.join(n.node_id for n in demo.nodes)} signed to {_shown(demo.trust_list)}")


def _prepare_node(demo: Demo, node: DemoNode) -> list[str]:
    """`tongban demo --single --no-serve` in the node's environment: migrate, demo data, logins, cases."""
    started = time.monotonic()
    folder = demo.folder(node)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "prepare.log"
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [sys.executable, "-m", "tongban.cli", "demo", "--single", "--no-serve"],
            env=demo.environ(node),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        raise CommandError(f"preparing {node.short} ({node.node_id}) failed; {_shown(log)} ends:\n{_tail(log)}")
    said = [f"  {node.short} ({node.node_id}) ready in {time.monotonic() - started:.1f} s"]
    notes = [line for line in _tail(log, 200).splitlines() if line.startswith("demo cases ")]
    return said + [f"    {line}" for line in notes]


def _registered(demo: Demo, client_id: str, callback: str) -> bool:
    rows = _query(
        database(demo, PROVIDER), "SELECT redirect_uris FROM oauth2_provider_application WHERE client_id = ?", client_id
    )
    return bool(rows) and callback in str(rows[0][0]).split()


def _register_client(demo: Demo, node: DemoNode, say: Say) -> None:
    """The node as a client of 信阳's provider; the secret is shown once, so it is kept in oidc.env."""
    callback = f"{demo.url(node)}/oidc/callback/"
    kept = read_env_file(demo.oidc_env(node))
    if kept.get(CLIENT_SECRET) and _registered(demo, kept.get(CLIENT_ID, ""), callback):
        return
    found = parse_env(_tongban(demo, PROVIDER, "oidc_client", node.node_id, callback))
    if CLIENT_SECRET not in found:  # registered before: the provider kept the secret's hash only
        if kept.get(CLIENT_ID) == found.get(CLIENT_ID) and kept.get(CLIENT_SECRET):
            found[CLIENT_SECRET] = kept[CLIENT_SECRET]
        else:
            found = parse_env(_tongban(demo, PROVIDER, "oidc_client", node.node_id, callback, "--new-secret"))
    text = f"# {node.node_id} at the OIDC provider {demo.url(PROVIDER)}/o, redirect {callback}\n"
    text += f"{CLIENT_ID}={found[CLIENT_ID]}\n{CLIENT_SECRET}={found[CLIENT_SECRET]}\n"
    _write_if_changed(demo.oidc_env(node), text, private=True)
    say(f"  {node.short} registered as a login client of {PROVIDER.short}: {_shown(demo.oidc_env(node))}")


# --- serving ---


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: a child set up with this gets SIGTERM when the demo itself is killed outright (SIGKILL),
    instead of living on. The function is looked up here, in the parent: the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    node: DemoNode
    what: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def label(self) -> str:
        return f"{self.node.short} ({self.node.node_id}) {self.what}"


@dataclass
class Stop:
    signum: int | None = None
    previous: dict[int, object] = field(default_factory=dict)

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.previous[signum] = signal.signal(signum, self._note)

    def _note(self, signum: int, frame: object) -> None:
        self.signum = signum

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def check_ports(demo: Demo) -> None:
    for node in demo.nodes:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", demo.port(node)))
            except OSError as exc:
                raise CommandError(
                    f"port {demo.port(node)} for {node.short} ({node.node_id}) is in use ({exc.strerror}); stop "
                    f"what uses it, or move the demo's ports: TONGBAN_PORT=9000 make demo (or --port 9000)"
                ) from exc


def _start(demo: Demo, node: DemoNode, what: str, command: str) -> Child:
    log = demo.folder(node) / f"{command}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tongban.cli", command],
            env=demo.environ(node),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as one (gunicorn with its worker)
            preexec_fn=_die_with_parent(),  # the demo starts its children from its one thread
        )
    return Child(node, what, process, log)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _first_dead(children: Iterable[Child]) -> Child | None:
    return next((c for c in children if c.process.poll() is not None), None)


def _wait_healthy(demo: Demo, children: list[Child], stop: Stop) -> Child | None:
    waiting = list(demo.nodes)
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while waiting and stop.signum is None:
        dead = _first_dead(children)
        if dead is not None:
            return dead
        waiting = [n for n in waiting if not _healthy(demo.url(n))]
        if waiting and time.monotonic() > deadline:
            names = ", ".join(f"{n.short} ({_shown(demo.folder(n) / 'serve.log')})" for n in waiting)
            raise CommandError(f"no answer on /healthz within {HEALTH_TIMEOUT:.0f} s from {names}")
        time.sleep(0.3)
    return None


def _ping(demo: Demo, say: Say) -> dict[DemoNode, str]:
    """Each node but 信阳 queues a node.ping to 信阳; its worker delivers it. Returns the message ids."""

    def command(node: DemoNode) -> list[str]:
        note = f"{node.short} → {PROVIDER.short}: 演示节点已启动 / demo node started"
        return [sys.executable, "-m", "tongban.cli", "federation", "ping", PROVIDER.node_id, "--note", note]

    runs = {
        node: subprocess.Popen(
            command(node),
            env=demo.environ(node),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for node in demo.nodes
        if node is not PROVIDER
    }
    queued = {}
    for node, run in runs.items():
        output, _ = run.communicate(timeout=120)
        if run.returncode == 0 and output.strip().startswith("queued "):
            queued[node] = output.split()[-1]
        else:
            say(f"  {node.short}: the node.ping to {PROVIDER.short} was not queued: {output.strip()}")
    return queued


def _delivered(demo: Demo, node: DemoNode, message_id: str) -> bool:
    rows = _query(database(demo, node), "SELECT state FROM federation_outboxmessage WHERE id = ?", message_id)
    return bool(rows) and rows[0][0] == "delivered"


def _tongban_command() -> str:
    """How the person who started the demo runs tongban: .venv/bin/tongban under `make demo`."""
    started_as = Path(sys.argv[0])
    return _shown(started_as.absolute()) if started_as.name == "tongban" else "tongban"


def banner(demo: Demo) -> str:
    from tongban.core.management.commands.demo import DEMO_USERS
    from tongban.identity.demo import DEMO_APPLICANT, DEMO_STAFF

    provider = demo.url(PROVIDER)
    others = [n for n in demo.nodes if n is not PROVIDER]
    count = {1: "one regional node", 2: "two regional nodes", 3: "three regional nodes", 4: "four regional nodes"}
    lines = [f"\ntongban demo: {count[len(demo.nodes)]} on 127.0.0.1, federated, with one login across them", ""]
    for node in demo.nodes:
        role = "  OpenID Connect provider (统一身份认证)" if node is PROVIDER else ""
        lines.append(
            f"  {_pad(node.short, 9)} {node.node_id:<10} region {node.region} {_pad(node.name, 13)}"
            f" {demo.url(node)}/{role}"
        )
    lines += [
        "  on every node: /admin/  /api/docs/  /healthz  /cases/  English under /en/",
        "",
        "  logins, the same on every node; staff roles are in that node's own region (docs/demo.md):",
    ]
    for username, password, role, _ in DEMO_USERS:
        lines.append(f"    {username:<10} {password:<24} {role}")
    for username, password, _, role in DEMO_STAFF:
        lines.append(f"    {username:<10} {password:<24} {role}, in the node's region")
    username, password, _ = DEMO_APPLICANT
    lines.append(f"    {username:<10} {password:<24} applicant (申请人), the same person (ID number) on every node")
    lines.append("")
    if others:
        lines += [
            f"  single sign-on: log in on {PROVIDER.short} ({provider}/accounts/login/), then use 统一身份认证登录 on",
            "    any other node's login page: the applicant is logged in there without a password",
            f"  federation: every node trusts {_shown(demo.trust_list)}; "
            f"{'、'.join(n.short for n in others)} sent {PROVIDER.short} a node.ping.",
            f"    env $(cat {_shown(demo.folder(others[0]) / 'node.env')}) {_tongban_command()} federation log"
            f"      (the outbox of {others[0].short})",
        ]
    lines += [
        f"  working folders and logs: {_shown(demo.root)}/<node>/ (serve.log, worker.log)",
        "  stop with Ctrl-C\n",
    ]
    return "\n".join(lines)


def serve(demo: Demo, say: Say) -> int:
    """Run a web server and a worker per node until Ctrl-C or until one of them dies; 0, or 1 then."""
    stop = Stop()
    stop.install()
    children: list[Child] = []
    try:
        for node in demo.nodes:
            children.append(_start(demo, node, "web server (tongban serve)", "serve"))
            children.append(_start(demo, node, "worker (tongban worker)", "worker"))
        dead = _wait_healthy(demo, children, stop)
        if dead is None and stop.signum is None:
            pings = _ping(demo, say)
            say(banner(demo))
            dead = _watch(demo, children, stop, pings, say)
        if dead is not None:
            say(
                f"\n{dead.label} exited with code {dead.process.returncode}; stopping the other nodes. "
                f"{_shown(dead.log)} ends:\n{_tail(dead.log)}"
            )
            return 1
        say("\nstopping the demo nodes …")
        return 0
    finally:
        stop_all(children)
        stop.restore()


def _watch(demo: Demo, children: list[Child], stop: Stop, pings: dict[DemoNode, str], say: Say) -> Child | None:
    waiting, since = dict(pings), time.monotonic()
    while stop.signum is None:
        dead = _first_dead(children)
        if dead is not None:
            return dead
        if waiting:
            for node, message_id in list(waiting.items()):
                if _delivered(demo, node, message_id):
                    say(f"  federation: {node.short} → {PROVIDER.short} node.ping delivered, signed receipt kept")
                    del waiting[node]
            if waiting and time.monotonic() - since > 60:
                say(f"  federation: pings not delivered yet from {', '.join(n.short for n in waiting)}; see worker.log")
                waiting = {}
        time.sleep(0.5)
    return None


def stop_all(children: list[Child]) -> None:
    """SIGTERM to each child's process group; SIGKILL for what is still there after STOP_TIMEOUT."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.process.wait(timeout=10)


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)  # the group is the child's own (start_new_session)


def run(names: str | None, port: int | None, serving: bool, say: Say) -> int:
    """Prepare the demo nodes and, when serving, serve them; the exit status (0 after Ctrl-C)."""
    demo = Demo.from_settings(names, port)
    if serving:
        check_ports(demo)
    started = time.monotonic()
    say(f"tongban demo: {', '.join(n.node_id for n in demo.nodes)} in {_shown(demo.root)}/")
    if names and PROVIDER.node_id not in {n.strip() for n in names.split(",")}:
        say(f"  ({PROVIDER.node_id} runs too: the others log in through it and report to it)")
    try:
        prepare(demo, say)
    except KeyboardInterrupt:  # Ctrl-C reached the preparing subprocesses too: they stopped with it
        say("\ninterrupted; run `tongban demo` again to finish preparing (what is done is kept)")
        return 130
    say(f"  prepared in {time.monotonic() - started:.1f} s")
    if not serving:
        return 0
    return serve(demo, say)
