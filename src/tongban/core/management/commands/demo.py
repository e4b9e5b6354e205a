"""`tongban demo`: prepare the demo node (migrate, demo data, demo logins) and serve it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tongban.config import env
from tongban.identity.demo import DEMO_APPLICANT, DEMO_STAFF, ensure_demo_staff

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
    help = "Migrate, load the demo catalog and logins, print the URLs, then serve the demo node."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and exit")

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo")
        ensure_demo_users()
        ensure_demo_staff()
        from tongban.cases.demo import ensure_demo_cases
        from tongban.workdays.clock import CalendarGap

        try:
            ensure_demo_cases()
        except CalendarGap as gap:
            # Deadlines are never guessed: without next year's holiday schedule the demo starts without cases.
            self.stderr.write(f"demo cases skipped: {gap.problems[0].text.zh} / {gap.problems[0].text.en}")
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
        if not options["no_serve"]:
            import subprocess
            import sys

            from tongban.cli import serve

            # The worker renders notices and applies the deadline rules while the demo runs; Ctrl-C
            # reaches it too, as it shares the terminal's process group.
            subprocess.Popen([sys.executable, "-m", "tongban.cli", "worker"])
            serve([])
