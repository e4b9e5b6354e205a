"""`tongban verify-license FILE --trust LIST [--anchor OPERATOR.pem] [--json]`: check an e-licence offline.

FILE is the licence's signed JSON document, its PDF (which carries the document as the attachment
``license.json``) or its W3C Verifiable Credential. LIST is the federation's signed trust list, which
publishes the issuing departments' seals and the nodes' keys. Nothing else is needed: no node, no
database, no network. What cannot be known offline (whether the licence was suspended or revoked since)
is shown as not checked; the issuing node's public status page answers it.

Exit status: 0 valid, 1 not valid, 2 the input cannot be used (unreadable, not a licence, a trust list
that is malformed or not signed by the anchor).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser, DjangoHelpFormatter

from tongban.core.errors import DomainError
from tongban.core.messages import Text
from tongban.federation import trust
from tongban.federation.sm2 import PrivateKey, PublicKey, SM2Error
from tongban.licenses import document
from tongban.licenses import vc as credentials

NAME = "verify-license"
MARKS = {True: "✓", False: "✗", None: "—"}
# Far above any licence (a printed one is a few hundred KiB): a bound so a wrong file name (a disk image)
# is refused instead of read into memory.
MAX_BYTES = 64 * 1024 * 1024

HELP = """Verify an e-licence (电子证照核验) offline: its JSON document, its PDF (with the attached license.json)
or its W3C Verifiable Credential, against the federation's trust list. Needs no node, database or
network. Exit status: 0 valid, 1 not valid, 2 unusable input.

With --anchor, the trust list's signature is checked against the federation operator's public key
first, and a list not signed by it is refused. Without --anchor the list is read as it is and a warning
says so: its own signature names a signer, but trusting the key a document names for itself proves
nothing, so only an anchor you obtained separately makes the list trustworthy."""


def _stop(code: int, zh: str, en: str) -> NoReturn:
    sys.stderr.write(f"{zh}\n{en}\n")
    raise SystemExit(code)


def read_unchecked(document: Any) -> trust.TrustList:
    """A trust list read without checking the operator's signature (there is no anchor to check it with).

    The body is signed again with a throwaway key and loaded with that key as the anchor, so every other
    check of ``trust.load`` (format, keys matching their ids, seals, times) still applies: only the
    operator's signature goes unchecked, and the caller says so."""
    if not isinstance(document, dict) or not isinstance(document.get("body"), dict):
        raise trust.TrustError("malformed", Text("信任列表缺少 body", "the trust list has no body"))
    throwaway = PrivateKey.generate()
    return trust.load(trust.sign(document["body"], throwaway), throwaway.public_key())


def _read(path: str, what_zh: str, what_en: str) -> bytes:
    try:
        file = Path(path)
        if file.stat().st_size > MAX_BYTES:
            _stop(2, f"{what_zh}过大：{path}", f"the {what_en} is too large: {path}")
        return file.read_bytes()
    except OSError as exc:
        _stop(2, f"无法读取{what_zh}：{path}（{exc.strerror}）", f"cannot read the {what_en} {path}: {exc.strerror}")


def load_trust(path: str, anchor_path: str | None) -> tuple[trust.TrustList, bool]:
    """The trust list, and whether its signature was checked against an anchor."""
    raw = _read(path, "信任列表", "trust list")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        _stop(2, f"信任列表不是有效的 JSON：{path}", f"the trust list is not valid JSON: {path}")
    try:
        if anchor_path is None:
            return read_unchecked(data), False
        try:
            anchor = PublicKey.from_pem(_read(anchor_path, "运营方公钥", "operator's public key"))
        except SM2Error:
            _stop(
                2,
                f"运营方公钥不是有效的 SM2 公钥（PEM）：{anchor_path}",
                f"the operator's key is not an SM2 public key (PEM): {anchor_path}",
            )
        return trust.load(data, anchor), True
    except trust.TrustError as exc:
        _stop(2, f"信任列表不可用：{exc.text.zh}", f"the trust list cannot be used: {exc.text.en}")


def load_document(path: str) -> dict[str, Any]:
    """The licence document in FILE: the document itself, the one a PDF carries, or the one a VC carries."""
    raw = _read(path, "证照文件", "licence file")
    if b"%PDF-" in raw[:1024]:
        from tongban.licenses.rendering import embedded_document

        found = embedded_document(raw)
        if found is None:
            _stop(
                2,
                f"PDF 中没有附带电子证照文件（license.json）：{path}",
                f"the PDF carries no licence document (license.json): {path}",
            )
        data: Any = found
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            _stop(
                2,
                f"文件既不是 JSON 证照文件，也不是带有证照附件的 PDF：{path}",
                f"the file is neither a JSON licence document nor a PDF with the licence attached: {path}",
            )
    try:
        if credentials.is_vc(data):
            data = credentials.from_vc(data)
    except DomainError as exc:
        problem = exc.problems[0]
        _stop(
            2,
            f"可验证凭证无效（{problem.field}）：{problem.text.zh}",
            f"the credential is not usable: {problem.text.en}",
        )
    if not isinstance(data, dict) or data.get("format") != document.FORMAT:
        _stop(
            2,
            f"不是可识别的电子证照文件（应为 {document.FORMAT} 格式）：{path}",
            f"not a licence document this tool reads ({document.FORMAT}): {path}",
        )
    return data


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's order of options, with the description printed as written."""


class Command(BaseCommand):
    help = HELP
    # Offline by design: no system checks (some look at the database) and no migration check.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Spelt with a dash like the other `tongban` verbs, whatever the module is called; the help keeps
        # its paragraphs.
        kwargs.setdefault("formatter_class", _Formatter)
        return super().create_parser(prog_name, NAME, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the licence: JSON document, PDF with license.json attached, or W3C VC")
        parser.add_argument("--trust", required=True, help="the federation's signed trust list (JSON)")
        parser.add_argument(
            "--anchor",
            help="the federation operator's public key (PEM); without it the list's signature is not checked",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        trust_list, checked = load_trust(options["trust"], options.get("anchor"))
        if not checked:
            self.stderr.write(
                "警告：未给出 --anchor，信任列表的签名未经核验；只有用另行取得的运营方公钥核验过的列表才可信。\n"
                "warning: no --anchor given, so the trust list's signature was not checked; only a list checked "
                "against the operator's key obtained separately can be trusted."
            )
        doc = load_document(options["file"])
        report = document.verify(doc, trust_list)
        if options["json"]:
            out = {**report.as_dict(), "trust_list_version": trust_list.version, "trust_list_checked": checked}
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=1))
        else:
            self._print(report, trust_list, checked)
        if not report.valid:
            raise SystemExit(1)

    def _print(self, report: document.Report, trust_list: trust.TrustList, checked: bool) -> None:
        lic = report.license or {}
        holder = lic.get("holder") if isinstance(lic.get("holder"), dict) else {}
        issuer = lic.get("issuer") if isinstance(lic.get("issuer"), dict) else {}
        self.stdout.write(f"证照标识 identifier: {lic.get('identifier', '')}")
        self.stdout.write(f"证照名称 licence:    {lic.get('name', '')} {lic.get('number', '')}")
        self.stdout.write(f"颁发机构 issuer:     {issuer.get('name', '')} ({issuer.get('code', '')})")
        self.stdout.write(f"持证主体 holder:     {holder.get('name', '')}")
        self.stdout.write(f"信任列表 trust list: v{trust_list.version}{'' if checked else ' (未核验签名 unchecked)'}")
        self.stdout.write("")
        for check in report.checks:
            self.stdout.write(f"{MARKS[check.ok]} {check.name:<10} {check.text.zh}")
            self.stdout.write(f"  {'':<10} {check.text.en}")
        self.stdout.write("")
        if report.valid:
            self.stdout.write("结论：证照有效 / result: the licence is valid")
        else:
            failed = ", ".join(c.name for c in report.failed)
            self.stdout.write(f"结论：证照无效（{failed}）/ result: the licence is NOT valid ({failed})")
