"""API shapes of the credit record. Document numbers of persons are masked in every answer; credit codes
of organisations are public and shown whole.

Write serializers only describe the shape (for the schema); the commands check the meaning and name the
field in both languages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from tongban.credit.choices import SubjectType
from tongban.credit.models import CreditEntry, CreditImport
from tongban.identity.masking import mask_id_number


def _repair_of(obj: CreditEntry) -> CreditEntry | None:
    # repaired_by is prefetched by the views; at most one repair exists per entry.
    repairs = list(obj.repaired_by.all())
    return repairs[0] if repairs else None


class CreditEntrySerializer(serializers.ModelSerializer):
    subject_code = serializers.SerializerMethodField(
        help_text="document number (masked, 4115**********123X) for persons; the whole credit code for organisations"
    )
    region = serializers.CharField(source="region_id", read_only=True, help_text="code of the region that recorded it")
    case = serializers.SerializerMethodField(help_text="number of the case it arose from, for the node's own entries")
    repairs = serializers.IntegerField(
        source="repairs_id", read_only=True, allow_null=True, help_text="for a repair: id of the entry it repairs"
    )
    repaired_by = serializers.SerializerMethodField(help_text="id of the repair entry that ends this entry, if any")
    repaired = serializers.SerializerMethodField(help_text="whether a repair dated today or earlier ends this entry")
    in_force = serializers.SerializerMethodField(
        help_text="whether the entry applies today (begun, not expired, not repaired)"
    )
    batch = serializers.IntegerField(
        source="batch_id", read_only=True, allow_null=True, help_text="id of the import that brought it in"
    )
    recorded_by = serializers.SerializerMethodField(
        help_text="username of who recorded it; empty for imports by command"
    )

    class Meta:
        model = CreditEntry
        fields = [
            "id",
            "subject_type",
            "subject_code",
            "subject_name",
            "kind",
            "source",
            "source_name",
            "source_ref",
            "occurred_on",
            "valid_until",
            "region",
            "case",
            "decision",
            "note",
            "repairs",
            "repaired_by",
            "repaired",
            "in_force",
            "batch",
            "recorded_by",
            "recorded_at",
        ]

    def _today(self) -> date:
        today = self.context.get("today")
        if today is None:
            today = self.context["today"] = timezone.localdate()
        return today

    def get_subject_code(self, obj: CreditEntry) -> str:
        return mask_id_number(obj.subject_code) if obj.subject_type == SubjectType.PERSON else obj.subject_code

    def get_case(self, obj: CreditEntry) -> str | None:
        return obj.case.number if obj.case_id else None

    def get_repaired_by(self, obj: CreditEntry) -> int | None:
        repair = _repair_of(obj)
        return repair.pk if repair else None

    def get_repaired(self, obj: CreditEntry) -> bool:
        repair = _repair_of(obj)
        return repair is not None and repair.occurred_on <= self._today()

    def get_in_force(self, obj: CreditEntry) -> bool:
        today = self._today()
        begun = obj.occurred_on <= today and (obj.valid_until is None or obj.valid_until >= today)
        return begun and not self.get_repaired(obj)

    def get_recorded_by(self, obj: CreditEntry) -> str:
        return obj.recorded_by.get_username() if obj.recorded_by else ""


class CreditEntryWriteSerializer(serializers.Serializer):
    subject_type = serializers.CharField(help_text="person or organisation", required=False, allow_blank=True)
    subject_code = serializers.CharField(
        help_text="document number of the person, or unified social credit code of the organisation",
        required=False,
        allow_blank=True,
    )
    subject_name = serializers.CharField(
        help_text="name of the person or organisation", required=False, allow_blank=True
    )
    kind = serializers.CharField(
        help_text="good_conduct, broken_commitment, false_commitment or dishonest (repairs: the repair action)",
        required=False,
        allow_blank=True,
    )
    occurred_on = serializers.DateField(help_text="day the entry takes effect, YYYY-MM-DD", required=False)
    valid_until = serializers.DateField(
        help_text="last day it applies, YYYY-MM-DD; empty: until repaired", required=False, allow_null=True
    )
    source_name = serializers.CharField(
        help_text="the body behind the entry; default: the name of your role's region", required=False, allow_blank=True
    )
    decision = serializers.CharField(
        help_text="the decision or document behind the entry", required=False, allow_blank=True
    )
    note = serializers.CharField(help_text="further explanation", required=False, allow_blank=True)


class RepairSerializer(serializers.Serializer):
    decision = serializers.CharField(help_text="the decision that grants the repair (required)", required=False)
    note = serializers.CharField(help_text="further explanation", required=False, allow_blank=True)
    occurred_on = serializers.DateField(
        help_text="day the repair takes effect, YYYY-MM-DD; default today", required=False
    )


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the list: a .csv (UTF-8, header row) or .json (list of objects) file")
    source_name = serializers.CharField(help_text="the body that published the list, e.g. 信用中国（河南）")


class CreditImportSerializer(serializers.ModelSerializer):
    region = serializers.CharField(
        source="region_id", read_only=True, help_text="code of the region the imported entries are placed in"
    )
    imported_by = serializers.SerializerMethodField(help_text="username of who imported it")

    class Meta:
        model = CreditImport
        fields = [
            "id",
            "source_name",
            "file_name",
            "sha256",
            "format",
            "rows",
            "skipped",
            "region",
            "imported_by",
            "imported_at",
        ]

    def get_imported_by(self, obj: CreditImport) -> str:
        return obj.imported_by.get_username() if obj.imported_by else ""


class EligibilitySerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="whether the privilege may be granted")
    reason_zh = serializers.CharField(allow_null=True, help_text="why not, in Chinese (null when allowed)")
    reason_en = serializers.CharField(allow_null=True, help_text="why not, in English (null when allowed)")
    blocking = serializers.ListField(
        child=serializers.IntegerField(), help_text="ids of the entries in force that bar it, the one named first"
    )

    @staticmethod
    def of(result: Any) -> dict[str, Any]:
        return {
            "allowed": result.allowed,
            "reason_zh": result.reason.zh if result.reason else None,
            "reason_en": result.reason.en if result.reason else None,
            "blocking": [e.pk for e in result.blocking],
        }
