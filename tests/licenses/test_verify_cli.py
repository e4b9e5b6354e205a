"""`tongban verify-license`: a licence checked offline, in a process with no node, no database and no
network — only the file and the trust list. Exit 0 valid, 1 not valid, 2 unusable input."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfWriter

from tongban.federation import trust
from tongban.federation.sm2 import PrivateKey
from tongban.licenses import services, vc

if TYPE_CHECKING:
    from tests.licenses.api_fixtures import World

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.licenses.api_fixtures"]

# Any use of the database would try this address, where nothing listens, and fail the command.
NO_DATABASE = "postgres://nobody@127.0.0.1:9/none"


def tongban() -> list[str]:
    script = Path(sys.executable).with_name("tongban")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tongban.cli"]


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The command in a fresh process whose settings name an empty working folder and an unreachable
    database, and none of this node's keys or lists."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGBAN_", "DJANGO_"))}
    env.update(TONGBAN_VAR_DIR=str(home), TONGBAN_DATABASE_URL=NO_DATABASE)
    return subprocess.run(
        [*tongban(), "verify-license", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def files(world: World, tmp_path: Path) -> dict[str, Path]:
    doc = services.with_proof(world.license)
    folder = tmp_path / "given"
    folder.mkdir()
    listed, anchor = world.write_trust(folder)
    tampered = copy.deepcopy(doc)
    tampered["license"]["data"]["permit_scope"] = "全部商品销售"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("license.json", json.dumps(doc, ensure_ascii=False).encode())
    pdf = io.BytesIO()
    writer.write(pdf)
    stranger = PrivateKey.generate()
    out = {
        "doc": json.dumps(doc, ensure_ascii=False),
        "tampered": json.dumps(tampered, ensure_ascii=False),
        "vc": json.dumps(vc.to_vc(doc, base_url="http://xinyang.test"), ensure_ascii=False),
        "garbage": "\x00\x01 not a licence at all",
        "foreign-trust": json.dumps(trust.sign(world.trust.document["body"], stranger)),
    }
    paths = {name: folder / f"{name}.json" for name in out}
    for name, text in out.items():
        paths[name].write_text(text, encoding="utf-8")
    paths["pdf"] = folder / "license.pdf"
    paths["pdf"].write_bytes(pdf.getvalue())
    paths["trust"], paths["anchor"] = listed, anchor
    home = tmp_path / "empty-home"
    home.mkdir()
    paths["home"] = home
    return paths


def test_a_genuine_licence_is_valid_offline_with_no_database(files: dict[str, Path]):
    done = run(str(files["doc"]), "--trust", str(files["trust"]), "--anchor", str(files["anchor"]), home=files["home"])
    assert done.returncode == 0, done.stderr
    assert "✓ signature" in done.stdout and "✓ log" in done.stdout
    assert "— status" in done.stdout  # offline the status is not known, and says so
    assert "结论：证照有效" in done.stdout and "the licence is valid" in done.stdout
    assert "warning" not in done.stderr
    assert not list(files["home"].glob("*.sqlite3*"))  # no database was made either


@pytest.mark.parametrize("kind", ["pdf", "vc"])
def test_the_pdf_and_the_credential_verify_as_the_document_does(files: dict[str, Path], kind: str):
    done = run(str(files[kind]), "--trust", str(files["trust"]), "--anchor", str(files["anchor"]), home=files["home"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_an_anchor_it_warns_that_the_list_was_not_checked(files: dict[str, Path]):
    done = run(str(files["doc"]), "--trust", str(files["trust"]), "--json", home=files["home"])
    assert done.returncode == 0, done.stderr
    assert "信任列表的签名未经核验" in done.stderr and "was not checked" in done.stderr
    report = json.loads(done.stdout)
    assert (report["valid"], report["trust_list_checked"]) == (True, False)
    assert [c["check"] for c in report["checks"]][:2] == ["identifier", "content"]


def test_a_tampered_licence_is_invalid(files: dict[str, Path]):
    done = run(
        str(files["tampered"]), "--trust", str(files["trust"]), "--anchor", str(files["anchor"]), home=files["home"]
    )
    assert done.returncode == 1
    assert "✗ content" in done.stdout and "内容已被改动" in done.stdout
    assert "the licence is NOT valid (content)" in done.stdout


def test_garbage_and_an_untrusted_list_are_unusable_input(files: dict[str, Path]):
    garbage = run(str(files["garbage"]), "--trust", str(files["trust"]), home=files["home"])
    assert garbage.returncode == 2
    assert "不是" in garbage.stderr and "neither a JSON licence document nor a PDF" in garbage.stderr
    foreign = run(
        str(files["doc"]), "--trust", str(files["foreign-trust"]), "--anchor", str(files["anchor"]), home=files["home"]
    )
    assert foreign.returncode == 2
    assert "not signed by the operator" in foreign.stderr
    missing = run(str(files["home"] / "nothing.json"), "--trust", str(files["trust"]), home=files["home"])
    assert missing.returncode == 2 and "cannot read the licence file" in missing.stderr


def test_help_explains_the_anchor(files: dict[str, Path]):
    done = run("--help", home=files["home"])
    assert done.returncode == 0
    assert "tongban verify-license" in done.stdout and "--anchor" in done.stdout
