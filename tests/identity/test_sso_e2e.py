"""Single sign-on between two real nodes, in Chromium.

Node A (the federation's OIDC provider) and node B (logs in through A) run as separate `tongban serve`
processes on free 127.0.0.1 ports, each with its own working folder and database, prepared with the
`tongban` commands an operator would use. The same person has an account on each node, linked only by
her staff number; B's account has no usable password at all.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
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

PASSWORD = "correct-horse-battery-9"
STAFF_NUMBER = "XY-0042"

# On A: the login li.na, with a password. On B: another username, the same staff number, no password.
USER_ON_A = f"""
from django.contrib.auth.models import User
from tongban.identity.models import StaffProfile
user = User.objects.create_user("li.na", password="{PASSWORD}", first_name="娜", last_name="李")
StaffProfile.objects.create(user=user, staff_number="{STAFF_NUMBER}", name="李娜")
"""
USER_ON_B = f"""
from django.contrib.auth.models import User
from tongban.identity.models import StaffProfile
user = User.objects.create_user("xy.lina", first_name="娜", last_name="李")
assert not user.has_usable_password()
StaffProfile.objects.create(user=user, staff_number="{STAFF_NUMBER}", name="李娜")
"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    path = chromium_path()
    need("Chromium", path is not None, "apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": path, "headless": True, "args": CHROMIUM_ARGS}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    name: str
    var: Path
    port: int = field(default_factory=free_port)
    extra: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.var / "serve.log"

    def env(self) -> dict[str, str]:
        # Nothing of the test run's own TONGBAN_* settings leaks into a node.
        base = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
        return {
            **base,
            "TONGBAN_VAR_DIR": str(self.var),
            "TONGBAN_NODE_ID": self.name,
            "TONGBAN_HOST": "127.0.0.1",
            "TONGBAN_PORT": str(self.port),
            "TONGBAN_WORKERS": "2",
            **self.extra,
        }

    def tongban(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tongban.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"tongban {' '.join(args)} on {self.name} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tongban.cli", "serve"],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn's workers stop with it
            )

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"node {self.name} exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        pytest.fail(f"node {self.name} did not answer /healthz in {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    need("Chromium", chromium_path() is not None, "apt-get install chromium")
    a = Node("sso-a", tmp_path_factory.mktemp("node-a"), extra={"TONGBAN_OIDC_PROVIDER": "1"})
    b = Node("sso-b", tmp_path_factory.mktemp("node-b"))
    try:
        a.tongban("migrate", "-v0")
        a.tongban("createcachetable")
        # B starts from the same freshly migrated, still empty database: saves a second migration.
        shutil.copy(a.var / "tongban.sqlite3", b.var / "tongban.sqlite3")
        a.tongban("shell", "-c", USER_ON_A)
        registered = dict(
            line.split("=", 1) for line in a.tongban("oidc_client", b.name, f"{b.url}/oidc/callback/").split()
        )
        b.extra = {
            "TONGBAN_OIDC_ISSUER": f"{a.url}/o",
            "TONGBAN_OIDC_CLIENT_ID": registered["TONGBAN_OIDC_CLIENT_ID"],
            "TONGBAN_OIDC_CLIENT_SECRET": registered["TONGBAN_OIDC_CLIENT_SECRET"],
        }
        b.tongban("shell", "-c", USER_ON_B)
        a.start()
        b.start()
        a.wait_healthy()
        b.wait_healthy()
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile per test (no cookies), that records Content-Security-Policy complaints."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            page.csp_errors.append(message.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


def log_in_with_password(page: Page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()


def test_logged_in_on_the_provider_a_click_logs_in_on_the_other_node(nodes: tuple[Node, Node], page: Page) -> None:
    a, b = nodes
    page.goto(f"{a.url}/accounts/login/")
    log_in_with_password(page, "li.na")
    expect(page).to_have_url(f"{a.url}/accounts/")
    expect(page.locator("#signed-in-as")).to_contain_text("li.na")

    page.goto(f"{b.url}/accounts/login/")
    page.get_by_role("link", name="统一身份认证登录").click()

    # No password typed on B: A vouched for her, B found its own account by the staff number.
    expect(page).to_have_url(f"{b.url}/accounts/")
    signed_in = page.locator("#signed-in-as")
    expect(signed_in).to_contain_text("xy.lina")
    expect(signed_in).to_contain_text("统一身份认证")
    expect(signed_in).to_contain_text("sso-b")
    assert page.csp_errors == []  # type: ignore[attr-defined]


def test_not_yet_logged_in_the_provider_asks_for_the_password_then_returns_to_the_node(
    nodes: tuple[Node, Node], page: Page
) -> None:
    a, b = nodes
    page.goto(f"{b.url}/accounts/login/")
    page.get_by_role("link", name="统一身份认证登录").click()
    page.wait_for_url(f"{a.url}/accounts/login/?next=**")
    assert page.url.startswith(f"{a.url}/accounts/login/?next=/o/authorize/")
    log_in_with_password(page, "li.na")
    expect(page).to_have_url(f"{b.url}/accounts/")
    expect(page.locator("#signed-in-as")).to_contain_text("xy.lina")
    # Logging out of B is B's business: A's login stays.
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(f"{b.url}/accounts/logged-out/")
    page.goto(f"{a.url}/accounts/")
    expect(page.locator("#signed-in-as")).to_contain_text("li.na")
    assert page.csp_errors == []  # type: ignore[attr-defined]
