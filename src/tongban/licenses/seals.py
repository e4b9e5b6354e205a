"""Seal commands (电子印章管理): create a department's seal, rotate it, revoke it; find the seal in force
and sign with it; draw a seal's picture.

The commands take the actor first, check their input (DomainError naming the field, in Chinese and
English), ask the policy (``seal.manage``, placed by the seal's department) and write in one transaction.
The private key is made and used only through the configured key store.
"""

from __future__ import annotations

import math
from datetime import datetime
from xml.sax.saxutils import escape

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from tongban.catalog.models import Department
from tongban.core.errors import Conflict, DomainError
from tongban.identity.actor import Actor
from tongban.identity.denied import require
from tongban.licenses.keystore import KeyStore, KeyStoreError, keystore
from tongban.licenses.models import Seal, SealKind

__all__ = [
    "DEFAULT_YEARS",
    "DIAMETER_MM",
    "add_years",
    "create_seal",
    "current_seal",
    "revoke",
    "rotate",
    "seal_picture",
    "sign",
]

DEFAULT_YEARS = 3
DIAMETER_MM = 42  # the usual size of an organ's round official seal
MAX_NAME = 64
MAX_REASON = 500
MAX_SERIAL = 9999


def _fail(field: str, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


# --- commands ---------------------------------------------------------------------------------------


@transaction.atomic
def create_seal(
    actor: Actor,
    *,
    department: Department,
    name: str = "",
    kind: int = SealKind.ORGANISATION,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Seal:
    """A new seal for ``department`` with a new key; by default named after the department (its full
    name, as on its physical seal), valid from now for three years."""
    require(actor, "seal.manage", department, field="department")
    name = _checked_name(name or department.name)
    kind = _checked_kind(kind)
    valid_from, valid_to = _checked_validity(valid_from, valid_to)
    return _make(department, name=name, kind=kind, valid_from=valid_from, valid_to=valid_to)


@transaction.atomic
def rotate(actor: Actor, seal: Seal) -> Seal:
    """Replace a seal by a new one with a new key and id; the old one ends now but is not revoked, so
    what it signed before stays valid."""
    require(actor, "seal.manage", seal.department, field="seal")
    old = Seal.objects.select_for_update().get(pk=seal.pk)
    now = timezone.now()
    if old.revoked_at is not None:
        raise Conflict.single(
            "seal",
            "seal_revoked",
            f"电子印章{old.seal_id}已吊销，不能更换；请新建印章",
            f"seal {old.seal_id} is revoked and cannot be rotated; create a new seal instead",
        )
    if old.valid_to <= now:
        raise Conflict.single(
            "seal",
            "seal_expired",
            f"电子印章{old.seal_id}已于{_local(old.valid_to)}失效，不能更换；请新建印章",
            f"seal {old.seal_id} ended at {_local(old.valid_to)} and cannot be rotated; create a new seal instead",
        )
    new = _make(old.department, name=old.name, kind=old.kind, valid_from=now, valid_to=add_years(now, DEFAULT_YEARS))
    old.valid_to = now
    old.save(update_fields=["valid_to"])
    seal.valid_to = now
    return new


@transaction.atomic
def revoke(actor: Actor, seal: Seal, *, reason: str) -> Seal:
    """Revoke a seal from now on (吊销): it signs nothing more; what it signed before stays verifiable as
    of its time. Its private key is erased once the revocation is committed, when the store can erase."""
    require(actor, "seal.manage", seal.department, field="seal")
    reason = (reason or "").strip()
    if not reason:
        raise _fail("reason", "required", "吊销电子印章须说明原因", "give the reason for revoking the seal")
    if len(reason) > MAX_REASON:
        raise _fail(
            "reason",
            "too_long",
            f"吊销原因不能超过{MAX_REASON}个字符",
            f"the reason may be at most {MAX_REASON} characters",
        )
    locked = Seal.objects.select_for_update().get(pk=seal.pk)
    if locked.revoked_at is not None:
        raise Conflict.single(
            "seal",
            "already_revoked",
            f"电子印章{locked.seal_id}已于{_local(locked.revoked_at)}吊销",
            f"seal {locked.seal_id} was already revoked at {_local(locked.revoked_at)}",
        )
    locked.revoked_at = timezone.now()
    locked.revocation_reason = reason
    locked.revoked_by = str(actor)[:200]
    locked.save(update_fields=["revoked_at", "revocation_reason", "revoked_by"])
    seal.revoked_at, seal.revocation_reason, seal.revoked_by = locked.revoked_at, reason, locked.revoked_by
    store = keystore()
    # Robust: the revocation stands even if erasing the key fails; the seal refuses to sign either way.
    transaction.on_commit(lambda: _destroy(store, locked.seal_id), robust=True)
    return locked


# --- reading and signing ----------------------------------------------------------------------------


def current_seal(department: Department, at: datetime | None = None) -> Seal:
    """The department's seal in force at ``at`` (now): valid then and not revoked; the newest wins."""
    at = at or timezone.now()
    seal = (
        Seal.objects.filter(department=department, valid_from__lte=at, valid_to__gte=at)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .select_related("department")
        .order_by("-valid_from", "-id")
        .first()
    )
    if seal is None:
        raise Conflict.single(
            "department",
            "no_seal",
            f"“{department.name}”（{department.uscc}）在{_local(at)}没有可用的电子印章；请先制作印章",
            f"department '{department.name}' ({department.uscc}) has no usable electronic seal at {_local(at)}; "
            "create one first",
        )
    return seal


def sign(seal: Seal, data: bytes, *, at: datetime | None = None) -> bytes:
    """The seal's SM2 signature (SM3withSM2, DER) over ``data``, made at ``at`` (now).

    A revoked seal signs nothing, whatever ``at`` says; an expired one or one not yet valid at ``at`` is
    refused. The seal's state is read again first, so a revocation in another process counts at once.
    """
    at = at or timezone.now()
    seal.refresh_from_db(fields=["revoked_at", "revocation_reason", "valid_from", "valid_to"])
    if seal.revoked_at is not None:
        raise seal.revoked_problem()
    problem = seal.problem_at(at)
    if problem is not None:
        raise problem
    try:
        return keystore().sign(seal.seal_id, data)
    except KeyStoreError as exc:
        raise DomainError.single(
            "seal",
            "seal_key_unavailable",
            f"电子印章{seal.seal_id}的私钥无法使用，请联系节点管理员",
            f"the private key of seal {seal.seal_id} cannot be used ({exc}); tell the node operator",
            503,
        ) from exc


# --- the parts --------------------------------------------------------------------------------------


def _make(department: Department, *, name: str, kind: int, valid_from: datetime, valid_to: datetime) -> Seal:
    # The department row is locked so two creations cannot pick the same serial.
    department = Department.objects.select_for_update().get(pk=department.pk)
    seal_id = _next_seal_id(department)
    store = keystore()
    # No row has this id, so a key under it is left from a creation that was rolled back: replace it.
    _destroy(store, seal_id)
    try:
        public = store.create(seal_id)
    except KeyStoreError as exc:
        raise DomainError.single(
            "seal",
            "seal_key_unavailable",
            "无法为电子印章生成密钥，请联系节点管理员",
            f"the key store could not make a key for the seal ({exc}); tell the node operator",
            503,
        ) from exc
    return Seal.objects.create(
        seal_id=seal_id,
        kind=kind,
        name=name,
        department=department,
        key_id=public.fingerprint(),
        public_key=public.to_pem(),
        valid_from=valid_from,
        valid_to=valid_to,
        picture=seal_picture(name),
        width_mm=DIAMETER_MM,
        height_mm=DIAMETER_MM,
    )


def _next_seal_id(department: Department) -> str:
    last = Seal.objects.filter(seal_id__startswith=department.uscc).aggregate(last=Max("seal_id"))["last"]
    serial = int(last[len(department.uscc) :]) + 1 if last else 1
    if serial > MAX_SERIAL:
        raise Conflict.single(
            "department",
            "seal_serials_used_up",
            f"“{department.name}”的电子印章序号已用完（最多{MAX_SERIAL}枚）",
            f"department '{department.name}' has used all {MAX_SERIAL} seal serials",
        )
    return f"{department.uscc}{serial:04d}"


def _destroy(store: KeyStore, seal_id: str) -> None:
    destroy = getattr(store, "destroy", None)
    if destroy is not None:
        destroy(seal_id)


def _checked_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise _fail("name", "required", "电子印章名称不能为空", "the seal's name may not be empty")
    if len(name) > MAX_NAME:
        raise _fail(
            "name",
            "too_long",
            f"电子印章名称不能超过{MAX_NAME}个字",
            f"the seal's name may be at most {MAX_NAME} characters",
        )
    return name


def _checked_kind(kind: int) -> int:
    if kind not in SealKind.values:
        raise _fail(
            "kind",
            "invalid",
            "印章类型应为1（单位印章）或2（个人印章）",
            "the seal type must be 1 (organisation) or 2 (personal)",
        )
    return int(kind)


def _checked_validity(valid_from: datetime | None, valid_to: datetime | None) -> tuple[datetime, datetime]:
    for field, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if value is not None and timezone.is_naive(value):
            raise _fail(field, "no_time_zone", "时间须带时区", f"{field} must carry a time zone")
    start = valid_from or timezone.now()
    end = valid_to or add_years(start, DEFAULT_YEARS)
    if end <= start:
        raise _fail(
            "valid_to",
            "before_start",
            "电子印章的失效时间须晚于生效时间",
            "the seal's end of validity must come after its start",
        )
    return start, end


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


# --- the picture ------------------------------------------------------------------------------------

_RED = "#d7000f"
_UNITS = 10  # drawing units per millimetre: the SVG is drawn in 0.1 mm
_FONTS = "'Noto Serif CJK SC', 'Noto Sans CJK SC', serif"


def seal_picture(name: str) -> str:
    """A round red official seal as SVG, 42 mm across: a red ring, a five-pointed star in the middle
    and ``name`` set clockwise along the upper arc, as organs' seals are cut. The same name always gives
    the same bytes."""
    size = DIAMETER_MM * _UNITS
    centre = size / 2
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{DIAMETER_MM}mm" height="{DIAMETER_MM}mm" '
        f'viewBox="0 0 {size} {size}">',
        f"<title>{escape(name)}</title>",
        f'<circle cx="{centre:g}" cy="{centre:g}" r="{centre - 12:g}" fill="none" stroke="{_RED}" stroke-width="12"/>',
        f'<polygon points="{_star_points(centre, centre, 70)}" fill="{_RED}"/>',
        *_arc_text(name, centre),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _star_points(cx: float, cy: float, outer: float) -> str:
    """The ten corners of a regular five-pointed star, one point straight up."""
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))  # the regular star's ratio
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


def _arc_text(name: str, centre: float) -> list[str]:
    """One <text> per character, each turned about the centre so it stands upright on the arc.

    Placing characters one by one, rather than with <textPath>, draws the same in browsers, PDF and OFD
    converters, and keeps the spacing independent of the font's metrics."""
    chars = list(name)
    if not chars:
        return []
    top = centre - 24  # where the characters' heads stop: the ring's inner edge is at centre - 18
    # Degrees of arc the name covers: short names are spread, long ones take up to about two thirds.
    span = min(250.0, max(150.0, 24.0 * (len(chars) - 1))) if len(chars) > 1 else 0.0
    step = span / (len(chars) - 1) if len(chars) > 1 else 0.0
    per_char = (top - 30) * math.radians(step) if step else 80.0  # arc length each character gets
    height = min(60.0, max(24.0, per_char * 1.15))
    squeeze = min(0.8, per_char * 0.85 / height)  # official seals use tall, narrow characters
    feet = top - 0.88 * height  # CJK glyphs rise about 0.88 em above the baseline
    texts = []
    for i, char in enumerate(chars):
        angle = -span / 2 + step * i
        texts.append(
            f'<text transform="rotate({angle:.2f} {centre:g} {centre:g}) translate({centre:g} {centre - feet:.2f}) '
            f'scale({squeeze:.3f} 1)" text-anchor="middle" font-family="{_FONTS}" font-size="{height:.1f}" '
            f'font-weight="700" fill="{_RED}">{escape(char)}</text>'
        )
    return texts
