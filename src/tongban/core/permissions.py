"""API permission for the catalog until the identity work brings scoped roles.

Reading the catalog is public (guides are published information); writing needs the Django
permission of the model, which the catalog admin group carries.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


class CatalogAdminOrReadOnly(BasePermission):
    message = "只有事项库管理员可以修改事项库 / only catalog administrators may change the catalog"

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(
            user and user.is_authenticated and (user.is_superuser or user.has_perm("catalog.change_serviceitem"))
        )
