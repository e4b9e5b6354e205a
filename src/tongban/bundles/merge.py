"""The merged form and the merged material list of a bundle: pure functions over guide dicts.

A guide dict is what the bundle needs of one item's published guide::

    {"name": "新生儿入户", "form_schema": {...JSON Schema...}, "result_license_type": "",
     "materials": [{"name": "出生医学证明", "license_types": ["…"], "necessity": "required"}, …]}

``guides`` maps each item key to its guide dict, in bundle order.

Form: the properties of every item's form_schema, a field of the same name asked once. Two items that
define a field differently in type or allowed values cannot share it: that is a conflict naming the field
and the items, and the first item's definition stays in the schema so the form is still shown.
Other differences (title, length, pattern) keep the first item's definition: they describe one datum.

Materials: a material several items need is asked once. Two materials are one when they have the same
name, else the same licence types, else overlapping licence types (in that order of preference). Two
materials of one item are never merged: the item asked for both. A material whose licence types include
the result licence type of an item it waits for (directly or transitively) comes from that result and is
not asked of the applicant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Guide = Mapping[str, Any]


@dataclass(frozen=True)
class FieldConflict:
    field: str
    items: tuple[str, ...]
    reason: str  # "type" or "enum"


@dataclass(frozen=True)
class MergedForm:
    schema: dict[str, Any]
    fills: dict[str, list[str]]  # item key → the merged fields that fill its form
    conflicts: list[FieldConflict]


def _signature(definition: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    items = definition.get("items") if isinstance(definition.get("items"), Mapping) else {}
    enum = definition.get("enum")
    item_enum = items.get("enum")
    return (
        definition.get("type"),
        tuple(sorted(map(str, enum))) if isinstance(enum, list) else None,
        (items.get("type"), tuple(sorted(map(str, item_enum))) if isinstance(item_enum, list) else None),
    )


def merge_form(guides: Mapping[str, Guide], title: str = "") -> MergedForm:
    properties: dict[str, dict[str, Any]] = {}
    owners: dict[str, list[str]] = {}
    required: list[str] = []
    fills: dict[str, list[str]] = {}
    conflicts: dict[str, FieldConflict] = {}
    for key, guide in guides.items():
        schema = guide.get("form_schema") or {}
        fills[key] = []
        for name, definition in (schema.get("properties") or {}).items():
            fills[key].append(name)
            if name not in properties:
                properties[name] = dict(definition)
                owners[name] = [key]
                continue
            owners[name].append(key)
            mine, first = _signature(definition), _signature(properties[name])
            prior = conflicts.get(name)
            if mine != first:
                reason = "type" if (mine[0], mine[2][0]) != (first[0], first[2][0]) else "enum"
                if prior and prior.reason == "type":
                    reason = "type"
                conflicts[name] = FieldConflict(name, tuple(owners[name]), reason)
            elif prior:  # every item sharing a conflicting field is named
                conflicts[name] = FieldConflict(name, tuple(owners[name]), prior.reason)
        for name in schema.get("required") or []:
            if name not in required:
                required.append(name)
    merged: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": [n for n in required if n in properties],
    }
    if title:
        merged["title"] = title
    return MergedForm(merged, fills, list(conflicts.values()))


@dataclass
class MergedMaterial:
    name: str
    license_types: list[str]
    necessity: str
    serves: list[str] = field(default_factory=list)  # item keys, bundle order
    names: list[str] = field(default_factory=list)  # every name the items give it
    uses: list[tuple[str, str]] = field(default_factory=list)  # (item key, the material's name in its guide)
    from_result_of: str | None = None  # the item whose result provides it

    @property
    def asked(self) -> bool:
        return self.from_result_of is None


def _result_source(
    types: Sequence[str], key: str, guides: Mapping[str, Guide], upstream: Mapping[str, Sequence[str]]
) -> str | None:
    for earlier in upstream.get(key, ()):  # nearest first
        result = guides[earlier].get("result_license_type") or ""
        if result and result in types:
            return earlier
    return None


def _joins(group: MergedMaterial, name: str, types: set[str], key: str, how: str) -> bool:
    if key in group.serves:
        return False  # one item's two materials stay two
    first = set(group.license_types)
    if how == "name":
        return name in group.names
    if how == "same_types":
        return bool(types) and types == first
    return bool(types & first)


def merge_materials(
    guides: Mapping[str, Guide], upstream: Mapping[str, Sequence[str]] | None = None
) -> list[MergedMaterial]:
    """The bundle's material list, in first-asked order; see the module docstring for the rules."""
    upstream = upstream or {}
    groups: list[MergedMaterial] = []
    for key, guide in guides.items():
        for material in guide.get("materials") or []:
            name = material["name"]
            types = list(material.get("license_types") or [])
            source = _result_source(types, key, guides, upstream)
            # Results are shared among themselves only: a licence the bundle produces is not the same
            # thing as a document the applicant brings, even when one licence type could stand for both.
            candidates = [g for g in groups if g.from_result_of == source]
            target = next(
                (
                    g
                    for how in ("name", "same_types", "overlap")
                    for g in candidates
                    if _joins(g, name, set(types), key, how)
                ),
                None,
            )
            if target is None:
                target = MergedMaterial(name, [], "optional", from_result_of=source)
                groups.append(target)
            target.serves.append(key)
            target.uses.append((key, name))
            if name not in target.names:
                target.names.append(name)
            target.license_types += [t for t in types if t not in target.license_types]
            if material.get("necessity", "required") != "optional":
                target.necessity = "required"
    return groups


@dataclass(frozen=True)
class Savings:
    fields_separately: int
    fields_in_bundle: int
    materials_separately: int
    materials_in_bundle: int
    from_results: list[str]  # "出生医学证明 ← birth_cert"

    @property
    def fields_saved(self) -> int:
        return self.fields_separately - self.fields_in_bundle

    @property
    def materials_saved(self) -> int:
        return self.materials_separately - self.materials_in_bundle


def savings(guides: Mapping[str, Guide], form: MergedForm, materials: Sequence[MergedMaterial]) -> Savings:
    """What the applicant gives through the bundle against applying for each item on its own.

    Item by item, every form field and every listed material of every guide counts, as each item's own
    application asks for them; through the bundle, each merged field once and each merged material once,
    and a material that comes from an earlier item's result not at all.
    """
    return Savings(
        fields_separately=sum(len((g.get("form_schema") or {}).get("properties") or {}) for g in guides.values()),
        fields_in_bundle=len(form.schema["properties"]),
        materials_separately=sum(len(g.get("materials") or []) for g in guides.values()),
        materials_in_bundle=sum(1 for m in materials if m.asked),
        from_results=[f"{m.name} ← {m.from_result_of}" for m in materials if not m.asked],
    )
