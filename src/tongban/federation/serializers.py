"""What the message log API shows to node operators."""

from __future__ import annotations

from rest_framework import serializers

from tongban.federation.models import InboxMessage, OutboxMessage, RefusedMessage


class OutboxSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "receiver",
            "type",
            "stream",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "delivered_at",
            "body",
            "receipt",
        ]


class InboxSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboxMessage
        fields = ["id", "sender", "type", "received_at", "outcome", "envelope", "receipt"]


class RefusedSerializer(serializers.ModelSerializer):
    class Meta:
        model = RefusedMessage
        fields = ["id", "at", "code", "reason", "sender", "message_id", "remote_addr", "excerpt"]
