"""`tongban oidc_client NAME REDIRECT_URI`: register a node as a client of this node's OIDC provider."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application


class Command(BaseCommand):
    help = (
        "Register (or update) the node NAME as a client of this node's OpenID Connect provider and print "
        "its client id and secret, for that node's TONGBAN_OIDC_CLIENT_ID and TONGBAN_OIDC_CLIENT_SECRET. "
        "REDIRECT_URI is the node's callback, e.g. https://node.example/oidc/callback/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the node's name, e.g. its TONGBAN_NODE_ID")
        parser.add_argument("redirect_uri", nargs="+", help="the node's callback address(es), exactly")
        parser.add_argument(
            "--new-secret", action="store_true", help="for a node already registered: issue a new secret"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.OAUTH2_PROVIDER.get("OIDC_ENABLED"):
            raise CommandError("this node is not the federation's OIDC provider: set TONGBAN_OIDC_PROVIDER=1")
        name: str = options["name"]
        app = Application.objects.filter(name=name).order_by("pk").first()
        created = app is None
        secret = generate_client_secret() if created or options["new_secret"] else None
        if app is None:
            app = Application(name=name)
        app.client_type = Application.CLIENT_CONFIDENTIAL
        app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        app.algorithm = Application.RS256_ALGORITHM
        app.redirect_uris = " ".join(options["redirect_uri"])
        # Nodes of the federation are first-party: no consent page between the provider and the node.
        app.skip_authorization = True
        if secret is not None:
            app.client_secret = secret  # hashed on save; printed once below
        try:
            app.full_clean(exclude=["client_secret"] if secret is None else None)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        app.save()
        self.stdout.write(f"TONGBAN_OIDC_CLIENT_ID={app.client_id}")
        if secret is not None:
            self.stdout.write(f"TONGBAN_OIDC_CLIENT_SECRET={secret}")
        else:
            self.stderr.write("secret unchanged (only a hash is kept); use --new-secret to issue a new one")
        self.stderr.write(f"{'registered' if created else 'updated'} client {name} -> {app.redirect_uris}")
