"""Shared guides (云联盟): each node publishes the implementations of its own regions to its peers, so a
comparison (四级四同) can set them beside this node's, and the alliance's members read each other's guides.

``catalog.guides`` answers, for a basic code, the published implementations of that item (and the
items below it) in the regions this node serves: the compared elements of the guide in force, its
materials, version and content hash. ``elsewhere`` asks every other node at once (a signed question,
tongban.federation.queries) and turns the answers into comparison columns; a node that does not answer
is named, never waited for beyond the question's timeout.
"""

from __future__ import annotations

from typing import Any

from tongban.catalog.agreements import item_ids_with_descendants
from tongban.catalog.comparison import COMPARED_FIELDS, Column
from tongban.catalog.models import Department, ItemImplementation, Region, ServiceItem
from tongban.core.errors import DomainError
from tongban.federation import node, queries
from tongban.federation.envelope import Envelope
from tongban.federation.handlers import handles
from tongban.federation.trust import TrustError

MESSAGE = "catalog.guides"


def _served_here(region_code: str) -> bool:
    try:
        entry = node.trust_list().node_for_region(region_code)
    except TrustError:
        return True
    return entry is None or entry.node_id == node.node_id()


def published(item: ServiceItem) -> list[dict[str, Any]]:
    """This node's own published implementations of ``item`` and the items below it."""
    impls = (
        ItemImplementation.objects.filter(
            item_id__in=item_ids_with_descendants([item.pk]), current_version__isnull=False
        )
        .select_related("region", "department", "item", "current_version")
        .prefetch_related("current_version__materials")
        .order_by("region_id", "item_id")
    )
    return [
        {
            "implementation_code": impl.implementation_code,
            "item": impl.item.name,
            "region": impl.region_id,
            "department": impl.department.name,
            "version": impl.current_version.number,
            "content_hash": impl.current_version.content_hash,
            "values": {f: getattr(impl.current_version, f) for f in COMPARED_FIELDS},
            "materials": [m.name for m in impl.current_version.materials.all()],
        }
        for impl in impls
        if _served_here(impl.region_id)
    ]


@handles(MESSAGE)
def answer(envelope: Envelope) -> dict[str, Any]:
    code = str(envelope.body.get("basic_code", "")).strip().upper()
    item = ServiceItem.objects.filter(basic_code=code).first()
    if item is None:
        raise DomainError.single(
            "basic_code", "unknown", "本节点没有该基本编码的事项", f"no item with basic code {code}"
        )
    return {"implementations": published(item)}


def _column(entry: dict[str, Any], node_id: str) -> Column:
    region = Region.objects.filter(code=str(entry.get("region", ""))).first() or Region(code=str(entry.get("region")))
    impl = ItemImplementation(
        implementation_code=str(entry.get("implementation_code", "")),
        region=region,
        department=Department(name=str(entry.get("department", ""))),
        item=ServiceItem(name=str(entry.get("item", ""))),
    )
    values = entry.get("values") if isinstance(entry.get("values"), dict) else {}
    return Column(
        impl,
        {f: values.get(f) for f in COMPARED_FIELDS},
        [str(m) for m in entry.get("materials") or []],
        node=node_id,
    )


def elsewhere(item: ServiceItem, post: queries.Post = queries.http_post) -> tuple[list[Column], list[str]]:
    """The columns other nodes publish for ``item``, and the nodes that did not answer."""
    columns: list[Column] = []
    unanswered: list[str] = []
    for reply in queries.ask_all(MESSAGE, {"basic_code": item.basic_code or ""}, post=post):
        if not reply.ok:
            unanswered.append(reply.node)
            continue
        columns += [_column(entry, reply.node) for entry in reply.result.get("implementations") or []]
    return columns, unanswered
