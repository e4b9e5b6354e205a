"""Readable numbers that are unique across regions: they start with the region code (GB/T 2260).

A case number looks like ``411500-20261122-000123``: the region where the application arrived, the
day, and a per-region-per-day serial. Each region belongs to exactly one node, so no two nodes can
hand out the same number. Notice numbers carry a kind mark: ``411500-SL-2026-000045`` (受理).
"""

from __future__ import annotations

from datetime import date

from django.db.models import F

from tongban.cases.models import Sequence

NOTICE_MARKS = {
    "acceptance": "SL",
    "refusal": "BY",
    "correction": "BZ",
    "decision": "BJ",
    "tolerance": "RQ",
    "commitment": "CN",
    "lapse": "ZZ",
    "revocation": "CX",
}


def next_value(name: str) -> int:
    """The next value of a named counter; call inside a transaction (the row stays locked until commit)."""
    Sequence.objects.get_or_create(name=name)
    Sequence.objects.filter(name=name).update(last=F("last") + 1)
    return Sequence.objects.values_list("last", flat=True).get(name=name)


def case_number(region_code: str, day: date) -> str:
    serial = next_value(f"case:{region_code}:{day:%Y%m%d}")
    return f"{region_code}-{day:%Y%m%d}-{serial:06d}"


def notice_number(region_code: str, kind: str, day: date) -> str:
    mark = NOTICE_MARKS.get(kind, kind[:2].upper())
    serial = next_value(f"notice:{region_code}:{mark}:{day:%Y}")
    return f"{region_code}-{mark}-{day:%Y}-{serial:06d}"
