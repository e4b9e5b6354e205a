"""`tongban token USERNAME`: print an API bearer token for that user, for operators and scripts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.identity.auth.tokens import API_SCOPES, READ_SCOPES, issue_token


class Command(BaseCommand):
    help = (
        "Print a new API bearer token for USERNAME (use it as `Authorization: Bearer <token>`). "
        "The token acts as that user, within its scopes; only a hash of it is stored, so it is shown once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the user the token acts as")
        parser.add_argument(
            "--scopes",
            nargs="+",
            default=list(READ_SCOPES),
            metavar="SCOPE",
            help=f"what the token may do (default: {' '.join(READ_SCOPES)}); any of: {' '.join(API_SCOPES)}",
        )
        parser.add_argument("--expires-days", type=int, default=30, help="days until the token expires (default 30)")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        days: int = options["expires_days"]
        if not 1 <= days <= 366:
            raise CommandError("--expires-days must be between 1 and 366: tokens that never expire leak for good")
        # Scopes may be given space- or comma-separated: "catalog:read,cases:read".
        scopes = [s for given in options["scopes"] for s in given.replace(",", " ").split()]
        user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"no user named {username!r} on this node")
        if not user.is_active:
            raise CommandError(f"user {username!r} is not active")
        try:
            raw, token = issue_token(user, scopes, days)
        except ValueError as exc:
            raise CommandError(f"{exc}; known scopes: {' '.join(API_SCOPES)} openid profile") from exc
        self.stdout.write(raw)
        self.stderr.write(f"token for {username}, scopes {token.scope}, expires {token.expires:%Y-%m-%d %H:%M %Z}")
