"""The DRF authentication class for bearer tokens, held to the token's scopes.

Kept apart from tongban.identity.auth.tokens on purpose: DRF imports the classes named in
DEFAULT_AUTHENTICATION_CLASSES while ``rest_framework.views`` is itself being imported, so this module
must not import anything that imports ``rest_framework.views`` (tongban.core.errors does). The
refusals are built by tokens.py, imported when a request needs one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

# The apps whose API a token may call, each with a ":read" and a ":write" scope.
SCOPED_APPS = ("catalog", "cases", "identity")


def bearer_token(request: HttpRequest | Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header ("" when the header names none), else None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def required_scopes(view: Any, method: str) -> list[str] | None:
    """The scopes a token needs to call this view with this method; None when no token may call it.

    A view may name them (``required_scopes = ["cases:write"]``, django-oauth-toolkit's convention);
    otherwise they follow the app the view lives in: reading needs ``<app>:read``, anything else
    ``<app>:write``. Views outside tongban (the schema) need no scope; an app without scopes takes no
    tokens until it gets some (failing closed).
    """
    declared = getattr(view, "required_scopes", None)
    if declared is not None:
        return list(declared)
    module = type(view).__module__ if view is not None else ""
    parts = module.split(".")
    if parts[0] != "tongban" or len(parts) < 2:
        return []
    app = parts[1]
    if app not in SCOPED_APPS:
        return None
    return [f"{app}:{'read' if method in SAFE_METHODS else 'write'}"]


class ScopedOAuth2Authentication(OAuth2Authentication):
    """django-oauth-toolkit's bearer authentication, from the Authorization header only, held to scopes."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        from tongban.identity.auth.tokens import refused

        if bearer_token(request) is None:
            # Tokens in a form body or query string are not looked at: they end up in logs.
            return None
        result = super().authenticate(request)
        if result is None:
            raise refused("invalid_token")
        user, token = result
        if user is None:
            raise refused("token_without_user")
        if not user.is_active:
            raise refused("invalid_token")
        view = (request.parser_context or {}).get("view")
        needed = required_scopes(view, request.method or "GET")
        if needed is None:
            raise refused("no_token_access")
        granted = set(token.scope.split())
        missing = [scope for scope in needed if scope not in granted]
        if missing:
            raise refused("insufficient_scope", missing)
        return user, token
