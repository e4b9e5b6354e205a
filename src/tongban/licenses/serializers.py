"""API shapes of e-licences (电子证照), their verification and the transparency log.

Resident ID numbers of holders are masked in lists; the detail, the signed document and the credential
show them whole, because they are what the seal signed (and a look at someone else's is logged). The
public status says nothing about the holder at all.

Write serializers only describe the shape (for the schema); the commands check the meaning and name the
field in both languages.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tongban.catalog.models import LicenseType
from tongban.identity.masking import mask_id_number
from tongban.licenses.models import License, LicenseEvent

CODE_TYPE_ID_CARD = "111"


def masked_holder_code(lic: License) -> str:
    return mask_id_number(lic.holder_code) if lic.holder_code_type == CODE_TYPE_ID_CARD else lic.holder_code


class LicenseTypeSerializer(serializers.ModelSerializer):
    code = serializers.CharField(help_text="type code (GB/T 36904): the defining organ's USCC and a 3-digit sequence")
    name = serializers.CharField(help_text="name of the licence type, e.g. 营业执照")
    defining_organ_name = serializers.CharField(help_text="the organ that defines the type (定义机构)")
    defining_organ_code = serializers.CharField(
        read_only=True, help_text="USCC of the defining organ (the first 18 characters of the code)"
    )
    holder_kind = serializers.CharField(help_text="who holds it: natural (a person) or legal (an organisation)")
    validity_years = serializers.IntegerField(
        allow_null=True, help_text="years a licence of this type is valid; null: until revoked (长期有效)"
    )
    schema = serializers.JSONField(help_text="JSON Schema of the licence's own data (照面信息)")

    class Meta:
        model = LicenseType
        fields = [
            "code",
            "name",
            "defining_organ_name",
            "defining_organ_code",
            "holder_kind",
            "validity_years",
            "schema",
        ]


class LicenseListSerializer(serializers.ModelSerializer):
    identifier = serializers.CharField(help_text="licence identifier (证照标识, GB/T 36904)")
    number = serializers.CharField(help_text="printed number (证照编号)")
    version = serializers.IntegerField(help_text="version of the licence; a new version has a new identifier")
    type_code = serializers.CharField(source="license_type.code", help_text="licence type code")
    type_name = serializers.CharField(source="license_type.name", help_text="licence type name")
    issuer_code = serializers.CharField(source="issuer.uscc", help_text="USCC of the issuing department")
    issuer_name = serializers.CharField(source="issuer.name", help_text="name of the issuing department")
    jurisdiction = serializers.CharField(help_text="GB/T 2260 code of the issuer's region")
    holder_name = serializers.CharField(help_text="holder's name (person or organisation)")
    holder_code = serializers.SerializerMethodField(
        help_text="holder's code: resident ID numbers masked (4115**********123X), credit codes whole"
    )
    holder_code_type = serializers.CharField(help_text="GB/T 36903 code type: 111 resident ID card, 049 USCC")
    issued_on = serializers.DateField(help_text="day first issued (a new version keeps it)")
    valid_from = serializers.DateField(help_text="first day of validity")
    valid_to = serializers.DateField(allow_null=True, help_text="last day of validity; null: until revoked")
    status = serializers.CharField(help_text="valid, suspended, revoked or superseded (replaced by a new version)")
    status_reason = serializers.CharField(help_text="why the status is what it is (empty while valid)")
    signed_at = serializers.DateTimeField(help_text="when the seal signed it")
    case = serializers.SerializerMethodField(help_text="number of the case it was issued on, if any")
    printed = serializers.SerializerMethodField(help_text="whether the printed form (PDF) is ready to download")

    class Meta:
        model = License
        fields = [
            "identifier",
            "number",
            "version",
            "type_code",
            "type_name",
            "issuer_code",
            "issuer_name",
            "jurisdiction",
            "holder_name",
            "holder_code",
            "holder_code_type",
            "issued_on",
            "valid_from",
            "valid_to",
            "status",
            "status_reason",
            "signed_at",
            "case",
            "printed",
        ]

    def get_holder_code(self, obj: License) -> str:
        return masked_holder_code(obj)

    def get_case(self, obj: License) -> str | None:
        return obj.case.number if obj.case_id else None

    def get_printed(self, obj: License) -> bool:
        return bool(obj.pdf)


class LicenseEventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        help_text="issue, annotate (加注), suspend, reinstate, revoke, or supersede (replaced by a new version)"
    )
    text = serializers.CharField(help_text="what: an annotation's text, or the identifier of the new version")
    reason = serializers.CharField(help_text="why")
    until = serializers.DateField(allow_null=True, help_text="until when it applies (annotations, suspensions)")
    actor = serializers.CharField(help_text="who acted (username, or system)")
    organisation = serializers.CharField(help_text="on behalf of which department or region")
    at = serializers.DateTimeField(help_text="when")
    log_index = serializers.IntegerField(help_text="the entry of the transparency log that records it")

    class Meta:
        model = LicenseEvent
        fields = ["kind", "text", "reason", "until", "actor", "organisation", "at", "log_index"]


class LicenseDetailSerializer(LicenseListSerializer):
    holder_code = serializers.CharField(help_text="holder's code, whole (it is part of what the seal signed)")
    previous = serializers.SerializerMethodField(help_text="identifier of the version this one replaces, if any")
    next_version = serializers.SerializerMethodField(help_text="identifier of the version that replaced it, if any")
    seal_id = serializers.CharField(source="seal.seal_id", help_text="id of the electronic seal that signed it")
    log_index = serializers.IntegerField(help_text="the entry of the transparency log that records the issuance")
    content_sm3 = serializers.CharField(help_text="SM3 of the canonical licence content, as signed (hex)")
    data = serializers.SerializerMethodField(
        help_text="the signed licence content: GB/T 36903 metadata, holder and the type's own fields"
    )
    events = LicenseEventSerializer(many=True, read_only=True, help_text="what happened to it since, oldest first")

    class Meta(LicenseListSerializer.Meta):
        fields = [
            *LicenseListSerializer.Meta.fields,
            "previous",
            "next_version",
            "seal_id",
            "log_index",
            "content_sm3",
            "data",
            "events",
        ]

    def get_previous(self, obj: License) -> str | None:
        return obj.previous.identifier if obj.previous_id else None

    def get_next_version(self, obj: License) -> str | None:
        following = License.objects.filter(previous=obj).values_list("identifier", flat=True).first()
        return following

    def get_data(self, obj: License) -> dict[str, Any]:
        return obj.document["license"]


class LicenseStatusSerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="licence identifier (证照标识)")
    valid = serializers.BooleanField(help_text="whether it may be relied on today: in force and not expired")
    status = serializers.CharField(help_text="valid, suspended, revoked or superseded; expired when past valid_to")
    type_name = serializers.CharField(help_text="licence type name")
    issuer_name = serializers.CharField(help_text="name of the issuing department")
    valid_to = serializers.DateField(allow_null=True, help_text="last day of validity; null: until revoked")


# --- commands ----------------------------------------------------------------------------------------


class LicenseAnnotateSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="the annotation (加注内容), at most 500 characters")
    reason = serializers.CharField(help_text="why it is annotated, at most 500 characters")
    until = serializers.DateField(required=False, allow_null=True, help_text="until when it applies, YYYY-MM-DD")


class LicenseSuspendSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="why it is suspended (中止原因), at most 500 characters")
    until = serializers.DateField(required=False, allow_null=True, help_text="until when, YYYY-MM-DD (optional)")


class LicenseReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="why, at most 500 characters")


class LicenseNewVersionSerializer(serializers.Serializer):
    changes = serializers.JSONField(help_text="the licence data that changes, as {field: new value}")
    reason = serializers.CharField(help_text="why it is replaced (换发原因), at most 500 characters")


# --- verification ------------------------------------------------------------------------------------


class VerificationCheckSerializer(serializers.Serializer):
    check = serializers.CharField(
        help_text="what was checked: format, identifier, content, seal, signature, log, validity or status"
    )
    ok = serializers.BooleanField(
        allow_null=True, help_text="true passed, false failed, null could not be checked here (e.g. status offline)"
    )
    code = serializers.CharField(help_text="result in a word: ok, content_changed, unknown_seal, bad_signature, …")
    message = serializers.CharField(help_text="the result in the request's language")
    message_zh = serializers.CharField(help_text="the result in Chinese")
    message_en = serializers.CharField(help_text="the result in English")


class VerificationReportSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text="true when no check failed")
    identifier = serializers.CharField(allow_null=True, help_text="the licence identifier the document states")
    checks = VerificationCheckSerializer(many=True, help_text="each check in order, with its result")


class VerificationUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="the licence: its JSON document, its PDF (with the attached license.json) or its W3C VC (JSON)"
    )


# --- the transparency log ----------------------------------------------------------------------------


class TreeHeadSerializer(serializers.Serializer):
    node = serializers.CharField(help_text="id of the node whose log it is")
    size = serializers.IntegerField(help_text="number of entries the head covers")
    root = serializers.CharField(help_text="RFC 9162 root hash of those entries (SHA-256, hex)")
    timestamp = serializers.CharField(help_text="when it was signed (UTC, milliseconds)")
    key_id = serializers.CharField(help_text="id of the node key that signed it (SM3 of the key, hex)")
    signature = serializers.CharField(
        help_text="SM2 signature (base64 DER) over the canonical {node, size, root, timestamp}"
    )


class PeerTreeHeadSerializer(TreeHeadSerializer):
    received_at = serializers.DateTimeField(help_text="when this node received it")


class LogInclusionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="the entry")
    size = serializers.IntegerField(help_text="the tree size the proof is for")
    leaf_hash = serializers.CharField(help_text="RFC 9162 hash of the entry: SHA-256(0x00 ‖ data), hex")
    root = serializers.CharField(help_text="root hash of the tree of that size (hex)")
    proof = serializers.ListField(child=serializers.CharField(), help_text="audit path, leaf level first (hex)")
    tree_head = TreeHeadSerializer(
        allow_null=True, help_text="the signed head of that size, when size was left out (else null)"
    )


class LogConsistencySerializer(serializers.Serializer):
    old = serializers.IntegerField(help_text="the older tree size")
    new = serializers.IntegerField(help_text="the newer tree size")
    old_root = serializers.CharField(help_text="root hash of the older tree (hex)")
    new_root = serializers.CharField(help_text="root hash of the newer tree (hex)")
    proof = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 consistency proof (hex)")


class LogLeafSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="position in the log, from 0")
    kind = serializers.CharField(help_text="issue, annotate, suspend, reinstate, revoke or supersede")
    data = serializers.CharField(help_text="the entry as hashed: RFC 8785 canonical JSON text")
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 ‖ data), hex")
    appended_at = serializers.DateTimeField(help_text="when it was appended")


class LogForkAlertSerializer(serializers.Serializer):
    node = serializers.CharField(help_text="the node whose log forked")
    size = serializers.IntegerField(help_text="size of the head received")
    root = serializers.CharField(help_text="root of the head received (hex)")
    other_size = serializers.IntegerField(help_text="size of the head held before")
    other_root = serializers.CharField(help_text="root of the head held before (hex)")
    detected_at = serializers.DateTimeField(help_text="when the fork was seen")
    detail = serializers.CharField(help_text="what does not agree")
