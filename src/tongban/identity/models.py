"""Applicants (natural and legal persons), their authorisations, staff with scoped roles, and the record
of every look-up of someone else's personal data.

Rows are written only by the commands in tongban.identity.services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.identity.choices import Evidence, IdType, Role


class Person(models.Model):
    """自然人: an applicant or agent, identified by a document; may have a login (User)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        help_text=_("the login of this person, when they have one"),
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("full name as on the identity document"))
    id_type = models.CharField(
        _("document type"), max_length=32, choices=IdType.choices, help_text=_("type of the identity document")
    )
    id_number = models.CharField(
        _("document number"), max_length=32, help_text=_("number of the identity document, normalised")
    )
    nationality = models.CharField(
        _("nationality"), max_length=3, default="CHN", help_text=_("ISO 3166-1 alpha-3 code, CHN for citizens")
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, help_text=_("contact phone number"))
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("registered in"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the region whose staff registered this person (decides which staff may change the record)"),
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_as = models.ForeignKey(
        "StaffAssignment",
        verbose_name=_("registered in the role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("the staff assignment the registering user acted in"),
    )

    class Meta:
        verbose_name = _("natural person")
        verbose_name_plural = _("natural persons")
        ordering = ["id"]
        constraints = [
            # Foreign passport numbers repeat across countries, so nationality is part of the key.
            models.UniqueConstraint(fields=["id_type", "nationality", "id_number"], name="person_unique_document")
        ]

    def __str__(self) -> str:
        from tongban.identity.masking import mask_id_number

        return f"{self.name} ({mask_id_number(self.id_number)})"


class Organisation(models.Model):
    """法人: a legal person or other organisation, identified by its unified social credit code."""

    name = models.CharField(_("name"), max_length=200, help_text=_("registered name of the organisation"))
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        help_text=_("GB 32100 unified social credit code"),
    )
    legal_representative = models.ForeignKey(
        Person,
        verbose_name=_("legal representative"),
        on_delete=models.PROTECT,
        related_name="represented_organisations",
        help_text=_("the natural person who legally represents the organisation"),
    )
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("registered in"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the region whose staff registered it; by default the region in its credit code"),
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_as = models.ForeignKey(
        "StaffAssignment",
        verbose_name=_("registered in the role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class Authorisation(models.Model):
    """授权委托: a person or organisation (principal) lets an agent act for them, within a scope and dates."""

    principal_person = models.ForeignKey(
        Person,
        verbose_name=_("principal (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorisations_given",
        help_text=_("the natural person who gives the authorisation"),
    )
    principal_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("principal (organisation)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorisations_given",
        help_text=_("the organisation that gives the authorisation"),
    )
    agent = models.ForeignKey(
        Person,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="authorisations_held",
        help_text=_("the natural person authorised to act"),
    )
    scope = models.TextField(_("scope"), help_text=_("what the agent may do, as written in the authorisation"))
    valid_from = models.DateField(_("valid from"), help_text=_("first day the authorisation applies"))
    valid_to = models.DateField(_("valid until"), help_text=_("last day the authorisation applies"))
    evidence = models.CharField(
        _("evidence"), max_length=16, choices=Evidence.choices, help_text=_("how the authorisation was proven")
    )
    evidence_file = models.FileField(
        _("signed form"),
        upload_to="identity/authorisations/",
        blank=True,
        help_text=_("scan of the signed authorisation form (evidence signed_form)"),
    )
    id_check_note = models.CharField(
        _("identity check"),
        max_length=500,
        blank=True,
        help_text=_("how the principal's identity was checked in person (evidence in_person)"),
    )
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("recorded in"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the region whose staff recorded the authorisation"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_as = models.ForeignKey(
        "StaffAssignment",
        verbose_name=_("recorded in the role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, help_text=_("when it was revoked"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(
        _("reason for revoking"), max_length=500, blank=True, help_text=_("why the authorisation was revoked")
    )

    class Meta:
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(principal_person__isnull=False, principal_organisation__isnull=True)
                    | models.Q(principal_person__isnull=True, principal_organisation__isnull=False)
                ),
                name="authorisation_one_principal",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="authorisation_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.agent}"

    @property
    def principal(self) -> Person | Organisation:
        return self.principal_person or self.principal_organisation  # type: ignore[return-value]

    def in_force(self, on) -> bool:  # type: ignore[no-untyped-def]
        return self.revoked_at is None and self.valid_from <= on <= self.valid_to


class StaffProfile(models.Model):
    """工作人员: the staff record of a login account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("login account"), on_delete=models.CASCADE, related_name="staff"
    )
    staff_number = models.CharField(
        _("staff number"),
        max_length=32,
        unique=True,
        help_text=_("the number the staff member is known by at work (工号)"),
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["staff_number"]

    def __str__(self) -> str:
        return f"{self.name} ({self.staff_number})"


class StaffAssignment(models.Model):
    """岗位授权: one role a user holds in a region (and maybe one department); the unit of scope."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="assignments",
        help_text=_("the staff member's login"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, help_text=_("what the holder may do"))
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the region the role acts in"),
    )
    include_descendants = models.BooleanField(
        _("includes lower regions"),
        default=False,
        help_text=_("whether the role also covers the divisions inside the region"),
    )
    department = models.ForeignKey(
        "catalog.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("when set, the role covers this department's records only"),
    )
    active = models.BooleanField(_("active"), default=True, help_text=_("an ended assignment gives no rights"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        ordering = ["user_id", "role", "region_id"]
        constraints = [
            # Two partial constraints because NULL departments never collide in a plain unique index.
            models.UniqueConstraint(
                fields=["user", "role", "region", "department"],
                condition=models.Q(active=True, department__isnull=False),
                name="assignment_unique_active_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=models.Q(active=True, department__isnull=True),
                name="assignment_unique_active_region",
            ),
        ]

    def __str__(self) -> str:
        where = self.region.name if self.region_id else ""
        if self.department_id:
            where += f" · {self.department.name}"
        return f"{self.get_role_display()} · {where}"


class PersonalDataAccess(models.Model):
    """个人信息查阅记录: who looked at whose personal data, in which role, when and why. Append-only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the user who looked at the data"),
    )
    assignment = models.ForeignKey(
        StaffAssignment,
        verbose_name=_("in the role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the staff assignment the user acted in"),
    )
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("region of the role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("region of the acting assignment; supervisors of it see this entry"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True, help_text=_("when the data was viewed"))
    record_type = models.CharField(
        _("record type"), max_length=64, help_text=_("kind of record viewed, e.g. identity.person")
    )
    record_id = models.CharField(_("record id"), max_length=64, help_text=_("identifier of the record viewed"))
    person = models.ForeignKey(
        Person,
        verbose_name=_("person concerned"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_accesses",
        help_text=_("the natural person whose data was viewed"),
    )
    fields = models.JSONField(_("fields viewed"), default=list, help_text=_("names of the fields shown"))
    reason = models.CharField(_("reason"), max_length=500, help_text=_("why the data was needed"))

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.record_type} {self.record_id} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # The log is evidence: a written entry is never changed.
        if self.pk is not None:
            raise ValueError("personal data access entries are append-only")
        super().save(*args, **kwargs)
