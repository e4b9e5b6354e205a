"""The node's message log for its operators (/api/v1/federation/…): what was sent (with the receipts
kept as proof), what was received, and what was refused and why; and the retry of a dead letter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tongban.core.errors import DomainError
from tongban.federation import serializers as s
from tongban.federation import services
from tongban.federation.models import InboxMessage, OutboxMessage, OutboxState, RefusedMessage
from tongban.identity.actor import actor_for
from tongban.identity.permissions import Needs
from tongban.identity.policy import visible

ROLE_HEADER = OpenApiParameter(
    "X-Tongban-Role", str, location=OpenApiParameter.HEADER, required=False, description="assignment id to act in"
)


def _filter(qs: QuerySet, params: Any, names: tuple[str, ...]) -> QuerySet:
    wanted = {name: params[name].strip() for name in names if params.get(name, "").strip()}
    return qs.filter(**wanted)


class _Log(viewsets.ReadOnlyModelViewSet):
    policy: dict[str, str | Needs] = {"list": "federation.operate", "retrieve": "federation.operate"}
    filters: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet:
        qs = visible(actor_for(self.request), "federation.operate", self.queryset.all())
        return _filter(qs, self.request.query_params, self.filters) if self.action == "list" else qs


@extend_schema_view(
    list=extend_schema(
        summary="Messages this node sent or will send (发件箱), newest first",
        parameters=[
            OpenApiParameter("state", str, description="pending, delivered or dead"),
            OpenApiParameter("receiver", str, description="receiving node id"),
            OpenApiParameter("type", str, description="message type, e.g. node.ping"),
            OpenApiParameter("stream", str, description="stream, e.g. case:<number>"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One sent message with its signed receipt", parameters=[ROLE_HEADER]),
)
class OutboxViewSet(_Log):
    queryset = OutboxMessage.objects.order_by("-created_at")
    serializer_class = s.OutboxSerializer
    filters = ("state", "receiver", "type", "stream")
    policy = {**_Log.policy, "retry": "federation.operate"}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        state = request.query_params.get("state", "").strip()
        if state and state not in OutboxState.values:
            raise DomainError.single(
                "state", "unknown", "状态应为 pending、delivered 或 dead", "state is pending, delivered or dead"
            )
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Send a dead letter again (its stream follows)", request=None, parameters=[ROLE_HEADER])
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        message = services.retry(actor_for(request), pk)
        return Response(s.OutboxSerializer(message).data)


@extend_schema_view(
    list=extend_schema(
        summary="Messages this node received and applied (收件箱), newest first",
        parameters=[
            OpenApiParameter("sender", str, description="sending node id"),
            OpenApiParameter("type", str, description="message type"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(
        summary="One received message with the receipt this node answered", parameters=[ROLE_HEADER]
    ),
)
class InboxViewSet(_Log):
    queryset = InboxMessage.objects.order_by("-received_at")
    serializer_class = s.InboxSerializer
    filters = ("sender", "type")


@extend_schema_view(
    list=extend_schema(
        summary="Messages this node refused, and why, newest first",
        parameters=[
            OpenApiParameter("code", str, description="reason code, e.g. bad_signature, clock_skew"),
            OpenApiParameter("sender", str, description="the sender the message claimed"),
            ROLE_HEADER,
        ],
    ),
    retrieve=extend_schema(summary="One refused message", parameters=[ROLE_HEADER]),
)
class RefusedViewSet(_Log):
    queryset = RefusedMessage.objects.order_by("-at")
    serializer_class = s.RefusedSerializer
    filters = ("code", "sender")
