"""`tongban seal …`: the electronic seals (电子印章) of this node's issuing departments, for node operators.

tongban seal create --department ID|USCC [--name NAME] [--years N] [--kind 1|2]   a new seal and key
tongban seal list [--department ID|USCC]                  seals with their state
tongban seal rotate SEAL_ID                               a new seal and key; the old one ends now
tongban seal revoke SEAL_ID --reason TEXT                 stop a seal for good (its key is erased)
tongban seal export [--out FILE]                          public parts, for the federation operator's
                                                          `tongban federation trust-add-seals`

Every verb acts as the system actor: whoever runs the node's shell is its operator.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tongban.catalog.models import Department
from tongban.core.errors import DomainError
from tongban.identity.actor import SYSTEM
from tongban.licenses import seals
from tongban.licenses.models import Seal

EXPORT_FORMAT = 1


def _department(value: str) -> Department:
    """A department by database id or by its 18-character USCC."""
    found = Department.objects.filter(uscc=value.upper()).first()
    if found is None and value.isdigit() and len(value) < 18:
        found = Department.objects.filter(pk=int(value)).first()
    if found is None:
        raise CommandError(f"no department with id or USCC {value!r}")
    return found


def _seal(seal_id: str) -> Seal:
    try:
        return Seal.objects.select_related("department").get(seal_id=seal_id)
    except Seal.DoesNotExist as exc:
        raise CommandError(f"no seal {seal_id!r}") from exc


def _state(seal: Seal, now: datetime) -> str:
    if seal.revoked_at is not None:
        return f"revoked {timezone.localtime(seal.revoked_at):%Y-%m-%d %H:%M}"
    if now < seal.valid_from:
        return "not yet valid"
    if now > seal.valid_to:
        return f"ended {timezone.localtime(seal.valid_to):%Y-%m-%d %H:%M}"
    return "in force"


def export_document(queryset: Any = None) -> dict[str, Any]:
    """This node's seals, every state included, as `trust-add-seals` reads them."""
    rows = (queryset if queryset is not None else Seal.objects.all()).select_related("department")
    return {
        "format": EXPORT_FORMAT,
        "node_id": settings.TONGBAN_NODE_ID,
        "exported_at": timezone.now().isoformat(),
        "seals": [seal.public_dict() for seal in rows.order_by("seal_id")],
    }


class Command(BaseCommand):
    help = "Electronic seals of this node's departments (see docs/seals.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a department's seal and its key")
        create.add_argument("--department", required=True, help="the department's id or USCC")
        create.add_argument("--name", default="", help="the name on the seal (default: the department's name)")
        create.add_argument("--years", type=int, default=seals.DEFAULT_YEARS, help="how long the seal is valid")
        create.add_argument("--kind", type=int, default=1, choices=(1, 2), help="1 organisation, 2 personal")
        listing = sub.add_parser("list", help="the seals and their state")
        listing.add_argument("--department", help="only this department's (id or USCC)")
        rotate = sub.add_parser("rotate", help="replace a seal by a new one with a new key")
        rotate.add_argument("seal_id")
        revoke = sub.add_parser("revoke", help="revoke a seal from now on")
        revoke.add_argument("seal_id")
        revoke.add_argument("--reason", required=True)
        export = sub.add_parser("export", help="write the seals' public parts as JSON for the trust list")
        export.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["verb"])(options)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, o: dict[str, Any]) -> None:
        if o["years"] < 1:
            raise CommandError("--years must be at least 1")
        start = timezone.now()
        seal = seals.create_seal(
            SYSTEM,
            department=_department(o["department"]),
            name=o["name"],
            kind=o["kind"],
            valid_from=start,
            valid_to=seals.add_years(start, o["years"]),
        )
        self.stdout.write(f"seal {seal.seal_id} “{seal.name}” created, valid to {seal.valid_to:%Y-%m-%d}")
        self.stdout.write(f"key id {seal.key_id}; publish it: tongban seal export, then trust-add-seals")

    def _list(self, o: dict[str, Any]) -> None:
        rows = Seal.objects.select_related("department")
        if o.get("department"):
            rows = rows.filter(department=_department(o["department"]))
        now = timezone.now()
        for seal in rows:
            self.stdout.write(
                f"{seal.seal_id}  {seal.name}  {timezone.localtime(seal.valid_from):%Y-%m-%d}"
                f"–{timezone.localtime(seal.valid_to):%Y-%m-%d}  {_state(seal, now)}  {seal.key_id[:16]}…"
            )

    def _rotate(self, o: dict[str, Any]) -> None:
        new = seals.rotate(SYSTEM, _seal(o["seal_id"]))
        self.stdout.write(f"seal {o['seal_id']} ended; its successor is {new.seal_id} (key id {new.key_id})")
        self.stdout.write("publish both: tongban seal export, then trust-add-seals")

    def _revoke(self, o: dict[str, Any]) -> None:
        seal = seals.revoke(SYSTEM, _seal(o["seal_id"]), reason=o["reason"])
        self.stdout.write(f"seal {seal.seal_id} revoked at {timezone.localtime(seal.revoked_at):%Y-%m-%d %H:%M:%S}")
        self.stdout.write("publish the revocation at once: tongban seal export, then trust-add-seals")

    def _export(self, o: dict[str, Any]) -> None:
        document = export_document()
        text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
        if not o.get("out"):
            self.stdout.write(text, ending="")
            return
        Path(o["out"]).write_text(text, encoding="utf-8")
        self.stdout.write(f"{len(document['seals'])} seals of node {document['node_id']} written to {o['out']}")
