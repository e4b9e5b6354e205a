"""The demo as a federation: `tongban demo --nodes xinyang,suzhou` prepares two nodes, serves them,
federated and with one login across them, and stops every process it started.

The demo runs as a person runs it, as one `tongban demo` process, here in a temporary working folder
(TONGBAN_VAR_DIR) and on free ports (--port). Preparing takes a while (the demo catalog, twice), so the
module prepares once and its tests share the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import chromium_path, need
from tests.e2e.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

NODES = "xinyang,suzhou"
PASSWORD = "tongban-demo-applicant"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    path = chromium_path()
    need("Chromium", path is not None, "apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": path, "headless": True, "args": CHROMIUM_ARGS}


def free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> int:
    """A first port such that it and the next count - 1 are free."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = int(s.getsockname()[1])
        if first + count < 65536 and all(free(first + i) for i in range(count)):
            return first
    raise RuntimeError("no run of free ports found")


def processes_of(var: Path) -> list[int]:
    """Every process running with this working folder (the demo itself, or under its demo/ folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        mine = f"TONGBAN_VAR_DIR={var}".encode()
        if any(e == mine or e.startswith(mine + b"/") for e in environ):
            found.append(int(entry.name))
    return found


def query(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=5) as connection:
        return list(connection.execute(sql))


@dataclass
class Demo:
    var: Path
    port: int
    nodes: str = NODES
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.var / "demo-output.txt"

    def url(self, node: str) -> str:
        return f"http://127.0.0.1:{self.port + ['xinyang', 'suzhou'].index(node)}"

    def folder(self, node: str) -> Path:
        return self.var / "demo" / node

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
        return {**base, "TONGBAN_VAR_DIR": str(self.var)}

    def command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "tongban.cli", "demo", "--nodes", self.nodes, "--port", str(self.port), *extra]

    def prepare(self) -> str:
        done = subprocess.run(
            self.command("--no-serve"), env=self.env(), capture_output=True, text=True, timeout=900, cwd=self.var
        )
        assert done.returncode == 0, f"tongban demo --no-serve failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(), env=self.env(), stdout=out, stderr=subprocess.STDOUT, cwd=self.var
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 300) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None:
                pytest.fail(f"tongban demo exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"tongban demo did not print {text!r} within {timeout} s:\n{self.output()}")
            time.sleep(0.3)

    def stop(self, signum: int = signal.SIGTERM) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def leftovers(self) -> list[int]:
        """The demo's processes still running a moment after it stopped; killed, and returned."""
        deadline = time.monotonic() + 5
        while (found := processes_of(self.var)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return found


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, str]]:
    demo = Demo(tmp_path_factory.mktemp("demo-var"), free_ports(2))
    output = demo.prepare()
    yield demo, output
    assert demo.leftovers() == [], "processes of the demo were left running"


@pytest.fixture(scope="module")
def running(prepared: tuple[Demo, str]) -> Iterator[Demo]:
    demo, _ = prepared
    demo.start()
    try:
        demo.wait_for("stop with Ctrl-C")
        yield demo
    finally:
        demo.stop()
        assert demo.leftovers() == [], "processes of the demo were left running"


def snapshot(demo: Demo) -> dict[str, Any]:
    """What a second preparation must not change: keys, the list, the clients, the data, the files."""
    root = demo.var / "demo"
    files = {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith((".log", ".sqlite3", ".sqlite3-wal", ".sqlite3-shm"))
    }
    counts = {}
    for node in ("xinyang", "suzhou"):
        db = demo.folder(node) / "tongban.sqlite3"
        for table in ("auth_user", "identity_person", "cases_case", "catalog_itemimplementation"):
            counts[f"{node}.{table}"] = query(db, f"SELECT count(*) FROM {table}")[0][0]
        counts[f"{node}.trust lists"] = query(db, "SELECT max(version) FROM federation_trustlistversion")[0][0]
    counts["clients"] = query(
        demo.folder("xinyang") / "tongban.sqlite3", "SELECT name, client_id FROM oauth2_provider_application"
    )
    return {"files": files, "counts": counts}


def test_first_preparation_makes_keys_a_signed_trust_list_and_a_login_client(prepared: tuple[Demo, str]) -> None:
    demo, output = prepared
    root = demo.var / "demo"
    for node in ("xinyang", "suzhou"):
        assert (demo.folder(node) / "tongban.sqlite3").exists()
        assert (demo.folder(node) / "federation" / "node-key.pem").stat().st_mode & 0o077 == 0
    assert (root / "operator.pub.pem").exists() and (root / "trust-list.json").exists()
    assert "trust list v1 with xinyang, suzhou signed" in output
    client = (demo.folder("suzhou") / "oidc.env").read_text()
    assert "TONGBAN_OIDC_CLIENT_ID=" in client and "TONGBAN_OIDC_CLIENT_SECRET=" in client
    assert not (demo.folder("xinyang") / "oidc.env").exists()  # 信阳 is the provider
    settings = (demo.folder("suzhou") / "node.env").read_text()
    assert f"TONGBAN_OIDC_ISSUER={demo.url('xinyang')}/o\n" in settings
    assert f"TONGBAN_TRUST_LIST={root / 'trust-list.json'}\n" in settings
    assert "TONGBAN_REGION=320500\n" in settings
    # The same applicant, with the same ID number, on both nodes: what single sign-on maps by.
    applicant = (
        "SELECT p.id_number FROM identity_person p JOIN auth_user u ON p.user_id = u.id AND u.username = 'applicant'"
    )
    people = [query(demo.folder(n) / "tongban.sqlite3", applicant) for n in ("xinyang", "suzhou")]
    assert people[0] == people[1] and len(people[0]) == 1


def test_a_second_preparation_changes_nothing(prepared: tuple[Demo, str]) -> None:
    demo, _ = prepared
    before = snapshot(demo)
    output = demo.prepare()
    assert snapshot(demo) == before
    for step in ("signing key", "operator key", "trust list v", "registered as a login client"):
        assert step not in output


def test_both_nodes_answer_and_suzhou_s_ping_reached_xinyang(running: Demo) -> None:
    for node in ("xinyang", "suzhou"):
        with urllib.request.urlopen(f"{running.url(node)}/healthz", timeout=5) as response:
            assert response.status == 200
    deadline = time.monotonic() + 60
    inbox: list[tuple] = []
    while not inbox and time.monotonic() < deadline:
        inbox = query(
            running.folder("xinyang") / "tongban.sqlite3",
            "SELECT sender, type, outcome FROM federation_inboxmessage WHERE sender = 'suzhou'",
        )
        time.sleep(0.5)
    assert inbox and inbox[0][:2] == ("suzhou", "node.ping")
    running.wait_for("苏州 → 信阳 node.ping delivered", timeout=30)
    sent = query(
        running.folder("suzhou") / "tongban.sqlite3",
        "SELECT receiver, state, receipt IS NOT NULL FROM federation_outboxmessage WHERE type = 'node.ping'",
    )
    assert ("xinyang", "delivered", 1) in sent


def test_logged_in_on_xinyang_one_click_logs_the_applicant_in_on_suzhou(running: Demo, browser: Browser) -> None:
    context = browser.new_context(locale="zh-CN")
    page: Page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        xinyang, suzhou = running.url("xinyang"), running.url("suzhou")
        page.goto(f"{xinyang}/accounts/login/")
        page.get_by_label("用户名").fill("applicant")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(f"{xinyang}/accounts/")

        page.goto(f"{suzhou}/accounts/login/")
        page.get_by_role("link", name="统一身份认证登录").click()
        # No password typed on 苏州: 信阳 vouched for her, 苏州 found its own applicant by the ID number.
        expect(page).to_have_url(f"{suzhou}/accounts/")
        signed_in = page.locator("#signed-in-as")
        expect(signed_in).to_contain_text("applicant")
        expect(signed_in).to_contain_text("统一身份认证")
        expect(signed_in).to_contain_text("suzhou")
    finally:
        context.close()


def test_ctrl_c_stops_every_process_of_the_demo(running: Demo) -> None:
    assert len(processes_of(running.var)) >= 1 + 2 * 3  # the demo; per node gunicorn, its worker, tongban worker
    assert running.stop(signal.SIGINT) == 0
    assert "stopping the demo nodes" in running.output()
    assert running.leftovers() == []


def test_when_one_process_dies_the_demo_says_which_and_stops_the_rest(running: Demo) -> None:
    running.stop()  # the demo of the tests above, if still running: the ports are this one's
    demo = Demo(running.var, running.port, nodes="xinyang")  # one node is enough, and quicker
    demo.log = running.var / "demo-output-2.txt"
    demo.start()
    try:
        demo.wait_for("stop with Ctrl-C")
        workers = [
            pid
            for pid in processes_of(demo.var)
            if b"TONGBAN_NODE_ID=xinyang" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            and b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        ]
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
        assert demo.process is not None
        assert demo.process.wait(timeout=60) != 0
        assert "信阳 (xinyang) worker (tongban worker) exited with code -9; stopping the other nodes" in demo.output()
    finally:
        demo.stop()
        assert demo.leftovers() == []
