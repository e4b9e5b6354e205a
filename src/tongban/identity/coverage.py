"""Which API endpoints exist, and what policy each declares: the basis of the policy coverage test.

``api_endpoints()`` walks the URL resolver (every pattern under /api/v1/, recursively), resolves each
to its view class and, for DRF routers, its actions; ``uncovered()`` lists the endpoints that would
escape the policy: no declaration, a declared action missing from policy.RULES, a view that replaces
PolicyPermission with something else, or a view that is not a DRF view at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tongban.identity.permissions import Needs, PolicyPermission, needs_for
from tongban.identity.policy import RULES


@dataclass(frozen=True)
class Endpoint:
    route: str
    view: Any  # the view class, or the callback when it is not a DRF view
    method: str
    action: str | None
    needs: Needs | None
    detail: bool

    def __str__(self) -> str:
        name = getattr(self.view, "__name__", repr(self.view))
        return f"{self.method} /{self.route} ({name}.{self.action or self.method})"


def _route(pattern: Any) -> str:
    text = str(pattern.pattern)
    return text.removeprefix("^").removesuffix("$").removesuffix("\\Z")


def _kwargs(route: str) -> set[str]:
    """Names of the URL's arguments, in regex ((?P<pk>…)) or path (<int:pk>) form."""
    return set(re.findall(r"\(\?P<(\w+)>", route)) | set(re.findall(r"<(?:\w+:)?(\w+)>", route))


def _walk(patterns: list, prefix: str) -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        route = prefix + _route(p)
        if isinstance(p, URLResolver):
            found += _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            found.append((route, p))
    return found


def _methods(cls: type, actions: dict[str, str] | None) -> list[tuple[str, str | None]]:
    if actions:
        return [(m.upper(), a) for m, a in actions.items() if m != "head"] + [("OPTIONS", "metadata")]
    names = [m for m in getattr(cls, "http_method_names", []) if m not in ("head", "options") and hasattr(cls, m)]
    return [(m.upper(), None) for m in names] + [("OPTIONS", None)]


def api_endpoints(prefix: str = "api/v1/", urlconf: str | None = None) -> list[Endpoint]:
    """Every (route, method) under ``prefix``; format-suffix duplicates of a route are left out."""
    endpoints: list[Endpoint] = []
    seen: set[tuple[Any, str, str | None, bool]] = set()
    for route, pattern in _walk(get_resolver(urlconf).url_patterns, ""):
        if not route.startswith(prefix):
            continue
        callback = pattern.callback
        cls = getattr(callback, "cls", None)
        detail = bool(_kwargs(route) - {"format"})  # format suffixes (.json) do not name a record
        if cls is None:
            endpoints.append(Endpoint(route, callback, "*", None, None, detail))
            continue
        actions = getattr(callback, "actions", None)
        for method, action in _methods(cls, actions):
            key = (cls, method, action, detail)
            if key in seen:
                continue
            seen.add(key)
            endpoints.append(Endpoint(route, cls, method, action, needs_for(cls, action, method), detail))
    return endpoints


def _guarded(cls: type) -> bool:
    classes = getattr(cls, "permission_classes", None) or []
    return any(isinstance(c, type) and issubclass(c, PolicyPermission) for c in classes)


def uncovered(endpoints: list[Endpoint]) -> list[str]:
    """Descriptions of the endpoints that escape the policy (empty when every one is covered)."""
    problems: list[str] = []
    for e in endpoints:
        if not isinstance(e.view, type):
            problems.append(f"{e}: not a DRF view, the policy cannot guard it")
        elif e.needs is None:
            problems.append(f"{e}: no policy declared")
        elif e.needs.action not in RULES:
            problems.append(f"{e}: declares '{e.needs.action}', which policy.RULES does not know")
        elif not _guarded(e.view):
            problems.append(f"{e}: permission_classes do not include PolicyPermission")
    return problems
