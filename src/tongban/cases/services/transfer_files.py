"""Material files between the node that received a case and the node that decides it (异地代收代办).

A file whose data fits in one message (``TONGBAN_FEDERATION_CHUNK_KB`` of base64) goes whole, as one
``case.file``. A larger one goes in pieces (分片): several ``case.file`` messages on the case's stream, each
naming the material, its piece's index and the count, the piece's SM3, and the whole file's name, size and
SM3. The deciding node keeps the pieces (``IncomingChunk``) and, when the last arrives, puts the file
together, checks it as an upload here (``files.check``: type, size) and against the announced size and
SM3, and stores it as the material's next version, exactly as a whole file.

The stream delivers in order and the inbox applies each message once, inside the transaction that
records it: so a piece out of order, a piece missing, a piece that does not match its SM3, or a file
whose pieces stop half-way (the next message of the stream arrives instead) can only mean a faulty or
forged sender, and is refused with the field that is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from tongban.cases import events, files
from tongban.cases import services as core
from tongban.cases.choices import MaterialState
from tongban.cases.models import Case, CaseMaterial, IncomingChunk, MaterialFile
from tongban.config import env
from tongban.core.errors import DomainError
from tongban.federation.envelope import Envelope
from tongban.identity.actor import SYSTEM

_HEX = frozenset("0123456789abcdef")


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def piece_bytes() -> int:
    """File bytes per message: base64 makes 4 characters of 3 bytes, so a piece's data as sent stays
    within TONGBAN_FEDERATION_CHUNK_KB (the rest of a message is a few hundred bytes of names and digests)."""
    kib = max(1, int(env("TONGBAN_FEDERATION_CHUNK_KB")))
    return kib * 1024 // 4 * 3


def fits(stored: MaterialFile) -> bool:
    """Whether a stored file goes whole, in one message."""
    return stored.size <= piece_bytes()


def piece_count(size: int) -> int:
    return max(1, math.ceil(size / piece_bytes()))


def _sm3(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


# --- sending (at the node whose window received the case) ---------------------------------------------


def file_messages(case: Case, material: CaseMaterial, stored: MaterialFile) -> Iterator[dict[str, Any]]:
    """The ``case.file`` bodies that carry one stored file: one when it fits in a message, else its pieces."""
    whole = {
        "number": case.number,
        "material": material.name,
        "original_name": stored.original_name,
        "content_type": stored.content_type,
        "size": stored.size,
        "sm3": stored.sm3,
    }
    limit = piece_bytes()
    with stored.file.open("rb") as handle:
        if stored.size <= limit:
            yield {**whole, "data": base64.b64encode(handle.read()).decode("ascii")}
            return
        count = piece_count(stored.size)
        for index in range(count):
            piece = handle.read(limit)
            yield {
                **whole,
                "index": index,
                "count": count,
                "chunk_sm3": _sm3(piece),
                "data": base64.b64encode(piece).decode("ascii"),
            }


def is_piece(sent: dict[str, Any]) -> bool:
    return "index" in sent or "count" in sent


# --- receiving (at the deciding node) -----------------------------------------------------------------


def _material(case: Case, sent: dict[str, Any], field: str = "material") -> CaseMaterial:
    material = case.materials.filter(name=str(sent.get("material", ""))).first()
    if material is None:
        raise _fail(field, "unknown", "该材料不在办件的材料清单中", "the material is not on the case's list")
    return material


def _decode(sent: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(str(sent.get("data", "")), validate=True)
    except ValueError as exc:
        raise _fail("data", "not_base64", "文件内容不是有效的Base64", "the file is not valid base64") from exc


def _store(
    envelope: Envelope, case: Case, material: CaseMaterial, checked: files.CheckedFile, content: IO[bytes]
) -> MaterialFile:
    """Keep a checked file as the material's next version (nothing is replaced); the material is given."""
    stored = core._store_file(SYSTEM, material, checked, content)
    material.state = MaterialState.PROVIDED
    material.evidence = material.evidence or "upload"
    material.problem = ""
    material.save(update_fields=["state", "evidence", "problem"])
    events.append(
        case, SYSTEM, "attach", case.status, {"material": material.name, "sm3": stored.sm3, "node": envelope.sender}
    )
    return stored


def keep_whole(envelope: Envelope, case: Case, sent: dict[str, Any]) -> MaterialFile:
    """A material's file sent whole: kept only when its size and SM3 are those announced."""
    no_file_half_sent(case)
    material = _material(case, sent)
    data = _decode(sent)
    # The same checks as an upload here (type, size), then the digest the sending window recorded.
    checked = files.check(io.BytesIO(data), str(sent.get("original_name", "")), field="data")
    if checked.size != sent.get("size") or checked.sm3 != sent.get("sm3"):
        raise _fail(
            "data", "digest_mismatch", "文件大小或SM3与声明不符", "the file's size or SM3 is not what was announced"
        )
    return _store(envelope, case, material, checked, io.BytesIO(data))


def _whole_number(sent: dict[str, Any], field: str, zh: str, en: str, least: int) -> int:
    value = sent.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise _fail(
            field, "invalid", f"{zh}应为不小于{least}的整数", f"{en} must be a whole number of at least {least}"
        )
    return value


def _digest(sent: dict[str, Any], field: str, zh: str, en: str) -> str:
    value = str(sent.get(field, ""))
    if len(value) != 64 or not set(value) <= _HEX:
        raise _fail(field, "invalid", f"{zh}应为64位十六进制SM3摘要", f"{en} must be an SM3 digest (64 hex digits)")
    return value


def no_file_half_sent(case: Case) -> None:
    """Refuse the next message of the stream while a file's pieces stopped half-way: pieces went missing."""
    first = IncomingChunk.objects.filter(case=case).order_by("index").first()
    if first is None:
        return
    got = IncomingChunk.objects.filter(case=case).count()
    raise _fail(
        "index",
        "chunk_missing",
        f"材料“{first.material}”的文件只收到{got}个分片（共{first.count}个），缺少第{got + 1}个起的分片",
        f"only {got} of the {first.count} pieces of the file of '{first.material}' arrived: "
        f"piece {got} (from 0) onwards is missing",
    )


def keep_piece(envelope: Envelope, case: Case, sent: dict[str, Any]) -> MaterialFile | None:
    """One piece of a large file: kept; with the last, the file is put together, checked and stored
    (returned); None while pieces are still to come."""
    material = _material(case, sent)
    count = _whole_number(sent, "count", "分片总数", "the count of pieces", 1)
    index = _whole_number(sent, "index", "分片序号", "the piece's index", 0)
    if index >= count:
        raise _fail(
            "index",
            "invalid",
            f"分片序号应小于分片总数{count}",
            f"the piece's index must be less than the count of pieces, {count}",
        )
    size = _whole_number(sent, "size", "文件大小", "the file's size", 1)
    sm3 = _digest(sent, "sm3", "文件的SM3", "the file's SM3")
    chunk_sm3 = _digest(sent, "chunk_sm3", "分片的SM3", "the piece's SM3")
    name = str(sent.get("original_name", ""))[:200]
    limit = files.max_bytes()
    if size > limit:  # refused at its first piece, not after the node has kept them all
        raise _fail(
            "size",
            "file_too_large",
            f"文件“{name}”超过{limit // (1 << 20)}MB的上限",
            f"the file '{name}' is larger than the {limit // (1 << 20)} MiB limit",
        )
    staged = IncomingChunk.objects.filter(case=case)
    first = staged.order_by("index").first()
    if first is not None and (first.material, first.sm3, first.size, first.count) != (material.name, sm3, size, count):
        no_file_half_sent(case)  # another file begins while this one still misses pieces
    expected = staged.count()
    if index > expected:
        raise _fail(
            "index",
            "chunk_missing",
            f"缺少材料“{material.name}”文件的第{expected}个分片（从0起，收到的是第{index}个）",
            f"piece {expected} (from 0) of the file of '{material.name}' is missing: piece {index} came instead",
        )
    if index < expected:
        raise _fail(
            "index",
            "chunk_out_of_order",
            f"材料“{material.name}”文件的第{index}个分片已收到过，应为第{expected}个",
            f"piece {index} of the file of '{material.name}' arrived already; piece {expected} was due",
        )
    data = _decode(sent)
    if _sm3(data) != chunk_sm3:
        raise _fail(
            "chunk_sm3",
            "chunk_digest_mismatch",
            f"材料“{material.name}”文件的第{index}个分片与其SM3不符",
            f"piece {index} of the file of '{material.name}' does not match its SM3",
        )
    IncomingChunk.objects.create(
        case=case,
        material=material.name,
        original_name=name,
        size=size,
        sm3=sm3,
        index=index,
        count=count,
        data=data,
    )
    if index + 1 < count:
        return None
    return _assemble(envelope, case, material, name, size, sm3)


def _assemble(envelope: Envelope, case: Case, material: CaseMaterial, name: str, size: int, sm3: str) -> MaterialFile:
    """The last piece is in: the whole file, from its pieces in order, checked and stored; the pieces go."""
    pieces = IncomingChunk.objects.filter(case=case).order_by("index")
    # Spooled: a file of up to the upload limit is put together on disk rather than held in memory.
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as whole:
        for data in pieces.values_list("data", flat=True).iterator():
            whole.write(bytes(data))
        if whole.tell() != size:
            raise _fail(
                "size",
                "size_mismatch",
                f"材料“{material.name}”的分片合计{whole.tell()}字节，与声明的文件大小{size}字节不符",
                f"the pieces of the file of '{material.name}' add up to {whole.tell()} bytes, not the {size} announced",
            )
        whole.seek(0)
        checked = files.check(whole, name, field="data")  # the same checks as an upload here
        if checked.sm3 != sm3:
            raise _fail(
                "sm3",
                "digest_mismatch",
                f"材料“{material.name}”拼合后的文件与声明的SM3不符",
                f"the file of '{material.name}' put together from its pieces does not match the SM3 announced",
            )
        stored = _store(envelope, case, material, checked, whole)
    pieces.delete()
    return stored


def given_in_pieces(case: Case, sent: dict[str, Any], field: str) -> CaseMaterial:
    """A correction names a file that went ahead in pieces: it must be the material's file stored last."""
    material = _material(case, sent, f"{field}.material")
    latest = material.files.order_by("-version").first()
    if latest is None or latest.sm3 != sent.get("sm3") or latest.size != sent.get("size"):
        raise _fail(
            f"{field}.sm3",
            "chunk_missing",
            f"材料“{material.name}”的补正文件未完整收到（分片缺失）",
            f"the corrected file of '{material.name}' has not arrived whole (pieces are missing)",
        )
    return material


__all__ = [
    "file_messages",
    "fits",
    "given_in_pieces",
    "is_piece",
    "keep_piece",
    "keep_whole",
    "no_file_half_sent",
    "piece_bytes",
    "piece_count",
]
