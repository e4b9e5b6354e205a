"""Fail when the committed OpenAPI schema (docs/openapi.json) differs from what the code generates.

Regenerate with `make schema` and commit it together with the change of API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    committed = ROOT / "docs" / "openapi.json"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "openapi.json"
        env = dict(os.environ, TONGBAN_VAR_DIR=tmp)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "spectacular",
                "--format",
                "openapi-json",
                "--validate",
                "--fail-on-warn",
                "--file",
                str(out),
            ],
            check=True,
            env=env,
            cwd=ROOT,
        )
        fresh = json.loads(out.read_text())
    if not committed.exists() or json.loads(committed.read_text()) != fresh:
        print("docs/openapi.json is out of date with the code: run `make schema` and commit it", file=sys.stderr)
        return 1
    print("docs/openapi.json matches the code")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
