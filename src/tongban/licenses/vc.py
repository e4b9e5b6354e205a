"""A licence document as a W3C Verifiable Credential 2.0 (可验证凭证), and back.

The credential carries the very seal signature of the licence document; nothing is signed again. A
wallet or a verifier that speaks VCs reads the usual members (issuer, validity, subject, status); a
verifier that wants the signature checked turns the credential back into the document with
:func:`from_vc` and runs :func:`tongban.licenses.document.verify` on it::

    {"@context": ["https://www.w3.org/ns/credentials/v2", CONTEXT],
     "id": "urn:gbt36904:<identifier>",
     "type": ["VerifiableCredential", "ChineseElectronicLicense"],
     "name": "<licence name>",
     "issuer": {"id": "urn:uscc:<issuer USCC>", "name": "<issuer name>"},
     "validFrom": "<valid_from>T00:00:00+08:00", "validUntil": "<valid_to>T23:59:59+08:00",
     "credentialSubject": {"licenseHolder": {…}, "licenseIdentifier": …, "data": {…}, …},
     "credentialStatus": {"id": "<node>/api/v1/licenses/<identifier>/status/", "type": "TongbanLicenseStatus"},
     "proof": {"type": "DataIntegrityProof", "cryptosuite": "sm2-sm3-jcs-2026",
               "verificationMethod": "urn:seal:<seal id>#<key id>", "created": "<signed_at>",
               "proofPurpose": "assertionMethod", "proofValue": "u<base64url of the DER signature>",
               "signedBlock": {alg, oid, seal, signed_at, content_sm3},
               "license": {the signed licence object, exactly},
               "transparencyLog": {index, leaf, tree_head, proof}}}

The cryptosuite ``sm2-sm3-jcs-2026`` is ours and is not registered with the W3C: the seal signs the
RFC 8785 canonical form of ``signedBlock`` with SM2 over SM3 (GB/T 38540), and ``signedBlock`` holds
the SM3 digest of the canonical ``license``. ``credentialSubject`` and the validity are a readable
mapping of ``license``; :func:`from_vc` refuses a credential whose readable members say anything else
than the signed licence, so what a person reads is what the seal signed.

The identifier is not an OID (its parts hold the letters of credit codes), so the credential's id uses
an unregistered ``urn:gbt36904:`` prefix rather than ``urn:oid:``. Licence dates are China Standard
Time days, written as the first and last second of the day at +08:00.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from tongban.core.errors import DomainError
from tongban.licenses import document

V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VOCAB = "urn:tongban:license:v1#"
# Our own terms, given inline so a credential needs no fetch to be read. The signed parts are JSON
# literals (@json): a JSON-LD processor keeps them byte for byte instead of interpreting their members.
CONTEXT: dict[str, Any] = {
    "@vocab": VOCAB,
    "ChineseElectronicLicense": f"{VOCAB}ChineseElectronicLicense",
    "TongbanLicenseStatus": f"{VOCAB}TongbanLicenseStatus",
    "data": {"@id": f"{VOCAB}data", "@type": "@json"},
    "signedBlock": {"@id": f"{VOCAB}signedBlock", "@type": "@json"},
    "license": {"@id": f"{VOCAB}license", "@type": "@json"},
    "transparencyLog": {"@id": f"{VOCAB}transparencyLog", "@type": "@json"},
}
CREDENTIAL_TYPE = "ChineseElectronicLicense"
CRYPTOSUITE = "sm2-sm3-jcs-2026"
STATUS_TYPE = "TongbanLicenseStatus"
CHINA_OFFSET = "+08:00"


def _fail(field: str, code: str, zh: str, en: str) -> DomainError:
    return DomainError.single(field, code, zh, en)


def credential_id(identifier: str) -> str:
    return f"urn:gbt36904:{identifier}"


def status_url(base_url: str, identifier: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/licenses/{identifier}/status/"


def verification_method(seal: dict[str, Any]) -> str:
    return f"urn:seal:{seal.get('id', '')}#{seal.get('key_id', '')}"


def _day_start(day: Any) -> str | None:
    return f"{day}T00:00:00{CHINA_OFFSET}" if day else None


def _day_end(day: Any) -> str | None:
    return f"{day}T23:59:59{CHINA_OFFSET}" if day else None


def _subject(lic: dict[str, Any]) -> dict[str, Any]:
    """The readable claims of a licence: GB/T 36903 metadata, the holder and the licence's own data.

    Renamed where the licence's own names clash with the VC vocabulary (``type`` is JSON-LD's @type,
    ``name`` and ``id`` are the credential's, ``holder`` is a presentation's holder)."""
    subject = {
        "licenseHolder": lic.get("holder"),
        "licenseIdentifier": lic.get("identifier"),
        "licenseName": lic.get("name"),
        "licenseNumber": lic.get("number"),
        "licenseVersion": lic.get("version"),
        "licenseType": lic.get("type"),
        "definingOrgan": lic.get("defining_organ"),
        "issuedOn": lic.get("issued_on"),
        "jurisdiction": lic.get("jurisdiction"),
        "relatedItem": lic.get("item"),
        "caseNumber": lic.get("case"),
        "issuingNode": lic.get("node"),
        "data": lic.get("data"),
    }
    return {k: v for k, v in subject.items() if v is not None}


def _encode_signature(value: str) -> str:
    """The document's base64 DER signature as a multibase base64url value (prefix ``u``), as Data
    Integrity proofs carry it."""
    raw = base64.b64decode(value, validate=True)
    return "u" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_signature(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("u"):
        raise _fail(
            "proof.proofValue",
            "malformed",
            "proofValue 应为以 u 开头的 base64url 多重编码值",
            "proofValue must be a multibase base64url value starting with 'u'",
        )
    text = value[1:]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error) as exc:
        raise _fail("proof.proofValue", "malformed", "proofValue 无法解码", "proofValue cannot be decoded") from exc
    return base64.b64encode(raw).decode("ascii")


def to_vc(doc: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    """The credential of a licence document (with its log proof when the document has one).

    ``base_url`` is the issuing node's public address, where ``credentialStatus`` points."""
    # A copy: the credential shares no object with the document, nor its subject with its proof, so
    # changing one part of it in memory never silently changes another.
    doc = copy.deepcopy(doc)
    lic, sig = doc.get("license"), doc.get("signature")
    if doc.get("format") != document.FORMAT or not isinstance(lic, dict) or not isinstance(sig, dict):
        raise _fail("document", "not_a_license", "不是可识别的电子证照文件", "not a licence document this system reads")
    try:
        proof_value = _encode_signature(str(sig.get("value", "")))
    except (ValueError, binascii.Error) as exc:
        raise _fail(
            "signature.value", "malformed", "签名值不是有效的 base64", "the signature value is not valid base64"
        ) from exc
    seal = sig.get("seal") if isinstance(sig.get("seal"), dict) else {}
    issuer = lic.get("issuer") if isinstance(lic.get("issuer"), dict) else {}
    identifier = str(lic.get("identifier", ""))
    vc: dict[str, Any] = {
        "@context": [V2_CONTEXT, CONTEXT],
        "id": credential_id(identifier),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "name": lic.get("name"),
        "issuer": {"id": f"urn:uscc:{issuer.get('code', '')}", "name": issuer.get("name")},
        "validFrom": _day_start(lic.get("valid_from")),
        "validUntil": _day_end(lic.get("valid_to")),
        "credentialSubject": copy.deepcopy(_subject(lic)),
        "credentialStatus": {"id": status_url(base_url, identifier), "type": STATUS_TYPE},
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": CRYPTOSUITE,
            "verificationMethod": verification_method(seal),
            "created": sig.get("signed_at"),
            "proofPurpose": "assertionMethod",
            "proofValue": proof_value,
            "signedBlock": {k: v for k, v in sig.items() if k != "value"},
            "license": lic,
        },
    }
    if "log" in doc:
        vc["proof"]["transparencyLog"] = doc["log"]
    return {k: v for k, v in vc.items() if v is not None}


def is_vc(data: Any) -> bool:
    """Whether parsed JSON looks like a credential rather than a licence document."""
    return isinstance(data, dict) and "@context" in data and "format" not in data


def _expect(field: str, found: Any, wanted: Any) -> None:
    if found != wanted:
        raise _fail(
            field,
            "disagrees_with_license",
            f"凭证的“{field}”与所签证照不一致",
            f"the credential's '{field}' says something else than the signed licence",
        )


def from_vc(vc: Any) -> dict[str, Any]:
    """The licence document a credential carries, exactly as signed (with its log proof, if any).

    DomainError, naming the member, when it is not one of our credentials or when a readable member
    disagrees with the signed licence (then it would show a person something the seal did not sign)."""
    if not isinstance(vc, dict):
        raise _fail("vc", "not_an_object", "凭证应为 JSON 对象", "the credential must be a JSON object")
    vc = copy.deepcopy(vc)
    types = vc.get("type") if isinstance(vc.get("type"), list) else []
    if CREDENTIAL_TYPE not in types or "VerifiableCredential" not in types:
        raise _fail(
            "type",
            "not_a_license_credential",
            f"凭证类型应包含 VerifiableCredential 和 {CREDENTIAL_TYPE}",
            f"the credential's type must include VerifiableCredential and {CREDENTIAL_TYPE}",
        )
    proof = vc.get("proof")
    if not isinstance(proof, dict):
        raise _fail("proof", "required", "凭证缺少 proof", "the credential has no proof")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise _fail(
            "proof.cryptosuite",
            "unsupported",
            f"只支持 DataIntegrityProof / {CRYPTOSUITE} 证明",
            f"only DataIntegrityProof proofs with cryptosuite {CRYPTOSUITE} are supported",
        )
    lic, block = proof.get("license"), proof.get("signedBlock")
    if not isinstance(lic, dict):
        raise _fail("proof.license", "required", "证明缺少所签证照", "the proof lacks the signed licence")
    if not isinstance(block, dict) or "value" in block:
        raise _fail("proof.signedBlock", "malformed", "证明的签名块无效", "the proof's signed block is malformed")
    seal = block.get("seal") if isinstance(block.get("seal"), dict) else {}
    issuer = lic.get("issuer") if isinstance(lic.get("issuer"), dict) else {}
    identifier = str(lic.get("identifier", ""))
    _expect("proof.verificationMethod", proof.get("verificationMethod"), verification_method(seal))
    _expect("proof.created", proof.get("created"), block.get("signed_at"))
    _expect("id", vc.get("id"), credential_id(identifier))
    _expect("name", vc.get("name"), lic.get("name"))
    _expect("issuer", vc.get("issuer"), {"id": f"urn:uscc:{issuer.get('code', '')}", "name": issuer.get("name")})
    _expect("validFrom", vc.get("validFrom"), _day_start(lic.get("valid_from")))
    _expect("validUntil", vc.get("validUntil"), _day_end(lic.get("valid_to")))
    _expect("credentialSubject", vc.get("credentialSubject"), _subject(lic))
    doc: dict[str, Any] = {
        "format": document.FORMAT,
        "license": lic,
        "signature": {**block, "value": _decode_signature(proof.get("proofValue"))},
    }
    if "transparencyLog" in proof:
        doc["log"] = proof["transparencyLog"]
    return doc
