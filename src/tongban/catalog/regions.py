"""Loading the national division list (GB/T 2260) shipped in data/regions.csv."""

from __future__ import annotations

import csv
from importlib import resources


def rows() -> list[dict[str, str]]:
    """The shipped divisions: code, name, level, parent (empty for provinces), parents first."""
    with resources.files("tongban.catalog").joinpath("data/regions.csv").open(encoding="utf-8") as f:
        data = list(csv.DictReader(f))
    order = {"province": 0, "prefecture": 1, "county": 2}
    return sorted(data, key=lambda r: (order[r["level"]], r["code"]))


def load(region_model) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Insert missing divisions and update changed names; returns (created, updated).

    Takes the model as an argument so the data migration can pass its historical model.
    """
    existing = {r.code: r for r in region_model.objects.all()}
    created = updated = 0
    new = []
    for row in rows():
        parent = row["parent"] or None
        current = existing.get(row["code"])
        if current is None:
            new.append(region_model(code=row["code"], name=row["name"], level=row["level"], parent_id=parent))
            created += 1
        elif (current.name, current.level, current.parent_id) != (row["name"], row["level"], parent):
            current.name, current.level, current.parent_id = row["name"], row["level"], parent
            current.save()
            updated += 1
    # Parents sort first, so one bulk insert keeps foreign keys satisfied.
    region_model.objects.bulk_create(new, batch_size=1000)
    return created, updated
