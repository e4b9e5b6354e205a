"""Where the private keys of electronic seals live (印章密钥存储): a small interface, and files by default.

A seal's private key never leaves its key store: the seal commands ask the store to make a key, to sign
with it, and for its public half. ``TONGBAN_KEYSTORE`` names the class to use (a dotted path), so a node
can put its seal keys in a hardware security module (密码机) or a cloud KMS by implementing ``KeyStore``.

``FileKeyStore`` keeps one encrypted PKCS#8 PEM per seal under ``<var>/keys/seals/`` (SM4-CBC, the
password stretched with PBKDF2). The password is ``TONGBAN_SEAL_KEY_PASSWORD``; when that is unset, a
random one is generated once into ``<var>/keys/seal-password`` (mode 0600). That fallback only keeps a
copied key file useless without the password file; production sets the variable from a secret store, or
uses an HSM or KMS.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.utils.module_loading import import_string

from tongban.config import env, var_dir
from tongban.federation.sm2 import PrivateKey, PublicKey, SM2Error

__all__ = ["FileKeyStore", "KeyStore", "KeyStoreError", "forget", "keystore"]

# Seal ids become file names: letters, digits, dot, dash and underscore only, never a leading dot.
_SEAL_ID = re.compile(r"^[0-9A-Za-z_-][0-9A-Za-z._-]{0,63}$")
_CIPHER = "sm4-cbc"  # GM/T 0002; OpenSSL 3 reads it back as PBES2


class KeyStoreError(Exception):
    """A seal key that cannot be made, found or used (a missing file, a wrong password, a failing HSM)."""


@runtime_checkable
class KeyStore(Protocol):
    """What the seal commands need from a key store. A store may also offer ``destroy(seal_id) -> None``
    (the key is erased when its seal is revoked); one that cannot erase keys simply leaves it out."""

    def create(self, seal_id: str) -> PublicKey:
        """Make a new SM2 key pair for ``seal_id`` and return its public half; refuse an id already used."""
        ...

    def sign(self, seal_id: str, data: bytes) -> bytes:
        """The DER SM2 signature (SM3withSM2, default distinguishing id) over ``data`` with the seal's key."""
        ...

    def public_key(self, seal_id: str) -> PublicKey:
        """The public half of the seal's key."""
        ...


# Loaded keys per process, by file: reading an encrypted PEM runs PBKDF2 each time, and a node signing
# many licences must not pay that per signature.
_loaded: dict[Path, PrivateKey] = {}
_lock = threading.Lock()


def forget() -> None:
    """Drop the keys this process has loaded (after keys were replaced on disk, and between tests)."""
    with _lock:
        _loaded.clear()


class FileKeyStore:
    """Seal keys as encrypted PEM files, one per seal, under ``root`` (default ``<var>/keys/seals``)."""

    def __init__(self, root: Path | None = None, password: bytes | None = None) -> None:
        # Resolved when used, not here, so a store made early still follows TONGBAN_VAR_DIR.
        self._root = root
        self._password = password

    @property
    def root(self) -> Path:
        return self._root if self._root is not None else var_dir() / "keys" / "seals"

    def path(self, seal_id: str) -> Path:
        if not _SEAL_ID.match(seal_id):
            raise KeyStoreError(f"{seal_id!r} is not a usable seal id for a key file")
        return self.root / f"{seal_id}.pem"

    def password(self) -> bytes:
        if self._password is not None:
            return self._password
        given = env("TONGBAN_SEAL_KEY_PASSWORD")
        return given.encode() if given else _generated_password(self.root.parent / "seal-password")

    def create(self, seal_id: str) -> PublicKey:
        path = self.path(seal_id)
        key = PrivateKey.generate()
        pem = key.to_pem(self.password(), cipher=_CIPHER)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        try:
            _write_new(path, pem.encode("ascii"))
        except FileExistsError as exc:
            raise KeyStoreError(f"a key for seal {seal_id} exists already") from exc
        with _lock:
            _loaded[path] = key
        return key.public_key()

    def sign(self, seal_id: str, data: bytes) -> bytes:
        return self._key(seal_id).sign(data)

    def public_key(self, seal_id: str) -> PublicKey:
        return self._key(seal_id).public_key()

    def destroy(self, seal_id: str) -> None:
        """Erase the seal's key file; nothing happens when there is none."""
        path = self.path(seal_id)
        with _lock:
            _loaded.pop(path, None)
        path.unlink(missing_ok=True)

    def _key(self, seal_id: str) -> PrivateKey:
        path = self.path(seal_id)
        key = _loaded.get(path)
        if key is not None:
            return key
        try:
            key = PrivateKey.from_pem(path.read_bytes(), self.password())
        except FileNotFoundError as exc:
            raise KeyStoreError(f"no key for seal {seal_id} in the key store") from exc
        except (OSError, SM2Error) as exc:
            raise KeyStoreError(f"the key of seal {seal_id} cannot be read: {exc}") from exc
        with _lock:
            return _loaded.setdefault(path, key)


def _write_new(path: Path, content: bytes, mode: int = 0o600) -> None:
    """Write a file that must not exist yet, readable by the owner only from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _generated_password(path: Path) -> bytes:
    """The password in ``path``, made once. Written beside and linked into place, so a process starting
    at the same moment never reads a half-written file, and two such processes agree on one password."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        _write_new(draft, secrets.token_urlsafe(32).encode("ascii") + b"\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    password = path.read_bytes().strip()
    if not password:
        raise KeyStoreError(f"the seal key password file {path} is empty")
    return password


@functools.cache
def _store_class(dotted: str) -> type:
    try:
        return import_string(dotted)
    except ImportError as exc:
        raise KeyStoreError(f"TONGBAN_KEYSTORE names {dotted!r}, which cannot be imported: {exc}") from exc


def keystore() -> KeyStore:
    """The configured key store (``TONGBAN_KEYSTORE``; the file store by default)."""
    store = _store_class(env("TONGBAN_KEYSTORE"))()
    if not isinstance(store, KeyStore):
        raise KeyStoreError(f"{type(store).__name__} lacks create, sign or public_key of a KeyStore")
    return store
