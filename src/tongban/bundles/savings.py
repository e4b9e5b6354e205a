"""The savings table of docs/bundles.md: what applicants give through each published bundle.

Computed from the guides in force (tongban.bundles.plan), never typed in; ``tongban bundle_savings
--write docs/bundles.md`` replaces the table between the two marker comments, and a test checks the
committed table against this module.
"""

from __future__ import annotations

from pathlib import Path

from tongban.bundles import plan as bundle_plan
from tongban.bundles.models import Bundle

START = "<!-- bundle-savings:start -->"
END = "<!-- bundle-savings:end -->"
DOC_PATH = "docs/bundles.md"

HEADER = (
    "| bundle | region | items | form fields: item by item → bundle | materials: item by item → bundle "
    "| from earlier results |\n"
    "|---|---|---|---|---|---|\n"
)


def markdown() -> str:
    """The table for every published bundle, in region and code order."""
    lines = []
    for bundle in Bundle.objects.filter(published=True).select_related("region__parent__parent"):
        p = bundle_plan.of(bundle)
        s = p.savings
        results = "; ".join(f"{m.name} ← {p.guides[m.from_result_of]['name']}" for m in p.materials if m.from_result_of)
        lines.append(
            f"| {bundle.name} (`{bundle.code}`) | {bundle.region.full_name} | {len(p.keys)} "
            f"| {s.fields_separately} → {s.fields_in_bundle} | {s.materials_separately} → {s.materials_in_bundle} "
            f"| {results or '—'} |\n"
        )
    return HEADER + "".join(lines)


def replace_table(text: str, table: str) -> str:
    """``text`` with the part between the markers replaced by ``table``; ValueError without both markers."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the file lacks the markers {START} … {END}")
    return text[: start + len(START)] + "\n" + table + text[end:]


def write(path: str | Path = DOC_PATH) -> None:
    target = Path(path)
    target.write_text(replace_table(target.read_text(encoding="utf-8"), markdown()), encoding="utf-8")
