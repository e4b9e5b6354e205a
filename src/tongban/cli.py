"""The `tongban` command: serve, worker, demo, and every Django management command.

`tongban serve` runs gunicorn on TONGBAN_HOST:TONGBAN_PORT; `tongban demo` prepares the demo data and
serves it; anything else is passed to Django's management commands (`tongban migrate`,
`tongban import_catalog FILE`, …). `tongban --help` lists them.
"""

from __future__ import annotations

import os
import sys

HELP = """usage: tongban COMMAND [options]

  serve            run the web server (gunicorn) on TONGBAN_HOST:TONGBAN_PORT
  worker           run the background worker (notices, deadline warnings, art. 32 rule)
  demo             prepare and serve the demo: four federated regional nodes with one login (--single: one node)
  migrate          create or update the database tables
  load_demo        load the demo catalog into the current database
  import_catalog   import the catalog from a JSON or Excel file
  export_catalog   export the catalog to a JSON or Excel file
  load_regions     refresh the GB/T 2260 division list from the shipped data
  token            print an API bearer token for a user (tongban token USERNAME)
  oidc_client      register a node as a client of this node's OIDC provider
  load_calendar    load a year's holiday schedule into the working-day calendar
  lifecycle_diagram  write the case lifecycle table and diagram to docs/case-lifecycle.md
  verify_events    check the hash chain of case events (one case or all)
  export_cases     export cases in the national exchange shape (JSON lines)
  verify-license   verify an e-licence offline (JSON, PDF or VC) against the trust list
  seal             a department's electronic seals: create, list, rotate, revoke, export
  federation       keys, the trust list, messages between nodes (see docs/federation.md)
  load_demo_bundles  load the demo's 一件事 bundles (after load_demo)
  bundle_savings   what each bundle saves the applicant, fields and materials (--write docs/bundles.md)
  help             every other command (Django's management commands)

Settings come from TONGBAN_* environment variables; see docs/operations.md.
"""


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def serve(argv: list[str]) -> int:
    from tongban.config import env, var_dir

    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    bind = f"{env('TONGBAN_HOST')}:{env('TONGBAN_PORT')}"
    workers = os.environ.get("TONGBAN_WORKERS", "2")
    args = [
        "gunicorn",
        "tongban.wsgi:application",
        "--bind",
        bind,
        "--workers",
        workers,
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
        # gunicorn's control socket defaults to one path per user: give each node its own, or nodes on
        # one machine (the demo) would take it from each other.
        "--control-socket",
        str(var_dir() / "gunicorn.ctl"),
        *argv,
    ]
    os.execvp(sys.executable, [sys.executable, "-m", *args])
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(HELP)
        return 0
    # Django's command names are module names, so they cannot hold a dash; `tongban verify-license` is
    # the spelling people type (and the public contract), so a dash is read as an underscore.
    command, rest = argv[0].replace("-", "_"), argv[1:]
    if command == "help" and rest:
        rest = [rest[0].replace("-", "_"), *rest[1:]]
    if command == "serve":
        if rest[:1] in (["-h"], ["--help"]):
            print(
                "usage: tongban serve [gunicorn options]\n\nServes this node on TONGBAN_HOST:TONGBAN_PORT "
                "(default 127.0.0.1:8000) after applying migrations."
            )
            return 0
        return serve(rest)
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tongban", command, *rest])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
