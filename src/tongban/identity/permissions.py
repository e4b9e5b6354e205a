"""PolicyPermission: the DRF side of the policy. Each view declares which policy action each of its
actions needs, in its class body:

    class PersonViewSet(viewsets.ModelViewSet):
        policy = {"list": "identity.person.read", "create": Needs("identity.person.write", target=...)}

    class SearchView(APIView):
        policy = {"GET": "catalog.read"}

Viewsets are keyed by action name, plain APIViews by HTTP method (HEAD follows GET). OPTIONS is
``api.describe`` everywhere. An action without a declaration is refused (403, code ``no_policy``), and
tests/identity/test_policy_coverage.py fails while any endpoint under /api/v1/ lacks one.

This module must stay light: DRF imports the default permission class while it is itself loading, so
nothing that imports rest_framework.views may be imported here at module level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework.permissions import BasePermission

from tongban.identity.policy import RULES, Decision, Place, may


@dataclass(frozen=True)
class Needs:
    """A declared requirement: a policy action, and optionally where the new record will belong.

    ``target(request)`` gives the Place (or an unsaved record) a create will write to, so the scope is
    checked before anything is written; it returns None when the input is too broken to tell, and the
    view's own validation then answers 400.
    """

    action: str
    target: Callable[[Any], Any] | None = None


DESCRIBE = Needs("api.describe")


def _builtin_policies() -> dict[type, dict[str, str]]:
    # DRF's own API index (the DefaultRouter root) lists the endpoints; it is public like the schema.
    from rest_framework.routers import APIRootView

    return {APIRootView: {"GET": "api.describe"}}


def declared_policy(view_class: type) -> dict[str, str | Needs] | None:
    """The policy declaration of a view class, or None when it has none."""
    policy = getattr(view_class, "policy", None)
    if policy is None:
        for cls, builtin in _builtin_policies().items():
            if issubclass(view_class, cls):
                return builtin  # type: ignore[return-value]
    return policy


def needs_for(view_class: type, action: str | None, method: str) -> Needs | None:
    """What an action (viewsets) or HTTP method (APIViews) of a view needs; None when undeclared."""
    method = method.upper()
    policy = declared_policy(view_class)
    if policy is None:
        return None
    key = action if action is not None else ("GET" if method == "HEAD" else method)
    value = policy.get(key) if key else None
    if value is None and (method == "OPTIONS" or action == "metadata"):
        return DESCRIBE
    if value is None:
        return None
    return value if isinstance(value, Needs) else Needs(value)


class PolicyPermission(BasePermission):
    """Asks tongban.identity.policy.may for the action the view declares; refuses undeclared actions."""

    def _needs(self, request: Any, view: Any) -> Needs:
        from tongban.core.messages import Text
        from tongban.identity.denied import PolicyDenied

        needs = needs_for(type(view), getattr(view, "action", None), request.method)
        if needs is None or needs.action not in RULES:
            name = getattr(view, "action", None) or request.method
            raise PolicyDenied(
                Decision(
                    False,
                    Text(
                        f"接口“{type(view).__name__}.{name}”未声明权限规则，拒绝访问",
                        f"'{type(view).__name__}.{name}' declares no policy, so it is refused",
                    ),
                    "no_policy",
                )
            )
        return needs

    def _decide(self, request: Any, decision: Decision) -> bool:
        from tongban.identity.actor import actor_for
        from tongban.identity.denied import PolicyDenied

        request.policy_decision = decision
        if decision.allowed:
            return True
        if not actor_for(request).is_authenticated:
            return False  # DRF answers "not authenticated" (401 with a bearer scheme, else 403)
        raise PolicyDenied(decision)

    def has_permission(self, request: Any, view: Any) -> bool:
        from tongban.identity.actor import actor_for

        method = request.method.lower()
        if method != "options" and getattr(view, method, None) is None:
            return True  # no handler: DRF answers 405 and nothing runs
        needs = self._needs(request, view)
        target = needs.target(request) if needs.target else None
        return self._decide(request, may(actor_for(request), needs.action, target))

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        from tongban.identity.actor import actor_for

        needs = self._needs(request, view)
        return self._decide(request, may(actor_for(request), needs.action, obj))


# --- targets for creates: where the new record will belong ------------------------------------------


def region_in(field: str) -> Callable[[Any], Place | None]:
    """Target: the region whose code the body gives in ``field`` (None when absent or unknown)."""

    def target(request: Any) -> Place | None:
        from tongban.catalog.models import Region

        code = str(request.data.get(field) or "").strip()
        return Place(code) if code and Region.objects.filter(code=code).exists() else None

    return target


def department_by_uscc(field: str) -> Callable[[Any], Place | None]:
    """Target: the department whose credit code the body gives in ``field``."""

    def target(request: Any) -> Place | None:
        from tongban.catalog.models import Department

        code = str(request.data.get(field) or "").strip().upper()
        dept = Department.objects.filter(uscc=code).only("pk", "region_id").first() if code else None
        return Place(dept.region_id, dept.pk) if dept else None

    return target
