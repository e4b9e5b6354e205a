"""Credit test data, built through the credit commands."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from tests.identity import make
from tongban.credit import services
from tongban.credit.models import CreditEntry, CreditImport
from tongban.identity.actor import SYSTEM, Actor, actor_for_user

TODAY = date(2026, 11, 23)  # the fixed clock's day (tests/credit/conftest.py)


def supervisor(region: str = "411500") -> Actor:
    return actor_for_user(make.staff("supervisor", region))


def entry(
    kind: str = "dishonest",
    code: str | None = None,
    *,
    subject_type: str = "person",
    occurred_on: date = date(2026, 3, 1),
    valid_until: date | None = None,
    actor: Actor | None = None,
    name: str = "王五",
    source_name: str = "信阳市信用办",
    decision: str = "信阳信用〔2026〕1号",
) -> CreditEntry:
    return services.record_entry(
        actor or supervisor(),
        subject_type=subject_type,
        subject_code=code or make.resident_id(),
        subject_name=name,
        kind=kind,
        occurred_on=occurred_on,
        valid_until=valid_until,
        source_name=source_name,
        decision=decision,
    )


def csv_bytes(*rows: str, bom: bool = False, header: str | None = None) -> bytes:
    head = (
        header
        or "subject_type,subject_code,subject_name,kind,occurred_on,valid_until,decision,note,source_ref,repairs_ref"
    )
    text = "\r\n".join([head, *rows]) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def json_bytes(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def import_file(
    data: bytes, name: str = "list.csv", source: str = "信用中国（河南）", actor: Actor = SYSTEM
) -> CreditImport:
    return services.import_entries(actor, upload=io.BytesIO(data), name=name, source_name=source)
