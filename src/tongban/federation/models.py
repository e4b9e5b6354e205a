"""What a node keeps of the exchange: the trust lists it accepted, its outbox and inbox, and every
message it refused, with the reason. The outbox row is written in the transaction of the change that
causes it; the inbox row in the transaction that applies the message (so each is applied once)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustListVersion(models.Model):
    """A trust list (信任列表) this node verified and accepted; the highest version is in force."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    document = models.JSONField(_("signed document"))
    source = models.CharField(_("fetched from"), max_length=500)
    fetched_at = models.DateTimeField(_("accepted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trust list")
        verbose_name_plural = _("trust lists")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"


class OutboxState(models.TextChoices):
    PENDING = "pending", _("waiting to be delivered")
    DELIVERED = "delivered", _("delivered, receipt kept")
    DEAD = "dead", _("given up: needs an operator")


class OutboxMessage(models.Model):
    """发件箱: a message to another node, delivered by the worker in order per stream, with retries."""

    id = models.CharField(_("message id"), max_length=36, primary_key=True)
    receiver = models.CharField(_("receiver node"), max_length=64, db_index=True)
    type = models.CharField(_("type"), max_length=64)
    stream = models.CharField(
        _("stream"), max_length=100, help_text=_("messages of one stream (e.g. one case) are delivered in order")
    )
    body = models.JSONField(_("body"))
    state = models.CharField(_("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    receipt = models.JSONField(_("signed receipt"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            # The heads of the streams: only undelivered rows, however many delivered ones accumulate.
            models.Index(
                fields=["stream", "created_at"], condition=~models.Q(state="delivered"), name="outbox_undelivered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} → {self.receiver} ({self.state})"


class InboxMessage(models.Model):
    """收件箱: a message this node accepted and applied, with the receipt it answered."""

    id = models.CharField(_("message id"), max_length=36, primary_key=True)
    sender = models.CharField(_("sender node"), max_length=64, db_index=True)
    type = models.CharField(_("type"), max_length=64)
    envelope = models.JSONField(_("signed envelope"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=20)
    receipt = models.JSONField(_("signed receipt"))

    class Meta:
        verbose_name = _("incoming message")
        verbose_name_plural = _("incoming messages")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} ← {self.sender}"


class RefusedMessage(models.Model):
    """A message this node refused (forged, replayed out of time, unknown sender…), and why."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    code = models.CharField(_("reason code"), max_length=32, db_index=True)
    reason = models.CharField(_("reason"), max_length=500)
    sender = models.CharField(_("claimed sender"), max_length=64, blank=True)
    message_id = models.CharField(_("message id"), max_length=64, blank=True)
    remote_addr = models.CharField(_("remote address"), max_length=64, blank=True)
    excerpt = models.TextField(_("start of the message"), blank=True)

    class Meta:
        verbose_name = _("refused message")
        verbose_name_plural = _("refused messages")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.code} {self.sender}"
