"""The admin asks the same policy module as the API (one policy for API, pages, admin and commands).

Django's admin still requires `is_staff` to enter; inside, what an account may add, change or delete is
decided by tongban.identity.policy.may for the model's declared action, scoped to the record's region
and department like every other write.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from tongban.identity.actor import actor_for
from tongban.identity.policy import may


class PolicyAdminMixin(admin.ModelAdmin):
    """Declare ``policy_read`` and ``policy_write``; the admin's permission hooks ask the policy."""

    policy_read: str = "catalog.read"
    policy_write: str = "catalog.write"

    def _may(self, request: Any, action: str, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff and may(actor_for(request), action, obj))

    def has_module_permission(self, request: Any) -> bool:
        return self._may(request, self.policy_read)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_read, obj)

    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return self._may(request, self.policy_write)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_write, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_write, obj)


class PolicyInlineMixin(admin.options.InlineModelAdmin):
    """The same for inlines: the parent record's place decides (``obj`` is the parent)."""

    policy_read: str = "catalog.read"
    policy_write: str = "catalog.write"

    def _may(self, request: Any, action: str, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff and may(actor_for(request), action, obj))

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_read, obj)

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_write, obj)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_write, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self._may(request, self.policy_write, obj)
