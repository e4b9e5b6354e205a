"""`tongban federation …`: keys, the trust list, and the message log, for node and federation operators.

tongban federation keygen [--out FILE] [--password-env VAR]   this node's signing key (prints its public key)
tongban federation operator-keygen --out FILE                the federation operator's key pair
tongban federation trust-new --out LIST [--version N]        an empty, unsigned trust list body
tongban federation trust-add-node LIST --node ID --name NAME --regions 411500,… --url URL --key PUB.pem [--days N]
tongban federation trust-rotate LIST --node ID --key NEW.pem [--overlap-days N]
tongban federation trust-revoke LIST --node ID --key-id KEYID
tongban federation trust-add-seals LIST SEALS.json --node ID   a node's electronic seals (from `tongban seal export`)
tongban federation trust-sign LIST --operator-key FILE --out SIGNED   sign (bumps the version)
tongban federation refresh                                   fetch and accept TONGBAN_TRUST_LIST now
tongban federation ping NODE [--note TEXT]                   queue a node.ping (the worker delivers it)
tongban federation deliver                                   one delivery round now
tongban federation log [--dead] [--refused]                  the outbox, dead letters, refusals
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tongban.core.errors import DomainError
from tongban.federation import delivery, node, services, trust
from tongban.federation.models import OutboxMessage, OutboxState, RefusedMessage
from tongban.federation.sm2 import PrivateKey, PublicKey, SM2Error
from tongban.identity.actor import SYSTEM


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _write_private(path: Path, key: PrivateKey, password: bytes | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key.to_pem(password), encoding="ascii")
    path.chmod(0o600)


def _read_body(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the trust list body {path}: {exc}") from exc
    return data.get("body", data)  # a signed list can be edited again: its body is taken


def _write_body(path: Path, body: dict[str, Any]) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _node(body: dict[str, Any], node_id: str) -> dict[str, Any]:
    for entry in body["nodes"]:
        if entry["node_id"] == node_id:
            return entry
    raise CommandError(f"node {node_id!r} is not on the list")


def _public(path: str) -> PublicKey:
    try:
        return PublicKey.from_pem(Path(path).read_bytes())
    except (OSError, SM2Error) as exc:
        raise CommandError(f"cannot read the public key {path}: {exc}") from exc


def _key_entry(public: PublicKey, valid_from: datetime, days: int) -> dict[str, Any]:
    return {
        "key_id": public.fingerprint(),
        "public_key": public.to_pem(),
        "valid_from": valid_from.isoformat(),
        "valid_to": (valid_from + timedelta(days=days)).isoformat(),
        "revoked_at": None,
    }


def _read_seals(path: Path, node_id: str) -> list[dict[str, Any]]:
    """The seals in an export (``{"node_id", "seals"}``) or a bare list, each checked as load() will."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the seals file {path}: {exc}") from exc
    if isinstance(data, dict):
        if data.get("node_id") not in (None, node_id):
            raise CommandError(f"{path} holds the seals of node {data['node_id']!r}, not {node_id!r}")
        data = data.get("seals")
    if not isinstance(data, list):
        raise CommandError(f"{path} holds no list of seals")
    seen: set[str] = set()
    for raw in data:
        try:
            seal_id = trust.seal_entry(raw, node_id).seal_id
        except trust.TrustError as exc:
            raise CommandError(f"{path}: {exc.text.en}") from exc
        if seal_id in seen:
            raise CommandError(f"{path} names seal {seal_id} twice")
        seen.add(seal_id)
    return data


def _merged_seals(earlier: list[dict[str, Any]], fresh: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The fresh list replaces the earlier one, but nothing that can no longer sign is dropped: a revoked
    or ended seal missing from the export stays, so what it signed stays verifiable; and a revocation
    once published stands even if the export does not repeat it."""
    by_id = {s["seal_id"]: s for s in earlier}
    merged = []
    for seal in fresh:
        old = by_id.pop(seal["seal_id"], None)
        if old and old.get("revoked_at") and not seal.get("revoked_at"):
            seal = {**seal, "revoked_at": old["revoked_at"]}
        merged.append(seal)
    for old in by_id.values():
        if old.get("revoked_at") or _ended(old, now):
            merged.append(old)
    return merged


def _ended(seal: dict[str, Any], now: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(seal.get("valid_to"))) <= now
    except (TypeError, ValueError):
        return False  # unreadable, and load() would refuse the whole list for it: not kept


class Command(BaseCommand):
    help = "Federation keys, trust list and message log (see docs/federation.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        keygen = sub.add_parser("keygen", help="create this node's SM2 signing key")
        keygen.add_argument("--out", help="key file (default: TONGBAN_FEDERATION_KEY or <var>/federation/node-key.pem)")
        keygen.add_argument("--password-env", help="encrypt the key with the password in this environment variable")
        keygen.add_argument("--force", action="store_true", help="replace an existing key file")
        op = sub.add_parser("operator-keygen", help="create the federation operator's key pair")
        op.add_argument("--out", required=True, help="private key file; the public key goes beside it (.pub.pem)")
        new = sub.add_parser("trust-new", help="start an empty trust list body")
        new.add_argument("--out", required=True)
        new.add_argument("--version", type=int, default=1)
        add = sub.add_parser("trust-add-node", help="add a node to a trust list body")
        add.add_argument("list")
        add.add_argument("--node", required=True)
        add.add_argument("--name", required=True)
        add.add_argument("--regions", required=True, help="GB/T 2260 codes, comma-separated")
        add.add_argument("--url", required=True, help="the node's base URL, e.g. https://zwfw.xinyang.gov.cn")
        add.add_argument("--key", required=True, help="the node's public key (PEM)")
        add.add_argument("--days", type=int, default=365, help="how long the key is valid")
        rot = sub.add_parser("trust-rotate", help="add a node's new key; the old one stays valid for an overlap")
        rot.add_argument("list")
        rot.add_argument("--node", required=True)
        rot.add_argument("--key", required=True)
        rot.add_argument("--days", type=int, default=365)
        rot.add_argument("--overlap-days", type=int, default=7)
        rev = sub.add_parser("trust-revoke", help="revoke a node's key from now on")
        rev.add_argument("list")
        rev.add_argument("--node", required=True)
        rev.add_argument("--key-id", required=True)
        seals = sub.add_parser("trust-add-seals", help="put a node's electronic seals on a trust list body")
        seals.add_argument("list")
        seals.add_argument("seals", help="the node's seals as `tongban seal export` writes them (JSON)")
        seals.add_argument("--node", required=True)
        sign = sub.add_parser("trust-sign", help="sign a trust list body as the federation operator")
        sign.add_argument("list")
        sign.add_argument("--operator-key", required=True)
        sign.add_argument("--out", required=True)
        sign.add_argument("--valid-days", type=int, default=7, help="next_update: when nodes should fetch again")
        sub.add_parser("refresh", help="fetch and accept TONGBAN_TRUST_LIST now")
        ping = sub.add_parser("ping", help="queue a node.ping to another node")
        ping.add_argument("node")
        ping.add_argument("--note", default="")
        sub.add_parser("deliver", help="one delivery round now")
        retry = sub.add_parser("retry", help="send a dead letter again (its stream follows)")
        retry.add_argument("message_id")
        log = sub.add_parser("log", help="the outbox, dead letters and refused messages")
        log.add_argument("--dead", action="store_true")
        log.add_argument("--refused", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["verb"].replace("-", "_"))(options)

    def _keygen(self, o: dict[str, Any]) -> None:
        path = Path(o["out"]) if o.get("out") else node.key_path()
        if path.exists() and not o["force"]:
            raise CommandError(f"{path} exists; use --force to replace it (rotate: see docs/federation.md)")
        password = os.environ.get(o["password_env"], "").encode() if o.get("password_env") else None
        key = PrivateKey.generate()
        _write_private(path, key, password)
        public = key.public_key()
        path.with_suffix(".pub.pem").write_text(public.to_pem(), encoding="ascii")
        self.stdout.write(f"key written to {path}\nkey id {public.fingerprint()}\n{public.to_pem()}")

    def _operator_keygen(self, o: dict[str, Any]) -> None:
        path = Path(o["out"])
        if path.exists():
            raise CommandError(f"{path} exists")
        key = PrivateKey.generate()
        _write_private(path, key, None)
        pub = path.with_suffix(".pub.pem")
        pub.write_text(key.public_key().to_pem(), encoding="ascii")
        self.stdout.write(f"operator key {path}; trust anchor for every node: {pub}")

    def _trust_new(self, o: dict[str, Any]) -> None:
        now = _now()
        body = {
            "format": trust.FORMAT,
            "version": o["version"],
            "issued_at": now.isoformat(),
            "next_update": now.isoformat(),
            "nodes": [],
        }
        _write_body(Path(o["out"]), body)
        self.stdout.write(f"empty trust list body written to {o['out']}")

    def _trust_add_node(self, o: dict[str, Any]) -> None:
        path = Path(o["list"])
        body = _read_body(path)
        if any(n["node_id"] == o["node"] for n in body["nodes"]):
            raise CommandError(f"node {o['node']!r} is already on the list")
        body["nodes"].append(
            {
                "node_id": o["node"],
                "name": o["name"],
                "regions": [r.strip() for r in o["regions"].split(",") if r.strip()],
                "base_url": o["url"].rstrip("/"),
                "keys": [_key_entry(_public(o["key"]), _now(), o["days"])],
            }
        )
        _write_body(path, body)
        self.stdout.write(f"node {o['node']} added; sign the list to publish it")

    def _trust_rotate(self, o: dict[str, Any]) -> None:
        path = Path(o["list"])
        body = _read_body(path)
        entry = _node(body, o["node"])
        now = _now()
        for key in entry["keys"]:  # old keys end after the overlap, so messages in flight still verify
            end = now + timedelta(days=o["overlap_days"])
            if datetime.fromisoformat(key["valid_to"]) > end:
                key["valid_to"] = end.isoformat()
        entry["keys"].append(_key_entry(_public(o["key"]), now, o["days"]))
        _write_body(path, body)
        self.stdout.write(f"new key added for {o['node']}; old keys end in {o['overlap_days']} days")

    def _trust_revoke(self, o: dict[str, Any]) -> None:
        path = Path(o["list"])
        body = _read_body(path)
        entry = _node(body, o["node"])
        for key in entry["keys"]:
            if key["key_id"] == o["key_id"]:
                key["revoked_at"] = _now().isoformat()
                _write_body(path, body)
                self.stdout.write(f"key {o['key_id'][:16]}… of {o['node']} revoked; sign and publish the list")
                return
        raise CommandError(f"{o['node']} has no key {o['key_id']}")

    def _trust_add_seals(self, o: dict[str, Any]) -> None:
        path = Path(o["list"])
        body = _read_body(path)
        entry = _node(body, o["node"])
        fresh = _read_seals(Path(o["seals"]), o["node"])
        entry["seals"] = _merged_seals(entry.get("seals") or [], fresh, _now())
        _write_body(path, body)
        self.stdout.write(f"{len(entry['seals'])} seals of {o['node']} on the list; sign and publish it")

    def _trust_sign(self, o: dict[str, Any]) -> None:
        body = _read_body(Path(o["list"]))
        try:
            operator = PrivateKey.from_pem(Path(o["operator_key"]).read_bytes())
        except (OSError, SM2Error) as exc:
            raise CommandError(f"cannot read the operator key: {exc}") from exc
        now = _now()
        body["version"] = int(body.get("version", 0)) + 1
        body["issued_at"] = now.isoformat()
        body["next_update"] = (now + timedelta(days=o["valid_days"])).isoformat()
        Path(o["out"]).write_text(json.dumps(trust.sign(body, operator), ensure_ascii=False, indent=1), "utf-8")
        _write_body(Path(o["list"]), body)
        self.stdout.write(f"trust list v{body['version']} signed to {o['out']}")

    def _refresh(self, o: dict[str, Any]) -> None:
        found = node.refresh_trust_list()
        if found is None:
            raise CommandError("no trust list accepted (see the log; is TONGBAN_TRUST_LIST set?)")
        self.stdout.write(f"trust list v{found.version} in force; {len(found.nodes)} nodes")

    def _ping(self, o: dict[str, Any]) -> None:
        with transaction.atomic():
            message = services.enqueue(receiver=o["node"], type="node.ping", body={"note": o["note"]})
        self.stdout.write(f"queued {message.pk}")

    def _deliver(self, o: dict[str, Any]) -> None:
        counts = delivery.deliver_due()
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))

    def _retry(self, o: dict[str, Any]) -> None:
        try:
            message = services.retry(SYSTEM, o["message_id"])  # the operator at the node's own shell
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{message.pk} queued again")

    def _log(self, o: dict[str, Any]) -> None:
        if o["refused"]:
            for r in RefusedMessage.objects.all()[:50]:
                self.stdout.write(f"{r.at:%Y-%m-%d %H:%M:%S} {r.code} {r.sender} {r.message_id} {r.reason}")
            return
        messages = OutboxMessage.objects.all()
        if o["dead"]:
            messages = messages.filter(state=OutboxState.DEAD)
        for m in messages.order_by("-created_at")[:50]:
            self.stdout.write(
                f"{m.created_at:%Y-%m-%d %H:%M:%S} {m.pk} {m.type} → {m.receiver} {m.state} "
                f"tries {m.attempts} {m.last_error[:80]}"
            )
