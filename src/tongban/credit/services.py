"""Credit commands (信用记录): record an entry, repair one, import a list; and the eligibility read that
intake asks before granting 告知承诺 or 容缺受理.

Each command checks its input (DomainError naming the field, in Chinese and English), asks the policy
whether the actor may do it on the record as it would be written, and writes in one transaction.
Nothing is written when a check fails. Entries are append-only: no command changes or deletes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.catalog.models import Region
from tongban.core.codes import CodeError
from tongban.core.errors import Conflict, DomainError, NotFound
from tongban.core.messages import Text
from tongban.credit import importing, subjects
from tongban.credit.choices import EntryKind, EntrySource, Privilege, SubjectType
from tongban.credit.models import CreditEntry, CreditImport
from tongban.identity.actor import Actor
from tongban.identity.denied import require

if TYPE_CHECKING:
    from tongban.cases.models import Case

# Which entries in force bar which privilege. Basis: 国办发〔2020〕42号 (告知承诺): applicants with serious
# bad credit (失信名单) or a past false commitment are excluded until their credit is repaired; local 容缺受理
# rules exclude applicants on a 失信 list, and since 容缺 rests on a promise to supply materials later, a
# commitment not kept (未履行承诺) bars it too.
BARS: dict[str, frozenset[str]] = {
    Privilege.COMMITMENT: frozenset({EntryKind.DISHONEST, EntryKind.FALSE_COMMITMENT}),
    Privilege.TOLERANCE: frozenset({EntryKind.DISHONEST, EntryKind.FALSE_COMMITMENT, EntryKind.BROKEN_COMMITMENT}),
}

# How long the node's own entries apply, in calendar days from the day they occur (None: until repaired).
# Not a handling deadline, so plain date arithmetic is right here.
DEFAULT_VALIDITY_DAYS: dict[str, int | None] = {
    EntryKind.FALSE_COMMITMENT: 1095,  # three years
    EntryKind.BROKEN_COMMITMENT: 365,
    EntryKind.GOOD_CONDUCT: 365,
    EntryKind.DISHONEST: None,
}

# The most serious entry is named first when several bar a privilege.
_SEVERITY = (EntryKind.DISHONEST, EntryKind.FALSE_COMMITMENT, EntryKind.BROKEN_COMMITMENT)

_KIND_PHRASES: dict[str, Text] = {
    EntryKind.DISHONEST: Text("列入失信名单", "on the dishonest list"),
    EntryKind.FALSE_COMMITMENT: Text("有虚假承诺记录", "recorded for a false commitment"),
    EntryKind.BROKEN_COMMITMENT: Text("有未履行承诺记录", "recorded for a commitment not kept"),
}
_PRIVILEGE_NAMES: dict[str, Text] = {
    Privilege.COMMITMENT: Text("告知承诺", "commitment (告知承诺)"),
    Privilege.TOLERANCE: Text("容缺受理", "tolerance (容缺受理)"),
}
MAX_NOTE = 2000


def rules_markdown() -> str:
    """The barring table and the default validities as Markdown (embedded in docs/credit.md)."""
    kinds = [k for k in EntryKind if k != EntryKind.REPAIR]
    lines = [
        "| entry in force | bars 告知承诺 (commitment) | bars 容缺受理 (tolerance) | default validity (own entries) |"
    ]
    lines.append("|---|---|---|---|")
    for kind in kinds:
        bars = ["yes" if kind in BARS[p] else "no" for p in (Privilege.COMMITMENT, Privilege.TOLERANCE)]
        days = DEFAULT_VALIDITY_DAYS[kind]
        validity = "until repaired" if days is None else f"{days} days"
        lines.append(f"| `{kind.value}` | {bars[0]} | {bars[1]} | {validity} |")
    return "\n".join(lines)


def _fail(field: str | None, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


# --- eligibility ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Whether a subject may have a privilege; when not, why (``reason``) and which entries bar it."""

    allowed: bool
    reason: Text | None
    blocking: tuple[CreditEntry, ...]

    def __bool__(self) -> bool:
        return self.allowed


def _reason(entry: CreditEntry, privilege: str, others: int) -> Text:
    phrase = _KIND_PHRASES[entry.kind]
    name = _PRIVILEGE_NAMES[privilege]
    since = entry.occurred_on.isoformat()
    if entry.valid_until is None:
        until = Text("信用修复前", "until repaired")
    else:
        until = Text(
            f"{entry.valid_until.isoformat()}前（或信用修复前）", f"until {entry.valid_until.isoformat()} or repaired"
        )
    more = Text(f"；另有{others}条记录", f"; {others} more entries") if others else Text("", "")
    return Text(
        f"自{since}起{phrase.zh}（来源：{entry.source_name}），{until.zh}不能适用{name.zh}{more.zh}",
        f"{phrase.en} since {since} (source: {entry.source_name}) {until.en}: {name.en} is not available{more.en}",
    )


def eligibility(*, subject_type: str, subject_code: str, privilege: str, on: date | None = None) -> Eligibility:
    """May this subject have ``privilege`` on day ``on`` (default today)? A pure read, no policy check.

    An entry counts when it is in force that day (begun, not expired, not repaired) and its kind is in
    ``BARS[privilege]``.
    """
    if privilege not in BARS:
        raise _fail(
            "privilege",
            "invalid_choice",
            f"便利措施“{privilege}”无效，可选：{'、'.join(Privilege.values)}",
            f"'{privilege}' is not a privilege; choose from {', '.join(Privilege.values)}",
        )
    if subject_type not in SubjectType.values:
        raise _fail(
            "subject_type",
            "invalid_choice",
            f"主体类型“{subject_type}”无效，可选：{'、'.join(SubjectType.values)}",
            f"'{subject_type}' is not a subject type; choose from {', '.join(SubjectType.values)}",
        )
    day = on or timezone.localdate()
    entries = list(
        CreditEntry.objects.for_subject(subject_type, subjects.normalise(subject_code))
        .filter(kind__in=BARS[privilege])
        .in_force(day)
        .order_by("occurred_on", "id")
    )
    if not entries:
        return Eligibility(True, None, ())
    entries.sort(key=lambda e: _SEVERITY.index(e.kind))  # stable: the oldest of the most serious first
    return Eligibility(False, _reason(entries[0], privilege, len(entries) - 1), tuple(entries))


def eligibility_for_case(case: Case, privilege: str, on: date | None = None) -> Eligibility:
    """``eligibility`` of the case's applicant (the organisation when there is one, else the person)."""
    subject_type, code, _ = subjects.subject_of_case(case)
    return eligibility(subject_type=subject_type, subject_code=code, privilege=privilege, on=on)


# --- recording --------------------------------------------------------------------------------------


def _text(field: str, value: str | None, limit: int, zh: str, en: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _fail(field, "required", f"请填写{zh}", f"{en} is required")
    if len(text) > limit:
        raise _fail(field, "too_long", f"{zh}不能超过{limit}个字符", f"{en} has at most {limit} characters")
    return text


def _kind(kind: str, allowed: frozenset[str]) -> str:
    if kind not in EntryKind.values:
        raise _fail(
            "kind",
            "invalid_choice",
            f"记录类型“{kind}”无效，可选：{'、'.join(sorted(allowed))}",
            f"'{kind}' is not a kind of entry; choose from {', '.join(sorted(allowed))}",
        )
    if kind == EntryKind.REPAIR and kind not in allowed:
        raise _fail(
            "kind",
            "use_repair",
            "信用修复请对被修复的记录执行“信用修复”",
            "record a credit repair with the repair action on the entry it repairs",
        )
    return kind


def _not_in_future(field: str, day: date) -> None:
    if day > timezone.localdate():
        raise _fail(field, "in_the_future", "日期不能晚于今天", "the date cannot be later than today")


def _home_region(actor: Actor, field: str = "region") -> Region:
    """Where an actor's entries are placed: their assignment's region; the node's region for the system."""
    if actor.assignment is not None:
        return actor.assignment.region
    region = Region.objects.filter(code=settings.TONGBAN_REGION).first()
    if region is None:
        raise _fail(
            field,
            "unknown_region",
            f"本节点的地区（TONGBAN_REGION={settings.TONGBAN_REGION}）不在行政区划表中",
            f"this node's region (TONGBAN_REGION={settings.TONGBAN_REGION}) is not a known region",
        )
    return region


def _recorder(actor: Actor) -> Any:
    return actor.user if actor.user_id else None


@transaction.atomic
def record_from_case(
    case: Case, kind: str, *, decision: str, note: str = "", occurred_on: date | None = None
) -> CreditEntry:
    """An entry the node records from its own case (source ``tongban``), e.g. a false commitment found at
    事后核查, or a 容缺 material not supplied in time.

    Called inside case commands, which have checked the actor's right on the case: no policy check here.
    The entry is placed in the case's handling region and valid for ``DEFAULT_VALIDITY_DAYS[kind]``.
    """
    kind = _kind(kind, frozenset(DEFAULT_VALIDITY_DAYS))
    decision = _text("decision", decision, 200, "决定文书", "the decision")
    note = _text("note", note, MAX_NOTE, "说明", "the note")
    day = occurred_on or timezone.localdate()
    days = DEFAULT_VALIDITY_DAYS[kind]
    subject_type, code, name = subjects.subject_of_case(case)
    entry = CreditEntry(
        subject_type=subject_type,
        subject_code=code,
        subject_name=name,
        kind=kind,
        source=EntrySource.TONGBAN,
        source_name=case.department.name,
        occurred_on=day,
        valid_until=day + timedelta(days=days) if days is not None else None,
        region_id=case.region_id,
        case=case,
        decision=decision,
        note=note,
    )
    entry.save()
    return entry


@transaction.atomic
def record_entry(
    actor: Actor,
    *,
    subject_type: str,
    subject_code: str,
    subject_name: str,
    kind: str,
    occurred_on: date | None,
    valid_until: date | None = None,
    source_name: str = "",
    decision: str = "",
    note: str = "",
) -> CreditEntry:
    """A supervisor records an entry by hand (source ``manual``) in their assignment's region."""
    require(actor, "credit.record")
    try:
        subject_type = subjects.validate_subject_type(subject_type)
    except CodeError as exc:
        raise DomainError.from_code_error("subject_type", exc) from exc
    try:
        code = subjects.validate_subject_code(subject_type, subject_code)
    except CodeError as exc:
        raise DomainError.from_code_error("subject_code", exc) from exc
    name = _text("subject_name", subject_name, 200, "主体名称", "the subject's name", required=True)
    kind = _kind((kind or "").strip(), frozenset(EntryKind.values) - {EntryKind.REPAIR})
    if occurred_on is None:
        raise _fail("occurred_on", "required", "请填写起始日期", "give the day the entry takes effect")
    _not_in_future("occurred_on", occurred_on)
    if valid_until is not None and valid_until < occurred_on:
        raise _fail("valid_until", "before_start", "有效期截止日早于起始日期", "valid_until is before occurred_on")
    region = _home_region(actor)
    entry = CreditEntry(
        subject_type=subject_type,
        subject_code=code,
        subject_name=name,
        kind=kind,
        source=EntrySource.MANUAL,
        source_name=_text("source_name", source_name, 200, "来源", "the source") or region.full_name,
        occurred_on=occurred_on,
        valid_until=valid_until,
        region=region,
        decision=_text("decision", decision, 200, "决定文书", "the decision"),
        note=_text("note", note, MAX_NOTE, "说明", "the note"),
        recorded_by=_recorder(actor),
    )
    require(actor, "credit.record", entry)
    entry.save()
    return entry


@transaction.atomic
def repair(
    actor: Actor, entry: CreditEntry, *, decision: str, note: str = "", occurred_on: date | None = None
) -> CreditEntry:
    """信用修复: append a repair entry that ends ``entry`` from ``occurred_on`` (default today).

    The repair is placed with the entry it repairs, so whoever sees one sees the other.
    """
    try:
        entry = CreditEntry.objects.select_for_update().select_related("region").get(pk=entry.pk)
    except CreditEntry.DoesNotExist as exc:
        raise NotFound.single("entry", "not_found", "信用记录不存在", "no such credit entry") from exc
    require(actor, "credit.record", entry)
    if entry.kind == EntryKind.REPAIR:
        raise Conflict.single("entry", "not_repairable", "修复记录本身不能被修复", "a repair cannot itself be repaired")
    if entry.kind == EntryKind.GOOD_CONDUCT:
        raise _fail("entry", "not_repairable", "守信记录无需修复", "a good-conduct entry is not repaired")
    existing = CreditEntry.objects.filter(repairs=entry).first()
    if existing is not None:
        raise Conflict.single(
            "entry",
            "already_repaired",
            f"该记录已于{existing.occurred_on.isoformat()}修复",
            f"the entry was already repaired on {existing.occurred_on.isoformat()}",
        )
    decision = _text("decision", decision, 200, "修复决定", "the repair decision", required=True)
    day = occurred_on or timezone.localdate()
    _not_in_future("occurred_on", day)
    if day < entry.occurred_on:
        raise _fail(
            "occurred_on",
            "before_entry",
            f"修复日期早于被修复记录的起始日期（{entry.occurred_on.isoformat()}）",
            f"the repair is dated before the entry it repairs ({entry.occurred_on.isoformat()})",
        )
    region = actor.assignment.region if actor.assignment is not None else entry.region
    fixed = CreditEntry(
        subject_type=entry.subject_type,
        subject_code=entry.subject_code,
        subject_name=entry.subject_name,
        kind=EntryKind.REPAIR,
        source=EntrySource.MANUAL,
        source_name=region.full_name,
        occurred_on=day,
        region=entry.region,
        decision=decision,
        note=_text("note", note, MAX_NOTE, "说明", "the note"),
        repairs=entry,
        recorded_by=_recorder(actor),
    )
    try:
        with transaction.atomic():
            fixed.save()
    except IntegrityError as exc:  # repaired concurrently by someone else
        raise Conflict.single("entry", "already_repaired", "该记录已修复", "the entry was already repaired") from exc
    return fixed


# --- importing --------------------------------------------------------------------------------------


@transaction.atomic
def import_entries(actor: Actor, *, upload: IO[bytes], name: str, source_name: str) -> CreditImport:
    """Import a list published by another body (CSV or JSON in the layout of layout.py), all or nothing.

    Rows already stored for the same source and ``source_ref`` are skipped, so a list can be imported
    again after it grew; the result counts the new rows (``rows``) and the skipped ones (``skipped``).
    """
    require(actor, "credit.import")
    source_name = _text("source_name", source_name, 200, "名单来源", "the source", required=True)
    region = _home_region(actor)
    fmt, sha256, rows, unit = importing.read(upload, name)
    plan = importing.check(rows, unit, source_name, fmt, sha256)
    batch = CreditImport(
        source_name=source_name,
        file_name=_text("file", name, 255, "文件名", "the file name", required=True),
        sha256=plan.sha256,
        format=plan.format,
        rows=len(plan.new),
        skipped=plan.skipped,
        region=region,
        imported_by=_recorder(actor),
    )
    batch.save()
    recorder = _recorder(actor)

    def entry(row: importing.Checked, repairs_id: int | None = None) -> CreditEntry:
        return CreditEntry(
            subject_type=row.subject_type,
            subject_code=row.subject_code,
            subject_name=row.subject_name,
            kind=row.kind,
            source=EntrySource.IMPORT,
            source_name=source_name,
            source_ref=row.source_ref,
            occurred_on=row.occurred_on,
            valid_until=row.valid_until,
            region=region,
            decision=row.decision,
            note=row.note,
            repairs_id=repairs_id,
            batch=batch,
            recorded_by=recorder,
        )

    try:
        with transaction.atomic():
            created = CreditEntry.objects.bulk_create(
                [entry(r) for r in plan.new if r.kind != EntryKind.REPAIR], batch_size=1000
            )
            ids = {e.source_ref: e.pk for e in created}
            ids.update(plan.stored_targets)
            CreditEntry.objects.bulk_create(
                [entry(r, ids[r.repairs_ref]) for r in plan.new if r.kind == EntryKind.REPAIR], batch_size=1000
            )
    except IntegrityError as exc:  # the same list imported concurrently
        raise Conflict.single(
            "file",
            "concurrent_import",
            "同一来源的名单正在被同时导入，请稍后重试",
            "the same source's list was imported at the same moment; try again",
        ) from exc
    return batch


__all__ = [
    "BARS",
    "DEFAULT_VALIDITY_DAYS",
    "Eligibility",
    "eligibility",
    "eligibility_for_case",
    "import_entries",
    "record_entry",
    "record_from_case",
    "repair",
    "rules_markdown",
]
