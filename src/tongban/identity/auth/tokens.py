"""API bearer tokens: django-oauth-toolkit access tokens, held to their scopes.

A call with ``Authorization: Bearer <token>`` acts as the token's user, and only within its scopes:
``catalog:read`` for reading the catalog API, ``catalog:write`` for changing it, the same for
``cases`` and ``identity``. The user's own rights still apply on top (a ``catalog:write`` token of a
user who may not edit the catalog edits nothing).

A forged, revoked or expired token is answered 401 in the API's error shape by
:class:`BearerTokenMiddleware`, before any view runs, so a bad token never falls back to an anonymous
read. Scope is checked in tongban.identity.auth.bearer.ScopedOAuth2Authentication, which every DRF view
uses: a view that sets its own ``permission_classes`` cannot forget it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.models import AccessToken, Application, set_token_value
from oauth2_provider.scopes import get_scopes_backend
from rest_framework import exceptions

from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text
from tongban.identity.auth.bearer import SCOPED_APPS, bearer_token

API_SCOPES = tuple(f"{app}:{kind}" for app in SCOPED_APPS for kind in ("read", "write"))
READ_SCOPES = tuple(s for s in API_SCOPES if s.endswith(":read"))

# The application the `tongban token` command issues its tokens under (confidential; no one holds
# its secret: it only groups the tokens, so an operator can revoke them together in the admin).
CLI_APPLICATION = "tongban-cli"

TEXTS = {
    "invalid_token": Text(
        "访问令牌无效或已被吊销，请重新申请令牌。",
        "the access token is not valid or has been revoked; get a new one",
    ),
    "token_expired": Text(
        "访问令牌已过期，请重新申请令牌。",
        "the access token has expired; get a new one",
    ),
    "token_without_user": Text(
        "此访问令牌不属于任何用户，不能调用本接口。",
        "this access token belongs to no user and cannot call this API",
    ),
    "no_token_access": Text(
        "本接口暂不接受访问令牌，请登录后使用。",
        "this API does not accept access tokens yet; use it signed in",
    ),
}


def _scope_text(missing: Iterable[str]) -> Text:
    names = " ".join(missing)
    return Text(f"访问令牌缺少所需权限范围：{names}", f"the access token lacks the scope this call needs: {names}")


def token_problem(raw: str) -> str | None:
    """Why this token cannot be used (a code of TEXTS), or None when it is a live token."""
    if not raw:
        return "invalid_token"
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    token = AccessToken.objects.select_related("user").filter(token_checksum=checksum).first()
    if token is None:
        return "invalid_token"
    if token.is_expired():
        return "token_expired"
    if token.user is not None and not token.user.is_active:
        return "invalid_token"
    return None


def _unauthorized(code: str) -> JsonResponse:
    problem = Problem(None, code, TEXTS[code])
    response = JsonResponse({"status": 401, "errors": [problem.as_dict()]}, status=401)
    # RFC 6750: say which scheme and which error, so a client knows to fetch a new token.
    error = "invalid_token"
    response["WWW-Authenticate"] = f'Bearer realm="api", error="{error}", error_description="{TEXTS[code].en}"'
    return response


class BearerTokenMiddleware:
    """401 in the API's error shape for an API call whose bearer token is forged, revoked or expired."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            raw = bearer_token(request)
            if raw is not None:
                code = token_problem(raw)
                if code is not None:
                    return _unauthorized(code)
        return self.get_response(request)


class TokenRefused(DomainError, exceptions.AuthenticationFailed):
    """A bearer token DRF could not use (the middleware answers most of these before DRF runs)."""

    status = 401


class ScopeRefused(DomainError, exceptions.PermissionDenied):
    """A valid token without the scope the call needs: 403 in the API's error shape."""

    status = 403


def refused(code: str, missing: Iterable[str] = ()) -> DomainError:
    """The exception for a token DRF cannot use: 401 for a bad token, 403 for a missing scope."""
    if code == "insufficient_scope":
        return ScopeRefused([Problem(None, code, _scope_text(missing))])
    if code in ("token_without_user", "no_token_access"):
        return ScopeRefused([Problem(None, code, TEXTS[code])])
    return TokenRefused([Problem(None, code, TEXTS[code])])


class ScopedOAuth2Scheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the bearer token (the scopes are in docs/sso.md)."""

    target_class = "tongban.identity.auth.bearer.ScopedOAuth2Authentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token (`tongban token USERNAME`) with the scope the call needs: "
            "catalog:read / catalog:write, cases:read / cases:write, identity:read / identity:write.",
        }


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    known = get_scopes_backend().get_all_scopes()
    return [s for s in scopes if s not in known]


def cli_application() -> Application:
    app = Application.objects.filter(name=CLI_APPLICATION).order_by("pk").first()
    if app is None:
        app = Application.objects.create(
            name=CLI_APPLICATION,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        )
    return app


def issue_token(user: AbstractBaseUser, scopes: Iterable[str], days: int) -> tuple[str, AccessToken]:
    """A new bearer token for this user (only a hash of it is stored): the raw token, and its record."""
    scopes = list(dict.fromkeys(scopes))
    unknown = unknown_scopes(scopes)
    if unknown:
        raise ValueError(f"unknown scopes: {' '.join(unknown)}")
    raw = secrets.token_urlsafe(32)
    token = AccessToken(
        user=user,
        application=cli_application(),
        scope=" ".join(scopes),
        expires=timezone.now() + timedelta(days=days),
    )
    set_token_value(token, raw)
    token.save()
    return raw, token
