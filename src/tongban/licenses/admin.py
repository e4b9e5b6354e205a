"""Licences, seals, look-ups and the log in the admin, read-only: every change goes through the commands
(the pages, the API, `tongban seal`), which check, sign and log what the admin would bypass."""

from __future__ import annotations

from django.contrib import admin

from tongban.catalog.models import LicenseType
from tongban.federation.admin import ReadOnly
from tongban.licenses.models import ForkAlert, License, LicenseEvent, LicenseLookup, PeerTreeHead, Seal, TreeHead


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    """Licence types are catalog data the node operator may keep here (the schema as JSON)."""

    list_display = ["code", "name", "defining_organ_name", "holder_kind", "validity_years", "template"]
    search_fields = ["code", "name", "defining_organ_name"]


class EventInline(admin.TabularInline):
    model = LicenseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "text", "reason", "until", "actor", "organisation", "at", "log_index"]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(License)
class LicenseAdmin(ReadOnly):
    list_display = ["identifier", "license_type", "holder_name", "issuer", "issued_on", "status"]
    list_filter = ["status", "license_type"]
    search_fields = ["identifier", "number"]
    inlines = [EventInline]


@admin.register(Seal)
class SealAdmin(ReadOnly):
    list_display = ["seal_id", "name", "department", "valid_from", "valid_to", "revoked_at"]
    search_fields = ["seal_id", "name"]


@admin.register(LicenseLookup)
class LookupAdmin(ReadOnly):
    list_display = ["at", "asked_by", "node", "purpose", "found"]
    list_filter = ["node"]


@admin.register(TreeHead)
class TreeHeadAdmin(ReadOnly):
    list_display = ["size", "timestamp", "published_at"]


@admin.register(PeerTreeHead)
class PeerTreeHeadAdmin(ReadOnly):
    list_display = ["node", "size", "timestamp", "received_at"]
    list_filter = ["node"]


@admin.register(ForkAlert)
class ForkAlertAdmin(ReadOnly):
    list_display = ["node", "size", "detected_at"]
