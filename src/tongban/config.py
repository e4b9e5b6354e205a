"""The one thin layer between the environment and the settings.

Every setting an operator may give is declared here once, with its default and meaning; the settings
module reads them through :func:`env`, and ``tongban settings-reference`` prints this table for the docs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# The working folder: `var/` lives beside the checkout when run from it, else in the current folder.
DEFAULT_VAR_DIR = Path.cwd() / "var"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("TONGBAN_DEBUG", "0", "1 turns on Django's debug pages; never in production."),
    Setting("TONGBAN_SECRET_KEY", "", "Django secret key; a per-folder key is generated under var/ when unset."),
    Setting(
        "TONGBAN_DATABASE_URL", "", "Database URL (postgres://user:pass@host:port/db); SQLite under var/ when unset."
    ),
    Setting("TONGBAN_NODE_ID", "local", "This node's identifier in the federation."),
    Setting("TONGBAN_REGION", "411500", "GB/T 2260 code of the region this node serves."),
    Setting("TONGBAN_HOST", "127.0.0.1", "Address `tongban serve` listens on."),
    Setting("TONGBAN_PORT", "8000", "Port `tongban serve` listens on."),
    Setting("TONGBAN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]", "Comma-separated host names this node answers."),
    Setting("TONGBAN_VAR_DIR", "", "Folder for the SQLite database, uploads and keys; ./var when unset."),
    Setting("TONGBAN_STORAGE_DIR", "", "Folder for uploaded files; <var>/files when unset."),
    Setting("TONGBAN_MAX_UPLOAD_MB", "20", "Largest accepted upload, in MiB."),
    Setting("TONGBAN_SECURE", "0", "1 in production behind HTTPS: secure cookies, HSTS, SSL redirect."),
    Setting("TONGBAN_LANGUAGE", "zh-hans", "Default page language (zh-hans or en)."),
    Setting(
        "TONGBAN_PUBLIC_URL",
        "",
        "The node's address as applicants reach it (https://zwfw.example.gov.cn); printed in notices' QR codes. "
        "http://TONGBAN_HOST:TONGBAN_PORT when unset.",
    ),
    # case handling (tongban.cases, tongban.workdays)
    Setting("TONGBAN_WARNING_DAYS", "2", "A case turns yellow when this many working days or fewer remain."),
    Setting("TONGBAN_WORKER_INTERVAL", "60", "Seconds between the worker's rounds of deadline colours and art. 32."),
    # credit-backed handling: 告知承诺 and 容缺受理 (STANDARDS §6; each guide may set its own)
    Setting("TONGBAN_VERIFICATION_DAYS", "60", "Days after acceptance by which a commitment is verified (事后核查)."),
    Setting("TONGBAN_TOLERANCE_DAYS", "20", "Working days at most to supply a material accepted as missing (容缺)."),
    Setting(
        "TONGBAN_TOLERANCE_MARGIN_DAYS",
        "2",
        "Working days between the supply deadline of a 容缺 material and the promised deadline, at least.",
    ),
    # the one-window front desk (tongban.frontdesk; see docs/frontdesk.md)
    Setting("TONGBAN_APPOINTMENT_SLOT_CAPACITY", "4", "Appointments a hall takes per 30-minute slot (预约)."),
    # federation: keys, the trust list and delivery between nodes (tongban.federation; see docs/federation.md)
    Setting(
        "TONGBAN_FEDERATION_KEY",
        "",
        "This node's SM2 signing key (PKCS#8 PEM); <var>/federation/node-key.pem when unset.",
    ),
    Setting("TONGBAN_FEDERATION_KEY_PASSWORD", "", "Password of the signing key file, when it is encrypted."),
    Setting("TONGBAN_TRUST_ANCHOR", "", "The federation operator's public key (PEM file) that signs the trust list."),
    Setting("TONGBAN_TRUST_LIST", "", "Where the signed trust list is fetched from: a file path or an http(s) URL."),
    Setting("TONGBAN_FEDERATION_SKEW_SECONDS", "300", "Largest accepted difference between a message's time and ours."),
    Setting("TONGBAN_FEDERATION_MAX_ATTEMPTS", "12", "Delivery attempts before a message goes to the dead letters."),
    Setting("TONGBAN_FEDERATION_BATCH", "100", "Most messages the worker sends to one node in one POST."),
    Setting(
        "TONGBAN_FEDERATION_CHUNK_KB",
        "1024",
        "Most file data, in KiB as sent (base64), that one case transfer message carries; a larger material "
        "file goes to the other node in several pieces.",
    ),
    # electronic seals (电子印章) of issuing departments (tongban.licenses; see docs/seals.md)
    Setting(
        "TONGBAN_SEAL_KEY_PASSWORD",
        "",
        "Password that encrypts the seal keys of the file key store; generated once into <var>/keys/seal-password "
        "when unset (production sets it, or uses an HSM/KMS key store).",
    ),
    Setting(
        "TONGBAN_KEYSTORE",
        "tongban.licenses.keystore.FileKeyStore",
        "Dotted path of the class keeping seal private keys; replace it to use an HSM or KMS.",
    ),
    # identity: login, lockout, sessions, OAuth2 / OIDC (tongban.identity.auth; see docs/sso.md)
    Setting("TONGBAN_SESSION_HOURS", "8", "A login lasts this many hours at most, and ends when the browser closes."),
    Setting("TONGBAN_LOGIN_MAX_FAILURES", "5", "Failed logins for one username within 15 minutes before it is locked."),
    Setting("TONGBAN_LOGIN_LOCK_MINUTES", "15", "How long a locked username is refused."),
    Setting("TONGBAN_LOGIN_IP_MAX_FAILURES", "20", "Failed logins from one address within 10 minutes before refusal."),
    Setting(
        "TONGBAN_PROXY_HOPS",
        "0",
        "Reverse proxies in front of the node (nginx: 1); the client address is read from X-Forwarded-For then.",
    ),
    Setting("TONGBAN_OIDC_PROVIDER", "0", "1 makes this node the federation's OpenID Connect provider (/o/)."),
    Setting(
        "TONGBAN_OIDC_KEY_FILE",
        "",
        "RSA private key (PEM) that signs the provider's ID tokens; generated once under var/ when unset.",
    ),
    Setting(
        "TONGBAN_OIDC_ISSUER",
        "",
        "Issuer URL of the provider this node logs in through (https://sso.example/o); empty: local login only.",
    ),
    Setting("TONGBAN_OIDC_CLIENT_ID", "", "This node's client id at the provider (`tongban oidc_client` prints it)."),
    Setting("TONGBAN_OIDC_CLIENT_SECRET", "", "This node's client secret at the provider."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def env(name: str) -> str:
    """The value of a declared TONGBAN_* setting, or its default."""
    return os.environ.get(name, _BY_NAME[name].default)


def env_bool(name: str) -> bool:
    return env(name).strip().lower() in {"1", "true", "yes", "on"}


def var_dir() -> Path:
    value = env("TONGBAN_VAR_DIR")
    return Path(value).resolve() if value else DEFAULT_VAR_DIR


def reference_markdown() -> str:
    """The settings table for docs/operations.md."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"
