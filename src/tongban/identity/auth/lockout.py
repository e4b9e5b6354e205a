"""Failed-login counting: a username locks after N failures, an address after M, and every attempt is logged.

Counts live in the "security" cache (the database, shared by every web process). They are kept per
username *as typed*, whether or not such a user exists, so the lockout and its message are the same
for unknown names: the answer never tells an attacker which usernames are real.

Attempts are logged to the ``tongban.security`` logger; passwords never are, and a username that looks
like an ID number is masked (rule 8 of the architecture).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import HttpRequest

from tongban.core.messages import Text
from tongban.identity.masking import mask_id_number

log = logging.getLogger("tongban.security")

_ID_LIKE = re.compile(r"^\d{6}(\d{8})\d{3}[\dXx]$|^\d{15}$")


def mask(username: str) -> str:
    """A username safe for logs: one that looks like a resident ID number is masked like one."""
    value = username.strip()[:150]
    return mask_id_number(value) if _ID_LIKE.match(value) else value


def client_ip(request: HttpRequest | None) -> str:
    """The caller's address; behind TONGBAN_PROXY_HOPS trusted proxies, read from X-Forwarded-For.

    Only the entries our own proxies appended are trusted: a client can put anything at the left.
    """
    if request is None:
        return "-"
    remote = request.META.get("REMOTE_ADDR") or "-"
    hops = settings.TONGBAN_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-hops] if len(forwarded) >= hops else remote


@dataclass(frozen=True)
class Refusal:
    code: str  # "locked" or "rate_limited"
    text: Text


def _locked_text(minutes: int) -> Text:
    return Text(
        f"登录失败次数过多，该账号已暂停登录，请 {minutes} 分钟后再试。如忘记密码，请联系本节点管理员。",
        f"Too many failed logins: this account is paused; try again in {minutes} minutes. "
        "If you forgot your password, ask this node's administrator.",
    )


def _rate_text(minutes: int) -> Text:
    return Text(
        f"来自您所在网络地址的登录尝试过多，请 {minutes} 分钟后再试。",
        f"Too many login attempts from your network address; try again in {minutes} minutes.",
    )


def _cache() -> Any:
    return caches["security"]


def _key(kind: str, value: str) -> str:
    # Hashed: the cache table then holds no usernames (which may be ID numbers) or addresses in clear.
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]
    return f"login:{kind}:{digest}"


def _username_key(username: str) -> str:
    return username.strip().casefold()[:150]


def _recent(key: str, window: int, now: float) -> list[float]:
    stamps = _cache().get(key) or []
    return [t for t in stamps if now - t < window]


def refusal(username: str, ip: str) -> Refusal | None:
    """Why a login for this username from this address is refused now, or None when it may be tried.

    A cache that cannot be read (its table missing) lets the attempt through and says so in the log:
    refusing everyone would lock the whole node out.
    """
    now = time.time()
    try:
        with transaction.atomic():  # a savepoint: a failed read must not break the caller's transaction
            return _refusal(username, ip, now)
    except DatabaseError:
        log.error("login lockout unavailable: the security cache cannot be read (run `tongban createcachetable`)")
    return None


def _refusal(username: str, ip: str, now: float) -> Refusal | None:
    until = _cache().get(_key("lock", _username_key(username)))
    if until and until > now:
        return Refusal("locked", _locked_text(max(1, math.ceil((until - now) / 60))))
    window = settings.TONGBAN_LOGIN_IP_WINDOW_SECONDS
    stamps = _recent(_key("ip", ip), window, now)
    if len(stamps) >= settings.TONGBAN_LOGIN_IP_MAX_FAILURES:
        return Refusal("rate_limited", _rate_text(max(1, math.ceil((min(stamps) + window - now) / 60))))
    return None


def record_failure(username: str, ip: str) -> None:
    now = time.time()
    ukey = _username_key(username)
    try:
        with transaction.atomic():
            _record_failure(username, ukey, ip, now)
    except DatabaseError:
        log.error("login lockout unavailable: the security cache cannot be written (run `tongban createcachetable`)")


def _record_failure(username: str, ukey: str, ip: str, now: float) -> None:
    cache = _cache()
    window = settings.TONGBAN_LOGIN_WINDOW_SECONDS
    stamps = [*_recent(_key("fail", ukey), window, now), now]
    if len(stamps) >= settings.TONGBAN_LOGIN_MAX_FAILURES:
        lock = settings.TONGBAN_LOGIN_LOCK_SECONDS
        cache.set(_key("lock", ukey), now + lock, timeout=lock)
        cache.delete(_key("fail", ukey))
        log.warning("login locked: username=%s ip=%s failures=%d", mask(username), ip, len(stamps))
    else:
        cache.set(_key("fail", ukey), stamps, timeout=window)
    ip_window = settings.TONGBAN_LOGIN_IP_WINDOW_SECONDS
    ip_stamps = [*_recent(_key("ip", ip), ip_window, now), now]
    cache.set(_key("ip", ip), ip_stamps[-settings.TONGBAN_LOGIN_IP_MAX_FAILURES :], timeout=ip_window)


def record_success(username: str) -> None:
    try:
        with transaction.atomic():
            _cache().delete(_key("fail", _username_key(username)))
    except DatabaseError:
        log.error("login lockout unavailable: the security cache cannot be written (run `tongban createcachetable`)")


class LockoutModelBackend(ModelBackend):
    """Django's password check with the lockout in front: every username/password login goes through here.

    The login page checks the lockout itself to show why it refuses; this backend makes the admin's
    login form and any other caller of ``authenticate()`` obey the same counts.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        ip = client_ip(request)
        refused = refusal(username, ip)
        if refused is not None:
            log.warning("login refused: username=%s ip=%s reason=%s", mask(username), ip, refused.code)
            # PermissionDenied stops Django trying the other backends for this attempt.
            raise PermissionDenied(refused.code)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            log.warning("login failed: username=%s ip=%s", mask(username), ip)
            record_failure(username, ip)
        else:
            log.info("login succeeded: username=%s ip=%s user_id=%s", mask(username), ip, user.pk)
            record_success(username)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
