"""Security basics around the login: CSRF page, security headers, the deploy check, the signing key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from tongban.identity.auth import keys

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_403_and_a_message_in_both_languages() -> None:
    User.objects.create_user("wang.fang", password="correct-horse-battery-9")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "wang.fang", "password": "correct-horse-battery-9"})
    assert response.status_code == 403
    page = response.content.decode()
    assert '<p class="lead" id="csrf-message">页面已过期或来源无法验证' in page
    assert "This page has expired or its origin could not be verified" in page
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_on_english_pages_the_csrf_message_leads_in_english() -> None:
    response = Client(enforce_csrf_checks=True).post("/en/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert '<p class="lead" id="csrf-message">This page has expired' in page
    assert "页面已过期" in page


@pytest.mark.django_db
def test_with_its_token_the_same_form_goes_through() -> None:
    User.objects.create_user("wang.fang", password="correct-horse-battery-9")
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        "/accounts/login/",
        {"username": "wang.fang", "password": "correct-horse-battery-9", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.django_db
def test_the_api_and_the_home_page_carry_the_policy_too(client: Client) -> None:
    assert "default-src 'self'" in client.get("/healthz")["Content-Security-Policy"]
    assert "default-src 'self'" in client.get("/api/v1/regions/")["Content-Security-Policy"]
    # Swagger UI writes inline script and style; only its page is allowed them.
    assert "'unsafe-inline'" in client.get("/api/docs/")["Content-Security-Policy"]


def clean_environ() -> dict[str, str]:
    """This process's environment without the test run's own settings (the browser tests allow async ORM)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_the_deploy_check_is_clean_in_production(tmp_path: Path) -> None:
    env = {
        **clean_environ(),
        "TONGBAN_SECURE": "1",
        "TONGBAN_SECRET_KEY": "k7#Qp2!vX9zL4mW8rT1yB6nC3hF5jD0sG_aE+uI7oP@eR2tY9wZ",
        "TONGBAN_DEBUG": "0",
        "TONGBAN_ALLOWED_HOSTS": "zwfw.xinyang.gov.cn",
        "TONGBAN_OIDC_PROVIDER": "1",
        "TONGBAN_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_the_deploy_check_notices_an_insecure_setup(tmp_path: Path) -> None:
    # The same check, without TONGBAN_SECURE: it must complain, or the test above proves nothing.
    env = {**clean_environ(), "TONGBAN_SECURE": "0", "TONGBAN_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "security.W008" in done.stderr + done.stdout  # SECURE_SSL_REDIRECT
    assert "oauth2_provider.W008" in done.stderr + done.stdout  # http redirect URIs allowed


def test_the_signing_key_is_made_once_and_readable_by_the_owner_only(tmp_path: Path) -> None:
    first = keys.private_key_pem("", tmp_path)
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    path = tmp_path / keys.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.private_key_pem("", tmp_path) == first
    assert [p.name for p in tmp_path.iterdir()] == [keys.KEY_FILE_NAME]  # no temporary file left behind


def test_a_given_key_file_is_used_as_it_is(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    given = tmp_path / "federation-sso.pem"
    given.write_text(keys.private_key_pem("", elsewhere))
    assert keys.private_key_pem(str(given), tmp_path) == given.read_text()
    assert not (tmp_path / keys.KEY_FILE_NAME).exists()
