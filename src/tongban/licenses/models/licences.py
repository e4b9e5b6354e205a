"""E-licences (电子证照) this node issued, what happened to them since, and who looked them up."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["License", "LicenseEvent", "LicenseEventKind", "LicenseLookup", "LicenseStatus"]


class LicenseStatus(models.TextChoices):
    VALID = "valid", _("valid")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")
    SUPERSEDED = "superseded", _("replaced by a new version")


class LicenseEventKind(models.TextChoices):
    ISSUE = "issue", _("issued")
    ANNOTATE = "annotate", _("annotated (加注)")
    SUSPEND = "suspend", _("suspended")
    REINSTATE = "reinstate", _("reinstated")
    REVOKE = "revoke", _("revoked")
    SUPERSEDE = "supersede", _("replaced by a new version")


class License(models.Model):
    """电子证照: one version of a licence. The signed document is kept exactly as signed; the status lives
    beside it (and in the transparency log), never inside it."""

    identifier = models.CharField(_("identifier (GB/T 36904)"), max_length=120, unique=True)
    license_type = models.ForeignKey(
        "catalog.LicenseType", verbose_name=_("licence type"), on_delete=models.PROTECT, related_name="licenses"
    )
    serial = models.CharField(_("serial"), max_length=32)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
    )
    number = models.CharField(_("printed number"), max_length=64)
    issuer = models.ForeignKey(
        "catalog.Department", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="licenses_issued"
    )
    jurisdiction = models.CharField(_("jurisdiction (region code)"), max_length=6)
    holder_name = models.CharField(_("holder"), max_length=200)
    holder_code = models.CharField(_("holder code"), max_length=32, db_index=True)
    holder_code_type = models.CharField(_("holder code type"), max_length=8)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licenses",
    )
    issued_on = models.DateField(_("issued on"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    document = models.JSONField(_("signed document"))
    content_sm3 = models.CharField(_("SM3 of the content"), max_length=64)
    seal = models.ForeignKey("licenses.Seal", verbose_name=_("seal"), on_delete=models.PROTECT, related_name="licenses")
    signed_at = models.DateTimeField(_("signed at"))
    status = models.CharField(_("status"), max_length=12, choices=LicenseStatus.choices, default=LicenseStatus.VALID)
    status_reason = models.CharField(_("reason of the status"), max_length=500, blank=True)
    log_index = models.BigIntegerField(_("log entry of the issuance"))
    pdf = models.FileField(_("printed form (PDF)"), upload_to="licenses/", blank=True)

    class Meta:
        verbose_name = _("e-licence")
        verbose_name_plural = _("e-licences")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["license_type", "serial", "version"], name="license_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.license_type.name} {self.number}"


class LicenseEvent(models.Model):
    """What happened to a licence after it was signed: 加注 (what, who, why, until), suspension,
    reinstatement, revocation, replacement. Each is also a leaf of the transparency log."""

    license = models.ForeignKey(License, verbose_name=_("licence"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=LicenseEventKind.choices)
    text = models.CharField(_("what"), max_length=500, blank=True)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    actor = models.CharField(_("by whom"), max_length=200)
    organisation = models.CharField(_("on behalf of"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    log_index = models.BigIntegerField(_("log entry"))

    class Meta:
        verbose_name = _("licence event")
        verbose_name_plural = _("licence events")
        ordering = ["license_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.license_id} {self.at:%Y-%m-%d}"


class LicenseLookup(models.Model):
    """A look-up of someone's licences by their code (亮证 aside): who asked, for what, with which consent.
    Kept whether it found anything or not, at the node asked and at the node asking."""

    holder_code = models.CharField(_("holder code"), max_length=32, db_index=True)
    type_codes = models.JSONField(_("licence types asked for"), default=list)
    purpose = models.CharField(_("purpose"), max_length=300)
    consent = models.CharField(_("consent"), max_length=300)
    case_number = models.CharField(_("case"), max_length=40, blank=True)
    asked_by = models.CharField(_("asked by"), max_length=200)
    node = models.CharField(_("asking node"), max_length=64, blank=True)
    found = models.PositiveIntegerField(_("licences found"), default=0)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("licence look-up")
        verbose_name_plural = _("licence look-ups")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.asked_by} → {self.holder_code[:6]}… ({self.found})"
