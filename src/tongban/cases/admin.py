"""Cases in the admin: for looking, never for changing. Every change of a case is a command with its
event (services.py); an admin form that saved a case would bypass both, so everything here is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tongban.cases.models import Case, CaseEvent, CaseMaterial, Notice, SupervisionOrder
from tongban.identity.actor import actor_for
from tongban.identity.policy import visible


class ReadOnlyMixin:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class MaterialInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseMaterial
    fields = ["order", "name", "required", "state", "evidence", "note", "problem"]
    readonly_fields = fields
    extra = 0


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    fields = ["seq", "at", "action", "actor", "role", "region_code", "status_before", "status_after", "hash"]
    readonly_fields = fields
    extra = 0


@admin.register(Case)
class CaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "item_name", "applicant_name", "status", "warning", "promised_deadline", "department"]
    list_filter = ["status", "warning", "channel"]
    search_fields = ["number", "item_name", "applicant_name"]
    date_hierarchy = "created_at"
    inlines = [MaterialInline, EventInline]

    def get_queryset(self, request: Any) -> Any:
        # The admin shows what the policy lets the user read, as the API and pages do.
        return visible(actor_for(request), "case.read", super().get_queryset(request).select_related("department"))

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(Notice)
class NoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "case", "state", "created_at", "rendered_at"]
    list_filter = ["kind", "state"]
    search_fields = ["number", "case__number"]


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["case", "issued_at", "answer_by", "state", "answered_at"]
    list_filter = ["state"]
