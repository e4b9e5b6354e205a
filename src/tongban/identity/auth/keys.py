"""The RSA key that signs the OIDC provider's ID tokens.

Read by the settings module, so it imports nothing from Django: a file given by TONGBAN_OIDC_KEY_FILE,
or one generated once under var/ (readable by the owner only). Every gunicorn worker and every node
restart must sign with the same key, or relying parties holding the published key (JWKS) reject the
tokens: hence a file, never a key made in memory per process.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE_NAME = "oidc_rsa_private.pem"


def _generate(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # Write beside the target, then hard-link it into place: link() fails if another process won the
    # race, so two workers starting together never sign with different keys.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".oidc-key-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
        os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process won: its key stands
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def private_key_pem(given: str, var_dir: Path) -> str:
    """The PEM text of the signing key: the given file, else var/oidc_rsa_private.pem (made once)."""
    if given:
        return Path(given).read_text()
    path = var_dir / KEY_FILE_NAME
    if not path.exists():
        _generate(path)
    return path.read_text()
