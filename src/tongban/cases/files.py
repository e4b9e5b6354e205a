"""Material files: checked (type by content, size), hashed with SM3 and SHA-256, stored, never overwritten.

The storage is Django's default storage (a folder under var/ unless configured otherwise), so an
S3-compatible backend can replace it through settings without touching this module.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files.base import File

from tongban.core.errors import DomainError

# The formats an applicant may upload, recognised by their first bytes, not by their name.
_SIGNATURES: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"PK\x03\x04", "application/ofd", (".ofd",)),  # OFD (GB/T 33190) is a zip container
)
ALLOWED = "PDF, JPG, PNG, OFD"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sm3: str
    sha256: str


def max_bytes() -> int:
    return int(settings.TONGBAN_MAX_UPLOAD_BYTES)


def check(upload: IO[bytes], name: str, field: str = "file") -> CheckedFile:
    """Check an uploaded file and hash it; DomainError naming ``field`` when it is not acceptable."""
    base = PurePath(name or "").name[:200]
    suffix = PurePath(base).suffix.lower()
    upload.seek(0)
    head = upload.read(16)
    if not head:
        raise DomainError.single(field, "file_empty", f"文件“{base}”是空的", f"the file '{base}' is empty")
    kind = next((k for k in _SIGNATURES if head.startswith(k[0])), None)
    if kind is None:
        raise DomainError.single(
            field,
            "file_type",
            f"文件“{base}”不是可接受的格式（{ALLOWED}）",
            f"the file '{base}' is not an accepted format ({ALLOWED})",
        )
    if suffix not in kind[2]:
        raise DomainError.single(
            field,
            "file_extension",
            f"文件“{base}”的扩展名与内容（{kind[1]}）不符",
            f"the name of '{base}' does not match its content ({kind[1]})",
        )
    limit = max_bytes()
    sm3, sha = hashlib.new("sm3"), hashlib.sha256()
    upload.seek(0)
    size = 0
    while chunk := upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise DomainError.single(
                field,
                "file_too_large",
                f"文件“{base}”超过{limit // (1 << 20)}MB的上限",
                f"the file '{base}' is larger than the {limit // (1 << 20)} MiB limit",
                status_code=413,
            )
        sm3.update(chunk)
        sha.update(chunk)
    upload.seek(0)
    return CheckedFile(base, kind[1], size, sm3.hexdigest(), sha.hexdigest())


def stored_name(checked: CheckedFile) -> str:
    """A new name for every stored file, so a later version can never overwrite an earlier one."""
    return f"{uuid.uuid4().hex}{PurePath(checked.name).suffix.lower()}"


def as_django_file(upload: IO[bytes], checked: CheckedFile) -> File:
    return File(upload, name=stored_name(checked))
