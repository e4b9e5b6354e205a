"""Local login: the page in both languages, success and failure, lockout, rate limit, sessions, logout."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client

from tongban.identity.auth import lockout

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
LOCKED_ZH = "登录失败次数过多，该账号已暂停登录"
INVALID_ZH = "用户名或密码不正确"


@pytest.fixture(autouse=True)
def fast_hashing_and_empty_counts(settings: Any) -> None:
    # MD5 only to keep the many attempts fast; the production hashers are Django's defaults.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caches["security"].clear()


@pytest.fixture
def clerk() -> User:
    return User.objects.create_user("wang.fang", password=PASSWORD, first_name="芳", last_name="王")


def login(client: Client, username: str, password: str, ip: str = "10.0.0.1", path: str = "/accounts/login/") -> Any:
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_login_page_is_chinese_by_default_and_english_under_en(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "<h1>登录</h1>" in page
    assert '<label for="id_username">用户名</label>' in page
    assert '<label for="id_password">密码</label>' in page
    english = client.get("/en/accounts/login/").content.decode()
    assert "<h1>Log in</h1>" in english
    assert '<label for="id_username">Username</label>' in english
    assert '<label for="id_password">Password</label>' in english


def test_a_right_password_logs_in_and_the_account_page_shows_who(client: Client, clerk: User) -> None:
    response = login(client, "wang.fang", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    page = client.get("/accounts/").content.decode()
    assert "wang.fang" in page and "芳 王" in page
    assert "本节点账号密码" in page


def test_login_goes_on_to_a_local_next_page_but_never_to_another_site(client: Client, clerk: User) -> None:
    response = login(client, "wang.fang", PASSWORD, path="/accounts/login/?next=/guides/X/")
    assert response["Location"] == "/guides/X/"
    client.post("/accounts/logout/")
    response = login(client, "wang.fang", PASSWORD, path="/accounts/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client: Client, clerk: User) -> None:
    wrong = login(client, "wang.fang", "not-the-password")
    unknown = login(client, "nobody.here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert INVALID_ZH in wrong.content.decode()
    assert INVALID_ZH in unknown.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_blank_field_is_named_beside_it(client: Client) -> None:
    page = login(client, "", "").content.decode()
    assert '<ul class="errors" id="id_username_error"><li>该字段是必填项。</li></ul>' in page
    assert 'aria-describedby="id_username_error"' in page


def test_five_failures_lock_the_username_even_for_the_right_password(client: Client, clerk: User) -> None:
    for attempt in range(4):
        assert LOCKED_ZH not in login(client, "wang.fang", f"wrong-{attempt}").content.decode()
    fifth = login(client, "wang.fang", "wrong-5")
    assert fifth.status_code == 429 and LOCKED_ZH in fifth.content.decode()
    refused = login(client, "wang.fang", PASSWORD)
    assert refused.status_code == 429
    assert LOCKED_ZH in refused.content.decode() and "15 分钟" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_username_locks_with_the_same_message(client: Client, clerk: User) -> None:
    for attempt in range(5):
        login(client, "no.such.user", f"wrong-{attempt}")
    known = [login(client, "wang.fang", f"wrong-{attempt}") for attempt in range(6)][-1]
    unknown = login(client, "no.such.user", "anything-at-all")
    assert unknown.status_code == known.status_code == 429

    def message(response: Any) -> str:
        page = response.content.decode()
        start = page.index('id="login-error"')
        return page[start : page.index("</div>", start)]

    assert message(unknown) == message(known)


def test_the_lock_ends_after_fifteen_minutes(client: Client, clerk: User, monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_900_000_000.0
    monkeypatch.setattr(lockout.time, "time", lambda: now)
    for attempt in range(5):
        login(client, "wang.fang", f"wrong-{attempt}")
    assert login(client, "wang.fang", PASSWORD).status_code == 429
    now += 14 * 60
    assert login(client, "wang.fang", PASSWORD).status_code == 429
    now += 61
    assert login(client, "wang.fang", PASSWORD).status_code == 302


def test_failures_older_than_the_window_do_not_count(
    client: Client, clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_900_000_000.0
    monkeypatch.setattr(lockout.time, "time", lambda: now)
    for attempt in range(4):
        login(client, "wang.fang", f"wrong-{attempt}")
    now += 16 * 60
    assert login(client, "wang.fang", "wrong-again").status_code == 200  # 1 recent failure, not 5
    assert login(client, "wang.fang", PASSWORD).status_code == 302


def test_a_success_clears_the_failures(client: Client, clerk: User) -> None:
    for attempt in range(4):
        login(client, "wang.fang", f"wrong-{attempt}")
    assert login(client, "wang.fang", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for attempt in range(4):
        assert login(client, "wang.fang", f"wrong-{attempt}").status_code == 200
    assert login(client, "wang.fang", PASSWORD).status_code == 302


def test_one_address_is_refused_after_twenty_failures_others_are_not(client: Client, clerk: User) -> None:
    # Different usernames each time: no name locks, only the address runs out.
    for n in range(19):
        assert login(client, f"guess{n}", "wrong-password", ip="203.0.113.9").status_code == 200
    assert login(client, "guess19", "wrong-password", ip="203.0.113.9").status_code == 429  # the 20th says so
    refused = login(client, "wang.fang", PASSWORD, ip="203.0.113.9")
    assert refused.status_code == 429
    assert "来自您所在网络地址的登录尝试过多" in refused.content.decode()
    assert login(Client(), "wang.fang", PASSWORD, ip="198.51.100.7").status_code == 302


def test_behind_a_proxy_the_address_comes_from_the_proxy_s_forwarded_for(settings: Any, clerk: User) -> None:
    settings.TONGBAN_PROXY_HOPS = 1
    client = Client()
    for n in range(20):
        client.post(
            "/accounts/login/",
            {"username": f"guess{n}", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.2",  # nginx
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9",  # left part forged by the client; right by nginx
        )
    refused = client.post(
        "/accounts/login/",
        {"username": "wang.fang", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert refused.status_code == 429
    other = Client().post(
        "/accounts/login/",
        {"username": "wang.fang", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert other.status_code == 302


def test_the_admin_login_obeys_the_same_lock(client: Client) -> None:
    User.objects.create_superuser("root", password=PASSWORD)
    for attempt in range(5):
        client.post("/admin/login/", {"username": "root", "password": f"wrong-{attempt}"}, REMOTE_ADDR="10.0.0.3")
    client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.0.3")
    assert "_auth_user_id" not in client.session


def test_every_attempt_is_logged_without_the_password(
    client: Client, clerk: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tongban.security"):
        login(client, "wang.fang", "secret-wrong-1")
        login(client, "411502199001011234", "secret-wrong-2")
        login(client, "wang.fang", PASSWORD)
    lines = [r.getMessage() for r in caplog.records if r.name == "tongban.security"]
    assert any(line.startswith("login failed: username=wang.fang ip=10.0.0.1") for line in lines)
    assert any(line.startswith("login failed: username=4115**********1234") for line in lines)
    assert any(line.startswith("login succeeded: username=wang.fang") for line in lines)
    text = "\n".join(lines)
    assert "secret-wrong" not in text and PASSWORD not in text and "411502199001011234" not in text


def test_logout_needs_a_post(client: Client, clerk: User) -> None:
    client.force_login(clerk)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/accounts/").status_code == 200  # still logged in
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/logged-out/"
    assert "退出" in client.get(response["Location"]).content.decode()
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")


def test_the_session_ends_when_the_browser_closes_and_after_eight_hours(client: Client, clerk: User) -> None:
    response = login(client, "wang.fang", PASSWORD)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie.value and not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == 8 * 3600


def settings_under(tmp_path: Any, names: list[str], **env: str) -> list[str]:
    """The values of these settings in a fresh process with these TONGBAN_* variables."""
    environ = dict(os.environ, TONGBAN_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="tongban.settings", **env)
    code = f"from django.conf import settings as s; print(*[getattr(s, n) for n in {names!r}])"
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_session_length_comes_from_tongban_session_hours(tmp_path: Any) -> None:
    names = ["SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert settings_under(tmp_path, names, TONGBAN_SESSION_HOURS="2") == ["7200", "True"]


def test_each_node_names_its_own_cookies_so_nodes_on_one_host_do_not_clash(tmp_path: Any) -> None:
    names = ["SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME"]
    suzhou = settings_under(tmp_path, names, TONGBAN_NODE_ID="320500")
    xinyang = settings_under(tmp_path, names, TONGBAN_NODE_ID="411500")
    assert suzhou == ["tongban_session_320500", "tongban_csrf_320500"]
    assert xinyang == ["tongban_session_411500", "tongban_csrf_411500"]


def test_without_a_provider_the_page_offers_no_single_sign_on(client: Client) -> None:
    assert "统一身份认证登录" not in client.get("/accounts/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404


def test_with_a_provider_the_page_offers_single_sign_on_beside_the_form(client: Client, settings: Any) -> None:
    settings.TONGBAN_OIDC_ISSUER = "https://sso.example.gov.cn/o"
    settings.OIDC_RP_CLIENT_ID = "node-b"
    page = client.get("/accounts/login/?next=/guides/X/").content.decode()
    link = '<a class="button primary" id="sso-login" href="/oidc/authenticate/?next=/guides/X/">统一身份认证登录</a>'
    assert link in page
    assert 'name="password"' in page  # the local form stays


def test_without_its_cache_table_the_node_still_lets_people_log_in_and_says_why_in_the_log(
    client: Client, clerk: User, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # `tongban createcachetable` forgotten: counting stops, logins do not (refusing all would lock the node).
    settings.CACHES = {
        **settings.CACHES,
        "security": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such_table"},
    }
    with caplog.at_level(logging.ERROR, logger="tongban.security"):
        assert login(client, "wang.fang", "wrong-password").status_code == 200
        assert login(client, "wang.fang", PASSWORD).status_code == 302
    assert any("createcachetable" in r.getMessage() for r in caplog.records)
