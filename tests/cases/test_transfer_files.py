"""异地代收代办: a material file larger than one message goes in pieces (分片). Each piece is a ``case.file``
on the case's stream naming its index and count, its own SM3 and the whole file's size and SM3; the
deciding node keeps the pieces until the last, then puts the file together, checks it as an upload and
against the SM3, and stores it. A piece out of order, missing or not matching its SM3 is refused, naming
the field; so is a file whose pieces stop half-way. A correction's large file goes ahead the same way.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest

from tests.cases.make import PDF, independent_sm3
from tests.cases.test_transfer import MATERIALS, envelope, nodes, received, their_item, transferred  # noqa: F401
from tests.federation.conftest import PEER, federation  # noqa: F401
from tests.identity import make
from tongban.cases import services
from tongban.cases.choices import Status
from tongban.cases.models import Case, IncomingChunk
from tongban.cases.services import transfer
from tongban.core.errors import DomainError
from tongban.federation.models import OutboxMessage
from tongban.identity.actor import actor_for_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("nodes")]

# A scan of a little over 3 KiB: four pieces of 768 bytes and a last one at 1 KiB of base64 a message.
BIG = PDF[:-6] + b"% " + bytes(range(32, 127)) * 34 + b"\n%%EOF\n"
PIECE = 768


@pytest.fixture
def small_messages(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TONGBAN_FEDERATION_CHUNK_KB", "1")


def sent_files(case: Case) -> list[dict[str, Any]]:
    stream = OutboxMessage.objects.filter(stream=f"case:{case.number}", type="case.file")
    return [m.body for m in stream.order_by("created_at", "id")]


def test_a_file_larger_than_a_message_goes_in_pieces_each_within_the_limit(small_messages):
    case, clerk = received(their_item())
    big = case.materials.get(name="退休证明")
    services.attach_file(clerk, case, material_id=big.pk, upload=io.BytesIO(BIG), name="big.pdf")
    services.forward(clerk, case)
    bodies = sent_files(case)
    small = [b for b in bodies if b["material"] == "居民身份证"]
    assert len(small) == 1 and "index" not in small[0]  # a file that fits goes whole, as before
    pieces = [b for b in bodies if b["material"] == "退休证明"]
    count = -(-len(BIG) // PIECE)
    assert count == 5 and [(p["index"], p["count"]) for p in pieces] == [(i, count) for i in range(count)]
    assert all(len(p["data"]) <= 1024 for p in pieces)  # each message's file data within the setting
    assert {(p["size"], p["sm3"]) for p in pieces} == {(len(BIG), independent_sm3(BIG))}
    data = [base64.b64decode(p["data"]) for p in pieces]
    assert b"".join(data) == BIG
    assert [p["chunk_sm3"] for p in pieces] == [independent_sm3(d) for d in data]


def pieces_of(content: bytes, material: str = "退休证明", name: str = "big.pdf") -> list[dict[str, Any]]:
    """The case.file bodies a sending node makes of ``content`` at 768 bytes a piece."""
    parts = [content[i : i + PIECE] for i in range(0, len(content), PIECE)]
    return [
        {
            "material": material,
            "original_name": name,
            "content_type": "application/pdf",
            "size": len(content),
            "sm3": hashlib.new("sm3", content).hexdigest(),
            "index": i,
            "count": len(parts),
            "chunk_sm3": hashlib.new("sm3", part).hexdigest(),
            "data": base64.b64encode(part).decode(),
        }
        for i, part in enumerate(parts)
    ]


def send(case: Case, body: dict[str, Any], type: str = "case.file") -> dict[str, Any]:
    handler = transfer.receive_file if type == "case.file" else transfer.receive_correction
    return handler(envelope(type, {"number": case.number, **body}))


def refused(case: Case, body: dict[str, Any], type: str = "case.file") -> tuple[str | None, str]:
    with pytest.raises(DomainError) as caught:
        send(case, body, type)
    problem = caught.value.problems[0]
    return problem.field, problem.code


def test_the_pieces_are_kept_until_the_last_then_the_file_is_checked_and_stored():
    case, _impl = transferred()
    material = case.materials.get(name="退休证明")
    *first, last = pieces_of(BIG)
    for i, piece in enumerate(first):
        assert send(case, piece)["piece"] == i
        material.refresh_from_db()
        assert material.state == "missing" and not material.files.exists()
    assert IncomingChunk.objects.filter(case=case).count() == len(first)  # kept in the database, as applied
    assert send(case, last)["sm3"] == independent_sm3(BIG)
    material.refresh_from_db()
    stored = material.files.get()
    assert material.state == "provided" and stored.size == len(BIG) and stored.sm3 == independent_sm3(BIG)
    assert stored.file.read() == BIG and stored.original_name == "big.pdf"
    assert not IncomingChunk.objects.exists()
    assert case.events.filter(action="attach").count() == 1


def test_a_piece_out_of_order_or_missing_is_refused_naming_the_index():
    case, _impl = transferred()
    pieces = pieces_of(BIG)
    send(case, pieces[0])
    assert refused(case, pieces[0]) == ("index", "chunk_out_of_order")
    assert refused(case, pieces[2]) == ("index", "chunk_missing")
    assert refused(case, {**pieces[1], "index": 7}) == ("index", "invalid")  # beyond the count
    assert IncomingChunk.objects.filter(case=case).count() == 1


def test_a_piece_that_does_not_match_its_sm3_is_refused():
    case, _impl = transferred()
    piece = pieces_of(BIG)[0]
    tampered = base64.b64encode(base64.b64decode(piece["data"])[:-1] + b"!").decode()
    assert refused(case, {**piece, "data": tampered}) == ("chunk_sm3", "chunk_digest_mismatch")
    assert refused(case, {**piece, "chunk_sm3": "x" * 64}) == ("chunk_sm3", "invalid")
    assert not IncomingChunk.objects.exists()


def test_pieces_that_do_not_make_the_announced_file_store_nothing():
    case, _impl = transferred()
    announced = hashlib.new("sm3", BIG + b"more").hexdigest()
    *first, last = [{**p, "sm3": announced} for p in pieces_of(BIG)]
    for piece in first:
        send(case, piece)
    assert refused(case, last) == ("sm3", "digest_mismatch")
    assert not case.materials.get(name="退休证明").files.exists()


def test_a_file_announced_larger_than_an_upload_may_be_is_refused_at_its_first_piece(settings):
    settings.TONGBAN_MAX_UPLOAD_BYTES = 2048
    case, _impl = transferred()
    assert refused(case, pieces_of(BIG)[0]) == ("size", "file_too_large")


def test_the_assembled_file_gets_the_upload_checks():
    case, _impl = transferred()
    pieces = pieces_of(b"MZ" + BIG[2:], name="big.exe")  # not a format an applicant may upload
    for piece in pieces[:-1]:
        send(case, piece)
    assert refused(case, pieces[-1]) == ("data", "file_type")


def test_a_file_whose_pieces_stop_half_way_holds_what_comes_next():
    case, _impl = transferred()
    pieces = pieces_of(BIG)
    send(case, pieces[0])
    send(case, pieces[1])
    whole = {
        "material": "居民身份证",
        "original_name": "id.pdf",
        "size": len(PDF),
        "sm3": hashlib.new("sm3", PDF).hexdigest(),
        "data": base64.b64encode(PDF).decode(),
    }
    assert refused(case, whole) == ("index", "chunk_missing")
    assert refused(case, pieces_of(PDF + b"\n", material="居民身份证")[0]) == ("index", "chunk_missing")
    assert refused(case, {"materials": []}, "case.correction") == ("index", "chunk_missing")


def test_a_large_corrected_file_goes_ahead_in_pieces_and_the_correction_names_it(small_messages):
    case, clerk = received(their_item())
    services.forward(clerk, case)
    items = [{"name": "退休证明", "problem": "扫描件不清晰", "requirement": "重新扫描"}]
    transfer.mirror_status(
        envelope(
            "case.status",
            {
                "number": case.number,
                "status": Status.CORRECTION,
                "action": "request-correction",
                "payload": {"items": items},
            },
        )
    )
    asked = case.materials.get(name="退休证明")
    services.attach_file(clerk, case, material_id=asked.pk, upload=io.BytesIO(BIG), name="clear.pdf")
    before = OutboxMessage.objects.count()
    services.correct(clerk, case)
    after = list(OutboxMessage.objects.order_by("created_at", "id")[before:])
    assert [m.type for m in after] == ["case.file"] * 5 + ["case.correction"]
    assert b"".join(base64.b64decode(m.body["data"]) for m in after[:-1]) == BIG
    assert after[-1].body["materials"] == [
        {"material": "退休证明", "size": len(BIG), "sm3": independent_sm3(BIG), "chunks": 5}
    ]


def test_the_deciding_node_takes_a_correction_whose_file_came_in_pieces():
    case, impl = transferred(
        materials=[{"name": m["name"], "state": "provided", "evidence": "original_seen"} for m in MATERIALS]
    )
    clerk = actor_for_user(make.staff("window_clerk", "411500", department=impl.department))
    target = case.materials.get(name="退休证明")
    services.request_correction(clerk, case, items=[{"material": target.pk, "problem": "扫描件不清晰"}])
    named = {"material": "退休证明", "size": len(BIG), "sm3": hashlib.new("sm3", BIG).hexdigest(), "chunks": 5}
    # Its pieces never came: the correction is refused, naming the file it refers to.
    assert refused(case, {"materials": [named]}, "case.correction") == ("materials[0].sm3", "chunk_missing")
    for piece in pieces_of(BIG):
        send(case, piece)
    send(case, {"materials": [named]}, "case.correction")
    case.refresh_from_db()
    target.refresh_from_db()
    assert case.status == Status.PENDING and target.state == "provided"
    assert target.files.get().sm3 == named["sm3"]
