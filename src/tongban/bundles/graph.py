"""The dependency graph of a bundle (一件事): pure functions over item keys and (item, depends_on) pairs.

An edge ``(item, depends_on)`` says the item waits for that one's result. ``validate`` refuses unknown
keys, an item waiting for itself, repeated edges and cycles (naming the cycle, e.g. "a → b → a");
``levels`` groups the items into topological levels: every item of a level can run at the same time,
once every item of the levels before it is done.
"""

from __future__ import annotations

from collections.abc import Sequence

from tongban.core.errors import DomainError, Problem
from tongban.core.messages import Text

Edge = tuple[str, str]


def validate(keys: Sequence[str], edges: Sequence[Edge], field: str = "dependencies") -> None:
    """Raise DomainError listing every problem of the graph; return when it is a DAG over ``keys``."""
    known = set(keys)
    problems: list[Problem] = []
    seen: set[Edge] = set()
    for i, (item, depends_on) in enumerate(edges):
        where = f"{field}[{i}]"
        for key in (item, depends_on):
            if key not in known:
                problems.append(
                    Problem(where, "unknown_item", Text(f"一件事中没有事项“{key}”", f"the bundle has no item '{key}'"))
                )
        if item == depends_on:
            problems.append(
                Problem(
                    where, "self_dependency", Text(f"事项“{item}”不能依赖自身", f"item '{item}' cannot wait for itself")
                )
            )
        elif (item, depends_on) in seen:
            problems.append(
                Problem(
                    where,
                    "duplicate_dependency",
                    Text(f"“{item}”依赖“{depends_on}”重复出现", f"'{item}' waits for '{depends_on}' twice"),
                )
            )
        seen.add((item, depends_on))
    if problems:
        raise DomainError(problems)
    cycle = find_cycle(keys, edges)
    if cycle:
        path = " → ".join(cycle)
        raise DomainError.single(
            field, "cycle", f"事项之间存在循环依赖：{path}", f"the items wait for each other in a cycle: {path}"
        )


def _waits_for(keys: Sequence[str], edges: Sequence[Edge]) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {k: [] for k in keys}
    for item, depends_on in edges:
        graph.setdefault(item, []).append(depends_on)
    return graph


def find_cycle(keys: Sequence[str], edges: Sequence[Edge]) -> list[str] | None:
    """One cycle as a closed path ``[a, b, a]`` (a waits for b, b for a), or None. Deterministic: keys in order."""
    graph = _waits_for(keys, edges)
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for key in keys:
        if key not in state:
            found = visit(key)
            if found:
                return found
    return None


def levels(keys: Sequence[str], edges: Sequence[Edge]) -> list[list[str]]:
    """The items in parallel groups: level 0 waits for nothing, level n for items of levels below n.

    Within a level the items keep the bundle's order. Call ``validate`` first: a cycle raises here too.
    """
    graph = _waits_for(keys, edges)
    level: dict[str, int] = {}
    remaining = list(keys)
    while remaining:
        ready = [k for k in remaining if all(d in level for d in graph[k])]
        if not ready:
            validate(keys, edges)  # raises, naming the cycle
        for k in ready:
            level[k] = 1 + max((level[d] for d in graph[k]), default=-1)
        remaining = [k for k in remaining if k not in level]
    groups: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for k in keys:
        groups[level[k]].append(k)
    return groups


def upstream(keys: Sequence[str], edges: Sequence[Edge]) -> dict[str, list[str]]:
    """For each item, every item it waits for directly or through others, nearest first, in bundle order."""
    graph = _waits_for(keys, edges)
    order = {k: i for i, k in enumerate(keys)}
    result: dict[str, list[str]] = {}
    for key in keys:
        found: list[str] = []
        frontier = sorted(graph[key], key=order.__getitem__)
        while frontier:
            found += [k for k in frontier if k not in found]
            frontier = sorted({d for k in frontier for d in graph[k] if d not in found}, key=order.__getitem__)
        result[key] = found
    return result


def outside_region(bundle_region: str, bundle_prefix: str, regions: dict[str, tuple[str, str]]) -> list[str]:
    """The keys whose region (code, prefix) is neither the bundle's region, inside it, nor above it.

    Regions on one line with the bundle's are one node's business (a city's item serving a district's
    bundle); anything else is decided by another node and cannot join a bundle until cases cross nodes.
    """
    return [
        key
        for key, (code, prefix) in regions.items()
        if not (code.startswith(bundle_prefix) or bundle_region.startswith(prefix))
    ]
