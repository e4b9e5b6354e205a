"""The catalog import command (事项库导入): check the whole file, then write all of it or nothing.

    report = import_catalog(SYSTEM, "catalog.xlsx")    # raises CatalogImportError, having written nothing
    report = import_catalog(SYSTEM, "catalog.json", dry_run=True)

Every row is checked before anything is written, and every problem is reported with its sheet, row and
column. Re-importing the same file changes nothing: rows are matched by natural keys, and a guide whose
content hash equals the version in force gets no new version. See docs/catalog-import.md.

Like the per-record commands in services.py, the import takes the actor and asks the policy itself
(``catalog.write``): first whether the actor may change the catalog at all, before the file is read,
then for every department and implementation the plan writes, whether it lies in the actor's scope.
The management command and other loaders act as ``tongban.identity.actor.SYSTEM``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from tongban.catalog.transfer import layout as L
from tongban.catalog.transfer.gcpause import cycle_collection_paused
from tongban.catalog.transfer.guides import assemble
from tongban.catalog.transfer.matching import Planner
from tongban.catalog.transfer.plan import Counts, Plan
from tongban.catalog.transfer.problems import CatalogImportError, Collector, Located
from tongban.catalog.transfer.reader import read_book
from tongban.catalog.transfer.rows import read_records
from tongban.catalog.transfer.writer import apply
from tongban.core.messages import Text
from tongban.identity.denied import require

if TYPE_CHECKING:
    from tongban.identity.actor import Actor

WRITE = "catalog.write"


@dataclass
class ImportReport:
    """What an import wrote (or, with dry_run, would write)."""

    counts: dict[str, Counts]
    versions_created: int = 0
    versions_retired: int = 0
    materials_written: int = 0
    reindexed: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        """The summary an operator reads, one line per sheet, in Chinese and English."""
        out = []
        for sheet in L.SHEETS:
            if sheet.key not in self.counts:  # materials are counted with the guide versions
                continue
            n = self.counts[sheet.key]
            out.append(
                f"{sheet.title} ({sheet.key}): 新增 {n.created} created, 更新 {n.updated} updated, "
                f"未变 {n.unchanged} unchanged"
            )
        out.append(
            f"指南版本 guide versions: 新发布 {self.versions_created} published, 废止 {self.versions_retired} retired; "
            f"申请材料 materials written: {self.materials_written}"
        )
        if self.dry_run:
            out.append("试运行，未写入任何数据 (dry run: nothing was written)")
        return out


def import_catalog(actor: Actor, path: str | Path, *, dry_run: bool = False, today: date | None = None) -> ImportReport:
    """Import the catalog from a .json or .xlsx file in the layout of :mod:`.layout`, as ``actor``.

    Raises PolicyDenied (403) when the actor may not change the catalog, or not every region and
    department the file writes to; :class:`CatalogImportError` listing every problem when the file or
    any row is wrong. The database is then untouched. ``dry_run`` checks everything and reports the
    counts without writing.
    """
    require(actor, WRITE)
    with cycle_collection_paused():
        return _import(actor, Path(path), dry_run, today)


def _check_scope(actor: Actor, plan: Plan) -> None:
    """Every department and implementation the plan writes must lie in the actor's scope.

    Items and agreements are node-wide (any catalog administrator); new guide versions and the versions
    they retire belong to implementations, checked here.
    """
    if actor.system:
        return  # every rule allows the system actor: no need to walk the plan
    for dept in (*plan.departments_new, *plan.departments_changed):
        require(actor, WRITE, dept, "departments")
    impls = {id(i): i for i in (*plan.implementations_new, *plan.implementations_relabelled)}
    impls.update((id(v.implementation), v.implementation) for v in plan.versions)
    for impl in impls.values():
        require(actor, WRITE, impl, "implementations")


def _import(actor: Actor, path: Path, dry_run: bool, today: date | None) -> ImportReport:
    book = read_book(path)
    problems = Collector(book.unit)
    records = read_records(book, problems)
    guides = assemble(records, problems)
    try:
        with transaction.atomic():
            # Checking against the database inside the transaction that writes: nothing can change between.
            plan = Planner(records, guides, problems, today or timezone.localdate()).build()
            _check_scope(actor, plan)
            problems.raise_if_any()
            report = ImportReport(
                counts=plan.counts,
                versions_created=len(plan.versions),
                versions_retired=len(plan.retire),
                materials_written=sum(len(v.guide.material_data) for v in plan.versions),
                dry_run=dry_run,
            )
            if not dry_run:
                report.reindexed = apply(plan)
    except (IntegrityError, OperationalError) as exc:
        # Another writer got in between (a unique code taken meanwhile) or held the database locked past
        # the timeout; the transaction rolled back. Other database errors are faults, and propagate.
        raise CatalogImportError(
            [
                Located(
                    None,
                    None,
                    None,
                    "conflict",
                    Text(
                        f"写入时与其他修改冲突或数据库被占用，未写入任何数据，请重试：{exc}",
                        f"the import clashed with another change or a locked database and wrote nothing; "
                        f"try again: {exc}",
                    ),
                )
            ]
        ) from exc
    return report
