"""The credit record in the admin: for looking, never for changing. Entries are append-only and every
entry is written by a command (services.py), so nothing here adds, changes or deletes one."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tongban.credit.choices import SubjectType
from tongban.credit.models import CreditEntry, CreditImport
from tongban.identity.actor import actor_for
from tongban.identity.masking import mask_id_number
from tongban.identity.policy import visible


class ReadOnlyMixin:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "subject_name",
        "masked_subject_code",
        "kind",
        "occurred_on",
        "valid_until",
        "source",
        "source_name",
        "region",
        "recorded_at",
    ]
    list_filter = ["kind", "source", "subject_type"]
    search_fields = ["subject_name", "source_name", "source_ref", "decision"]
    date_hierarchy = "occurred_on"
    exclude = ["subject_code"]
    readonly_fields = ["masked_subject_code"]

    def get_queryset(self, request: Any) -> Any:
        # The admin shows what the policy lets the user read, as the API does.
        qs = super().get_queryset(request).select_related("region", "case", "recorded_by")
        return visible(actor_for(request), "credit.read", qs)

    @admin.display(description=_("subject code"))
    def masked_subject_code(self, obj: CreditEntry) -> str:
        return mask_id_number(obj.subject_code) if obj.subject_type == SubjectType.PERSON else obj.subject_code


@admin.register(CreditImport)
class CreditImportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["source_name", "file_name", "format", "rows", "skipped", "region", "imported_by", "imported_at"]
    list_filter = ["format", "source_name"]
    search_fields = ["source_name", "file_name", "sha256"]
