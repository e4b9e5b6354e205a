"""The message log in the admin, read-only: what was sent, received and refused, and the trust lists."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tongban.federation.models import InboxMessage, OutboxMessage, RefusedMessage, TrustListVersion


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnly):
    list_display = ["created_at", "type", "receiver", "stream", "state", "attempts", "delivered_at"]
    list_filter = ["state", "type", "receiver"]
    search_fields = ["id", "stream"]


@admin.register(InboxMessage)
class InboxAdmin(ReadOnly):
    list_display = ["received_at", "type", "sender", "outcome"]
    list_filter = ["type", "sender"]
    search_fields = ["id"]


@admin.register(RefusedMessage)
class RefusedAdmin(ReadOnly):
    list_display = ["at", "code", "sender", "message_id", "remote_addr"]
    list_filter = ["code", "sender"]
    search_fields = ["message_id", "sender"]


@admin.register(TrustListVersion)
class TrustListAdmin(ReadOnly):
    list_display = ["version", "source", "fetched_at"]
