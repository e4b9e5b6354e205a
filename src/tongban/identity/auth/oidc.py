"""Single sign-on across the federation: the claims the provider gives, and how a node maps them to its users.

Provider side (the node with TONGBAN_OIDC_PROVIDER=1): :class:`ClaimsValidator` adds to the standard
``sub`` the claims ``name``, ``preferred_username``, ``staff_number`` (工号, from the user's
StaffProfile) and ``id_number`` (the resident ID number, from the user's Person with id_type
``resident_id``), all under the ``profile`` scope.

Privacy choice: the ID number is the one identifier two regions share for a resident, so it is given
unmasked, but only on the userinfo endpoint, which a registered node's server calls over the back
channel with its access token; it is left out of the ID token, because ID tokens travel through
browsers (``id_token_hint`` in logout links) and end up in logs. It is never logged unmasked.

Relying-party side (a node with TONGBAN_OIDC_ISSUER): :class:`ClaimsBackend` finds the one local user
whose StaffProfile has the ``staff_number``, or whose Person has the resident ``id_number``. It never
creates users and never takes roles, groups or staff flags from claims: what a person may do on a
node is decided on that node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from oauth2_provider.oauth2_validators import OAuth2Validator

from tongban.identity.choices import IdType
from tongban.identity.masking import mask_id_number

log = logging.getLogger("tongban.security")

# The session key the login page reads to say why a single sign-on ended without a login.
SSO_ERROR_SESSION_KEY = "tongban_sso_error"


# --- provider -------------------------------------------------------------------------------------


def staff_number(user: AbstractBaseUser) -> str | None:
    from tongban.identity.models import StaffProfile

    return StaffProfile.objects.filter(user=user).values_list("staff_number", flat=True).first()


def resident_id_number(user: AbstractBaseUser) -> str | None:
    from tongban.identity.models import Person

    return Person.objects.filter(user=user, id_type=IdType.RESIDENT_ID).values_list("id_number", flat=True).first()


def display_name(user: AbstractBaseUser) -> str:
    from tongban.identity.models import Person, StaffProfile

    name = StaffProfile.objects.filter(user=user).values_list("name", flat=True).first()
    name = name or Person.objects.filter(user=user).values_list("name", flat=True).first()
    full = getattr(user, "get_full_name", lambda: "")()
    return name or full or user.get_username()


class ClaimsValidator(OAuth2Validator):
    """django-oauth-toolkit's validator with the federation's claims."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "staff_number": "profile", "id_number": "profile"}

    # Only in the userinfo answer (server to server), never in the ID token (see the module's note).
    USERINFO_ONLY = ("id_number",)

    def get_additional_claims(self) -> dict[str, Callable[[Any], Any]]:  # type: ignore[override]
        # Without a request argument: django-oauth-toolkit then lists these claims in its discovery
        # document, and calls each with the request when it builds a token or the userinfo answer.
        return {
            "name": lambda r: display_name(r.user),
            "preferred_username": lambda r: r.user.get_username(),
            "staff_number": lambda r: staff_number(r.user),
            "id_number": lambda r: resident_id_number(r.user),
        }

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        # A person without a staff profile has no staff_number: leave the claim out rather than null.
        claims = super().get_oidc_claims(token, token_handler, request)
        return {k: v for k, v in claims.items() if v is not None}

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> tuple[dict[str, Any], Any]:
        claims, expires = super().get_id_token_dictionary(token, token_handler, request)
        for name in self.USERINFO_ONLY:
            claims.pop(name, None)
        return claims, expires


# --- relying party --------------------------------------------------------------------------------


def describe(claims: dict[str, Any]) -> str:
    """The claims that map a user, safe for a log line."""
    parts = [f"sub={claims.get('sub', '-')}"]
    if claims.get("staff_number"):
        parts.append(f"staff_number={claims['staff_number']}")
    if claims.get("id_number"):
        parts.append(f"id_number={mask_id_number(str(claims['id_number']))}")
    return " ".join(parts)


class ClaimsBackend(OIDCAuthenticationBackend):
    """Logs in the local user the provider's claims point to (by staff number, else resident ID number)."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> AbstractBaseUser | None:  # type: ignore[override]
        # Only the SSO callback: a password login tried with ?code=…&state=… in its address must not
        # make this backend call the provider.
        if request is None or not settings.TONGBAN_OIDC_ISSUER:
            return None
        if request.path_info != reverse("oidc_authentication_callback"):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            log.error("sso failed: the provider could not be reached or refused the code: %s", exc)
            self._fail(request, "provider")
        except SuspiciousOperation as exc:
            log.warning("sso failed: the provider's answer did not verify: %s", exc)
            self._fail(request, "failed")
        return None

    @staticmethod
    def _fail(request: HttpRequest, code: str) -> None:
        request.session[SSO_ERROR_SESSION_KEY] = code

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> list[AbstractBaseUser]:  # type: ignore[override]
        from tongban.identity.models import Person, StaffProfile

        found: dict[Any, AbstractBaseUser] = {}
        number = claims.get("staff_number")
        if number:
            for profile in StaffProfile.objects.select_related("user").filter(staff_number=str(number)):
                found[profile.user.pk] = profile.user
        id_number = claims.get("id_number")
        if id_number:
            people = Person.objects.select_related("user").filter(
                id_type=IdType.RESIDENT_ID, id_number=str(id_number).upper(), user__isnull=False
            )
            for person in people:
                found[person.user.pk] = person.user
        users = [u for u in found.values() if u.is_active]
        if not users:
            log.warning("sso refused: no active local user for %s", describe(claims))
            self._fail(self.request, "no_account")
        elif len(users) > 1:
            # The staff number and the ID number point at different accounts: pick none, say so.
            log.error("sso refused: %s match %d local users", describe(claims), len(users))
            self._fail(self.request, "failed")
        return users

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any]) -> AbstractBaseUser:
        # Nothing is copied from the claims: roles, groups and staff flags stay as this node set them.
        log.info("sso succeeded: user_id=%s %s", user.pk, describe(claims))
        return user

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        # OIDC_CREATE_USER is False; this guards against the setting being turned on by mistake.
        raise SuspiciousOperation("tongban never creates users from single sign-on claims")

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
