"""The import plan (导入计划): what an import will write, as built by :mod:`.matching` for :mod:`.writer`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from tongban.catalog.models import Agreement, Department, ItemImplementation, ServiceItem
from tongban.catalog.transfer.guides import Guide
from tongban.catalog.transfer.problems import Collector
from tongban.catalog.transfer.rows import Record

T = TypeVar("T")
CHUNK = 500  # values per IN (…) list: far below every database's limit on query parameters

MATCHED = ("departments", "items", "implementations", "agreements")  # sheets whose rows are matched by key
DEPARTMENT_FIELDS = ("name", "kind", "phone", "address")
ITEM_FIELDS = ("name", "item_type", "legal_basis", "exercise_levels", "handling_kind", "aliases", "keywords")
AGREEMENT_FIELDS = ("kind", "modes", "effective_from", "effective_to", "note")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class NewVersion:
    implementation: ItemImplementation
    number: int
    guide: Guide


@dataclass
class AgreementWrite:
    agreement: Agreement
    region_codes: list[str]
    items: list[ServiceItem]


@dataclass
class Plan:
    """Everything the import will write, and the counts it will report."""

    today: date
    departments_new: list[Department] = field(default_factory=list)
    departments_changed: list[Department] = field(default_factory=list)
    items_new: list[ServiceItem] = field(default_factory=list)  # parents before children
    items_changed: list[ServiceItem] = field(default_factory=list)
    implementations_new: list[ItemImplementation] = field(default_factory=list)
    implementations_relabelled: list[ItemImplementation] = field(default_factory=list)  # local code changed
    versions: list[NewVersion] = field(default_factory=list)
    retire: list[int] = field(default_factory=list)  # implementations whose published version retires
    agreements_new: list[AgreementWrite] = field(default_factory=list)
    agreements_changed: list[AgreementWrite] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)


def duplicate(problems: Collector, rec: Record, column: str, first: Record, what: str) -> None:
    problems.add(
        rec.sheet,
        rec.row,
        column,
        "duplicate",
        f"{what}与第{first.row}{'条' if problems.unit == 'entry' else '行'}重复",
        f"{column} repeats {rec.sheet} {problems.unit} {first.row}",
    )
    rec.bad.add(column)
