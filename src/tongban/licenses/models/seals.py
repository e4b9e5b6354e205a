"""Electronic seals (电子印章, GB/T 38540) of the departments that issue licences.

A seal is the public face of one SM2 key pair: its id, type, name, validity and picture, and the public
key. The private key is in the key store (tongban.licenses.keystore), never in the database. A seal is
never deleted or reused: rotation ends it and makes a new one, revocation stops it for good. What a seal
signed stays verifiable as of its time, so ``problem_at`` judges a moment, not today.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import Conflict

__all__ = ["Seal", "SealKind"]


class SealKind(models.IntegerChoices):
    """印章类型 in GB/T 38540: 1 an organisation's seal, 2 a person's."""

    ORGANISATION = 1, _("organisation seal")
    PERSONAL = 2, _("personal seal")


class Seal(models.Model):
    """One electronic seal of a department, with its public key; written only by tongban.licenses.seals."""

    seal_id = models.CharField(
        _("seal id"), max_length=32, unique=True, help_text=_("the department's USCC and a 4-digit serial")
    )
    kind = models.PositiveSmallIntegerField(_("type"), choices=SealKind.choices, default=SealKind.ORGANISATION)
    name = models.CharField(_("name"), max_length=64, help_text=_("the name set on the seal"))
    department = models.ForeignKey(
        "catalog.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="seals"
    )
    key_id = models.CharField(
        _("key id"), max_length=64, unique=True, help_text=_("SM3 of the public key's DER encoding, in hex")
    )
    public_key = models.TextField(_("public key"), help_text=_("SM2 public key, PEM"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=200, blank=True)
    picture = models.TextField(_("picture"), help_text=_("the seal's image, SVG"))
    width_mm = models.PositiveSmallIntegerField(_("width (mm)"), default=42)
    height_mm = models.PositiveSmallIntegerField(_("height (mm)"), default=42)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("electronic seal")
        verbose_name_plural = _("electronic seals")
        ordering = ["department_id", "-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gt=F("valid_from")), name="seal_validity_order"),
            models.CheckConstraint(condition=Q(kind__in=[1, 2]), name="seal_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.seal_id})"

    def public_dict(self) -> dict[str, Any]:
        """The seal's public part as the federation trust list carries it."""
        return {
            "seal_id": self.seal_id,
            "kind": int(self.kind),
            "name": self.name,
            "organisation_name": self.department.name,
            "organisation_code": self.department.uscc,
            "key_id": self.key_id,
            "public_key": self.public_key,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "picture": {
                "type": "svg",
                "data": base64.b64encode(self.picture.encode("utf-8")).decode("ascii"),
                "width_mm": self.width_mm,
                "height_mm": self.height_mm,
            },
        }

    def problem_at(self, moment: datetime) -> Conflict | None:
        """Why this seal may not vouch for something signed at ``moment``, or None when it may."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return self.revoked_problem()
        if not self.valid_from <= moment <= self.valid_to:
            return Conflict.single(
                "seal",
                "seal_expired",
                f"电子印章{self.seal_id}的有效期为{_local(self.valid_from)}至{_local(self.valid_to)}，"
                f"不含{_local(moment)}",
                f"seal {self.seal_id} is valid from {_local(self.valid_from)} to {_local(self.valid_to)}, "
                f"not at {_local(moment)}",
            )
        return None

    def revoked_problem(self) -> Conflict:
        at = _local(self.revoked_at) if self.revoked_at else ""
        return Conflict.single(
            "seal",
            "seal_revoked",
            f"电子印章{self.seal_id}已于{at}吊销（{self.revocation_reason}），不能再用于签章",
            f"seal {self.seal_id} was revoked at {at} ({self.revocation_reason}) and signs nothing more",
        )


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")
