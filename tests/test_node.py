"""The node's operational surface: health, schema, API docs, and the components the suite needs."""

import json
import shutil

import pytest
from django.db import connection

from tests.conftest import chromium_path, need
from tongban.config import SETTINGS, reference_markdown

pytestmark = pytest.mark.django_db


def test_healthz_checks_the_database(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["regions_loaded"] > 3000
    assert body["database"] == connection.vendor


def test_openapi_schema_describes_every_field(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    data = json.loads(schema)
    assert "/api/v1/search/" in data["paths"]
    missing = [
        f"{name}.{prop}"
        for name, comp in data["components"]["schemas"].items()
        for prop, spec in comp.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert missing == []


def test_api_docs_page_is_served_without_external_assets(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger" in html.lower() and "cdn" not in html.lower()


def test_settings_reference_names_every_variable():
    text = reference_markdown()
    assert all(f"`{s.name}`" in text for s in SETTINGS)


def test_postgresql_server_is_installed():
    from scripts.with_postgres import find_bin

    need("PostgreSQL server", find_bin() is not None, "apt-get install postgresql postgresql-contrib")


def test_chromium_is_installed():
    need("Chromium", chromium_path() is not None, "apt-get install chromium")


def test_cjk_fonts_are_installed():
    need("CJK fonts", shutil.which("fc-list") is not None, "apt-get install fonts-noto-cjk")
    import subprocess

    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    need("CJK fonts", bool(fonts.strip()), "apt-get install fonts-noto-cjk")


def test_each_run_uses_the_database_it_claims():
    import os

    if os.environ.get("TONGBAN_TEST_POSTGRES") != "1":
        assert connection.vendor == "sqlite"
        return
    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("SHOW server_encoding")
        assert cur.fetchone()[0] == "UTF8"
