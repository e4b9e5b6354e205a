"""This node in the federation: its signing key and the trust list in force.

The key is read once per process from TONGBAN_FEDERATION_KEY; the trust list in force is the highest
version this node has verified (``TrustListVersion``), refreshed from TONGBAN_TRUST_LIST by
``refresh_trust_list`` (the worker calls it each round; an operator with ``tongban federation refresh``).
A node that has no key or no trust list yet simply does not take part: it sends and accepts nothing.
"""

from __future__ import annotations

import functools
import logging
import urllib.request
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from tongban.config import env, var_dir
from tongban.core.messages import Text
from tongban.federation.models import TrustListVersion
from tongban.federation.sm2 import PrivateKey, PublicKey, SM2Error
from tongban.federation.trust import TrustError, TrustList, load

log = logging.getLogger("tongban.federation")


def node_id() -> str:
    return settings.TONGBAN_NODE_ID


def key_path() -> Path:
    value = env("TONGBAN_FEDERATION_KEY")
    return Path(value) if value else var_dir() / "federation" / "node-key.pem"


@functools.cache
def signing_key() -> PrivateKey:
    """This node's private key; SM2Error when it is missing or unreadable (the node cannot send)."""
    path = key_path()
    if not path.exists():
        raise SM2Error(f"no signing key at {path}: create one with `tongban federation keygen`")
    password = env("TONGBAN_FEDERATION_KEY_PASSWORD").encode() or None
    return PrivateKey.from_pem(path.read_bytes(), password)


@functools.cache
def anchor() -> PublicKey:
    path = env("TONGBAN_TRUST_ANCHOR")
    if not path:
        raise TrustError("no_anchor", Text("未配置联盟运营方公钥", "TONGBAN_TRUST_ANCHOR is not set"))
    return PublicKey.from_pem(Path(path).read_bytes())


def skew() -> timedelta:
    return timedelta(seconds=int(env("TONGBAN_FEDERATION_SKEW_SECONDS")))


def max_attempts() -> int:
    return int(env("TONGBAN_FEDERATION_MAX_ATTEMPTS"))


def forget() -> None:
    """Drop what this process cached (after a key rotation, and between tests)."""
    signing_key.cache_clear()
    anchor.cache_clear()
    _parsed.cache_clear()


def trust_list() -> TrustList:
    """The trust list in force: the highest verified version. TrustError when there is none yet."""
    # Asked for every message and every delivery round: read only the key here, the document once.
    stored = TrustListVersion.objects.order_by("-version").values_list("version", "pk").first()
    if stored is None:
        raise TrustError("no_trust_list", Text("本节点尚未加载信任列表", "this node has not loaded a trust list yet"))
    return _parsed(*stored)


@functools.lru_cache(maxsize=4)
def _parsed(version: int, pk: int) -> TrustList:
    # Keyed by (version, pk): a stored version never changes, so parsing it once per process is safe.
    return load(TrustListVersion.objects.get(pk=pk).document, anchor())


def _fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:
            return response.read()
    return Path(source).read_bytes()


def accept_trust_list(document: bytes | str | dict, source: str) -> TrustList:
    """Verify a trust list and keep it if it is newer than the one in force (same version: nothing)."""
    held = TrustListVersion.objects.order_by("-version").values_list("version", flat=True).first() or 0
    fresh = load(document, anchor(), held_version=held)
    if fresh.version > held:
        try:
            with transaction.atomic():
                TrustListVersion.objects.create(version=fresh.version, document=fresh.document, source=source)
        except IntegrityError:
            pass  # another process stored the same version meanwhile
        log.info("trust list v%s accepted from %s", fresh.version, source)
    return fresh


def refresh_trust_list() -> TrustList | None:
    """Fetch TONGBAN_TRUST_LIST and accept it when newer; a failure is logged, the old list stays."""
    source = env("TONGBAN_TRUST_LIST")
    if not source:
        return None
    try:
        return accept_trust_list(_fetch(source), source)
    except (OSError, TrustError, SM2Error) as exc:
        log.warning("trust list from %s not accepted: %s", source, exc)
        return None
