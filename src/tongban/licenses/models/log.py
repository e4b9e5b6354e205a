"""The transparency log of e-licences (证照链上核办日志): its leaves and subtree hashes, the tree heads this
node signs, the heads other nodes send, and the forks seen among them.

Rows of the log are only ever added: a leaf, and a subtree hash once all its leaves exist, never change.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ForkAlert", "LogLeaf", "LogNode", "LogState", "PeerTreeHead", "TreeHead"]

LEVEL_SHIFT = 48  # LogNode.key = level·2^48 + index: room for 2^48 leaves, and level ≤ 48 fits in 63 bits


def stamp(moment: datetime) -> str:
    """A head's time as signed: UTC, to the millisecond (what every database keeps exactly)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def head_dict(node: str, size: int, root: bytes, timestamp: datetime, key_id: str, signature: bytes) -> dict[str, Any]:
    return {
        "node": node,
        "size": size,
        "root": bytes(root).hex(),
        "timestamp": stamp(timestamp),
        "key_id": key_id,
        "signature": base64.b64encode(bytes(signature)).decode("ascii"),
    }


class LogState(models.Model):
    """The log's size, in the single row every append locks, so appends happen one after another."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    # The hashes of merkle.subtrees(0, size), 32 bytes each: the right edge an append builds on.
    frontier = models.BinaryField(_("right edge of the tree"), default=b"")

    class Meta:
        verbose_name = _("log state")
        verbose_name_plural = _("log state")

    def __str__(self) -> str:
        return f"{self.size}"


class LogLeaf(models.Model):
    """An entry of the log: what happened to a licence, as the canonical JSON that was hashed."""

    index = models.PositiveBigIntegerField(_("index"), primary_key=True)
    kind = models.CharField(_("kind"), max_length=64)
    data = models.BinaryField(_("canonical JSON"))
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    appended_at = models.DateTimeField(_("appended at"))

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        ordering = ["index"]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class LogNode(models.Model):
    """The hash of a complete aligned subtree: leaves [index·2^level, (index+1)·2^level)."""

    key = models.BigIntegerField(_("level and index"), primary_key=True)
    hash = models.BinaryField(_("hash"), max_length=32)

    class Meta:
        verbose_name = _("subtree hash")
        verbose_name_plural = _("subtree hashes")

    def __str__(self) -> str:
        level, index = divmod(self.key, 1 << LEVEL_SHIFT)
        return f"({level}, {index})"

    @staticmethod
    def encode(level: int, index: int) -> int:
        return (level << LEVEL_SHIFT) | index

    @staticmethod
    def decode(key: int) -> tuple[int, int]:
        level, index = divmod(key, 1 << LEVEL_SHIFT)
        return level, index


class TreeHead(models.Model):
    """A signed tree head (签名树头) of this node's log: its size and root, signed with the node key."""

    node = models.CharField(_("node"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"), unique=True)
    root = models.BinaryField(_("root hash"), max_length=32)
    timestamp = models.DateTimeField(_("signed at"))
    key_id = models.CharField(_("key id"), max_length=64)
    signature = models.BinaryField(_("signature"), max_length=80)
    published_at = models.DateTimeField(_("sent to the other nodes at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"{self.node} {self.size} {bytes(self.root).hex()[:16]}"

    def to_dict(self) -> dict[str, Any]:
        return head_dict(self.node, self.size, self.root, self.timestamp, self.key_id, self.signature)


class PeerTreeHead(models.Model):
    """A signed tree head another node sent; kept as evidence, a fork's included."""

    node = models.CharField(_("node"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    root = models.BinaryField(_("root hash"), max_length=32)
    timestamp = models.DateTimeField(_("signed at"))
    key_id = models.CharField(_("key id"), max_length=64)
    signature = models.BinaryField(_("signature"), max_length=80)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tree head of another node")
        verbose_name_plural = _("tree heads of other nodes")
        ordering = ["node", "-size"]
        constraints = [models.UniqueConstraint(fields=["node", "size", "root"], name="peer_head_unique")]
        indexes = [models.Index(fields=["node", "size"], name="peer_head_size")]

    def __str__(self) -> str:
        return f"{self.node} {self.size} {bytes(self.root).hex()[:16]}"

    def to_dict(self) -> dict[str, Any]:
        return head_dict(self.node, self.size, self.root, self.timestamp, self.key_id, self.signature)


class ForkAlert(models.Model):
    """Two signed heads of one node that cannot both be true: its log was rewritten, or shown differently
    to different nodes (分叉告警)."""

    node = models.CharField(_("node"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size of the head received"))
    root = models.BinaryField(_("root received"), max_length=32)
    other_size = models.PositiveBigIntegerField(_("size of the head held before"))
    other_root = models.BinaryField(_("root held before"), max_length=32)
    detected_at = models.DateTimeField(_("detected at"), auto_now_add=True)
    detail = models.TextField(_("detail"))

    class Meta:
        verbose_name = _("fork alert")
        verbose_name_plural = _("fork alerts")
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.node} {self.other_size}/{self.size}"
