"""Bundles in the admin: read-only views; definitions change through the commands in services.py."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tongban.bundles.models import Bundle, BundleDependency, BundleItem


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 0
    fields = ["order", "key", "implementation"]
    readonly_fields = fields


class BundleDependencyInline(admin.TabularInline):
    model = BundleDependency
    fk_name = "bundle"
    extra = 0
    fields = ["item", "depends_on"]
    readonly_fields = fields


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "lead_department", "promised_limit", "on_refusal", "published"]
    list_filter = ["published", "on_refusal"]
    search_fields = ["code", "name"]
    inlines = [BundleItemInline, BundleDependencyInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Bundle | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Bundle | None = None) -> bool:
        return False
