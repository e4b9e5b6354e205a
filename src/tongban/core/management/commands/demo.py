"""`tongban demo`: prepare the demo nodes and serve them; `--single` prepares and serves one node.

Without options it runs the demo federation of tongban.core.demo_nodes: four regional nodes on
127.0.0.1, each prepared by `tongban demo --single --no-serve` in its own working folder (var/demo/<node>/).
"""

from __future__ import annotations

from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tongban.config import env, var_dir
from tongban.core.errors import DomainError
from tongban.federation.node import key_path as node_key_path
from tongban.identity.demo import DEMO_APPLICANT, DEMO_STAFF, ensure_demo_staff
from tongban.licenses.demo import ensure_demo_seals, export_seals

# Demo logins are printed at start and listed in docs/demo.md; they exist only in demo databases.
DEMO_USERS = (
    ("admin", "tongban-demo-admin", "node operator and catalog administrator (superuser)", True),
    ("catalog", "tongban-demo-catalog", "catalog administrator (事项库管理员)", False),
)


def ensure_demo_users() -> None:
    User = get_user_model()
    group, _ = Group.objects.get_or_create(name="catalog admins")
    group.permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    for username, password, _, superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            user.set_password(password)
        user.is_staff = True
        user.is_superuser = superuser
        user.save()
        if not superuser:
            user.groups.add(group)


class Command(BaseCommand):
    help = (
        "Prepare the demo nodes (信阳 xinyang, 苏州 suzhou, 上海杨浦 yangpu, 黄冈 huanggang: migrate, demo data "
        "and logins, federation keys and trust list, one login through 信阳), print their URLs and logins, "
        "and serve them on TONGBAN_PORT and the next ports. --single: this one node only."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and exit")
        parser.add_argument(
            "--single",
            action="store_true",
            help="prepare and serve this one node (TONGBAN_VAR_DIR, TONGBAN_NODE_ID, TONGBAN_REGION, TONGBAN_PORT)",
        )
        parser.add_argument(
            "--nodes",
            help="comma-separated demo nodes to run, e.g. xinyang,suzhou (xinyang always runs: it is the login "
            "provider); all four when unset",
        )
        parser.add_argument(
            "--port", type=int, help="port of the first node (信阳), the others on the next ones; TONGBAN_PORT"
        )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if options["single"]:
            if options["nodes"] or options["port"] is not None:
                raise CommandError("--nodes and --port are for the demo nodes; --single uses TONGBAN_PORT")
            self.single(serve=not options["no_serve"])
            return
        from tongban.core.demo_nodes import run

        def say(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        status = run(options["nodes"], options["port"], serving=not options["no_serve"], say=say)
        if status == 1:
            raise CommandError("the demo stopped because one of its processes exited (see above)")
        if status:
            raise SystemExit(status)

    def demo_cases(self) -> None:
        from tongban.cases.demo import ensure_demo_cases
        from tongban.workdays.clock import CalendarGap

        try:
            ensure_demo_cases()
        except CalendarGap as gap:
            # Deadlines are never guessed: without next year's holiday schedule the demo starts without cases.
            self.stderr.write(f"demo cases skipped: {gap.problems[0].text.zh} / {gap.problems[0].text.en}")
        except DomainError as refusal:
            # The region's demo catalog refused one of the cases (each case is its own commands, so the ones
            # made before stay, and a second run, seeing them, does not try again); the node still starts.
            problem = refusal.problems[0]
            self.stderr.write(f"demo cases incomplete: {problem.text.zh} / {problem.text.en}")

    def single(self, serve: bool) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo")
        call_command("load_demo_bundles", stdout=StringIO())
        ensure_demo_users()
        ensure_demo_staff()
        if not node_key_path().exists():  # the licence log's tree heads are signed with the node's key
            call_command("federation", "keygen", stdout=StringIO())
        ensure_demo_seals()
        export_seals(var_dir() / "seals.json")  # the demo's operator puts them on the trust list
        self.demo_cases()
        call_command("worker", once=True)  # render the demo cases' notices before the first page view
        url = f"http://{env('TONGBAN_HOST')}:{env('TONGBAN_PORT')}"
        self.stdout.write(
            self.style.SUCCESS(f"\ntongban demo node {settings.TONGBAN_NODE_ID} (region {settings.TONGBAN_REGION})")
        )
        self.stdout.write(f"  portal      {url}/")
        self.stdout.write(f"  English     {url}/en/")
        self.stdout.write(f"  admin       {url}/admin/")
        self.stdout.write(f"  API docs    {url}/api/docs/")
        self.stdout.write(f"  health      {url}/healthz")
        self.stdout.write("  logins (see docs/demo.md):")
        for username, password, role, _ in DEMO_USERS:
            self.stdout.write(f"    {username:<10} {password:<24} {role}")
        for username, password, _, role in DEMO_STAFF:
            self.stdout.write(f"    {username:<10} {password:<24} {role}, region {settings.TONGBAN_REGION}")
        username, password, role = DEMO_APPLICANT
        self.stdout.write(f"    {username:<10} {password:<24} {role}")
        self.stdout.write("  stop with Ctrl-C\n")
        if serve:
            import subprocess
            import sys

            from tongban.cli import serve as serve_node

            # The worker renders notices and applies the deadline rules while the demo runs; Ctrl-C
            # reaches it too, as it shares the terminal's process group.
            subprocess.Popen([sys.executable, "-m", "tongban.cli", "worker"])
            serve_node([])
