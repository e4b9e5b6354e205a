"""The credit record (信用记录) of persons and organisations, and the imported lists it draws on.

Entries are append-only: nothing changes or deletes an entry once written. A wrong or outdated entry
ends by its ``valid_until`` date or by a repair (信用修复), which is itself a new entry pointing at the
entry it repairs. Rows are written only by the commands in tongban.credit.services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from tongban.credit.choices import EntryKind, EntrySource, ImportFormat, SubjectType


class CreditImport(models.Model):
    """One imported file (外部信用名单导入): which body's list, which file, and what it added."""

    source_name = models.CharField(
        _("published by"), max_length=200, help_text=_("the body that published the list, e.g. 信用中国（河南）")
    )
    file_name = models.CharField(_("file name"), max_length=255, help_text=_("name of the imported file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, help_text=_("SHA-256 of the file's bytes, in hex"))
    format = models.CharField(_("format"), max_length=8, choices=ImportFormat.choices, help_text=_("csv or json"))
    rows = models.PositiveIntegerField(_("new entries"), default=0, help_text=_("entries the file added"))
    skipped = models.PositiveIntegerField(
        _("skipped rows"), default=0, help_text=_("rows already stored from an earlier import of the same source")
    )
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("recorded in"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the region the imported entries are placed in"),
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("who imported the file; empty for the import command"),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True, help_text=_("when the file was imported"))

    class Meta:
        verbose_name = _("credit list import")
        verbose_name_plural = _("credit list imports")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_name} · {self.file_name} · {self.imported_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("credit imports are append-only")
        super().save(*args, **kwargs)


class CreditEntryQuerySet(models.QuerySet):
    def for_subject(self, subject_type: str, subject_code: str) -> CreditEntryQuerySet:
        return self.filter(subject_type=subject_type, subject_code=subject_code)

    def in_force(self, on: date) -> CreditEntryQuerySet:
        """Entries in force on day ``on``: begun, not expired, and not repaired by a repair dated by then."""
        repaired = Exists(CreditEntry.objects.filter(repairs=OuterRef("pk"), occurred_on__lte=on))
        return self.filter(Q(occurred_on__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on)).exclude(
            repaired
        )


class CreditEntry(models.Model):
    """信用记录: one entry in the credit record of a person or organisation (append-only)."""

    subject_type = models.CharField(
        _("subject type"), max_length=16, choices=SubjectType.choices, help_text=_("person or organisation")
    )
    subject_code = models.CharField(
        _("subject code"),
        max_length=32,
        help_text=_("the person's document number or the organisation's unified social credit code, normalised"),
    )
    subject_name = models.CharField(
        _("subject name"), max_length=200, help_text=_("name of the person or organisation")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices, help_text=_("what the entry records"))
    source = models.CharField(
        _("source type"), max_length=8, choices=EntrySource.choices, help_text=_("how the entry came in")
    )
    source_name = models.CharField(
        _("source body"),
        max_length=200,
        help_text=_("the body behind the entry: the list's publisher, or the recording department"),
    )
    source_ref = models.CharField(
        _("reference in the source"),
        max_length=100,
        blank=True,
        help_text=_("the entry's identifier in the source list; blank for the node's own entries"),
    )
    occurred_on = models.DateField(_("since"), help_text=_("the day the entry takes effect"))
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("last day it applies; empty: until repaired"),
    )
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("recorded in"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the region that recorded the entry (decides which staff see it)"),
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_entries",
        help_text=_("the case the entry arose from, for the node's own entries"),
    )
    decision = models.CharField(
        _("decision"),
        max_length=200,
        blank=True,
        help_text=_("the decision or document behind the entry, e.g. the number of a revocation decision"),
    )
    note = models.TextField(_("note"), blank=True, help_text=_("further explanation"))
    repairs = models.ForeignKey(
        "self",
        verbose_name=_("repairs entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repaired_by",
        help_text=_("for a repair: the entry it repairs"),
    )
    batch = models.ForeignKey(
        CreditImport,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        help_text=_("the import that brought the entry in"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_code"], name="credit_subject"),
            models.Index(fields=["source_name", "source_ref"], name="credit_source_ref"),
        ]
        constraints = [
            # A source's reference names one entry: re-importing it is recognised and skipped.
            models.UniqueConstraint(
                fields=["source_name", "source_ref"],
                condition=~Q(source_ref=""),
                name="credit_unique_source_ref",
            ),
            # An entry is repaired at most once.
            models.UniqueConstraint(fields=["repairs"], condition=Q(repairs__isnull=False), name="credit_one_repair"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("occurred_on")),
                name="credit_dates_in_order",
            ),
            models.CheckConstraint(
                condition=(Q(kind=EntryKind.REPAIR) & Q(repairs__isnull=False))
                | (~Q(kind=EntryKind.REPAIR) & Q(repairs__isnull=True)),
                name="credit_repair_names_entry",
            ),
        ]

    def __str__(self) -> str:
        from tongban.identity.masking import mask_id_number

        code = mask_id_number(self.subject_code) if self.subject_type == SubjectType.PERSON else self.subject_code
        return f"{self.get_kind_display()} · {self.subject_name} ({code}) · {self.occurred_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The record is evidence: a written entry is never changed; a repair or expiry ends it.
        if self.pk is not None:
            raise ValueError("credit entries are append-only")
        super().save(*args, **kwargs)

    def repair_entry(self) -> CreditEntry | None:
        """The entry that repairs this one, if any (whatever its date)."""
        return CreditEntry.objects.filter(repairs=self).first() if self.pk else None

    def in_force(self, on: date) -> bool:
        if self.occurred_on > on or (self.valid_until is not None and self.valid_until < on):
            return False
        return not CreditEntry.objects.filter(repairs=self, occurred_on__lte=on).exists()
