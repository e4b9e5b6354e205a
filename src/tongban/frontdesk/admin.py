"""The front desk in the admin: which departments' windows call which category is set up here; tickets and
appointments are only looked at, since every change of theirs is a command (services.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tongban.frontdesk.models import Appointment, CategoryDepartment, QueueTicket


@admin.register(CategoryDepartment)
class CategoryDepartmentAdmin(admin.ModelAdmin):
    list_display = ["department", "category"]
    list_filter = ["category"]
    autocomplete_fields = ["department"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(QueueTicket)
class QueueTicketAdmin(ReadOnly):
    list_display = ["number", "hall", "day", "status", "window", "taken_at", "called_at", "finished_at"]
    list_filter = ["status", "category", "day"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnly):
    list_display = ["hall", "slot_start", "category", "status", "created_at"]
    list_filter = ["status", "category"]
