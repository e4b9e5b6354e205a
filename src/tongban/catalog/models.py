"""The catalog (事项库): regions, departments, halls, service items, implementations and their guides."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.catalog import choices as c
from tongban.core.validators import (
    basic_code_validator,
    handling_code_validator,
    implementation_code_validator,
    region_code_validator,
    uscc_validator,
)


class Region(models.Model):
    """行政区划 (GB/T 2260): province, prefecture or county-level division."""

    code = models.CharField(
        _("code"),
        max_length=6,
        primary_key=True,
        validators=[region_code_validator],
        help_text=_("GB/T 2260 six-digit division code"),
    )
    name = models.CharField(_("name"), max_length=64, db_index=True)
    level = models.CharField(_("level"), max_length=12, choices=c.RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestors(self) -> list[Region]:
        """From the province down to the parent (at most two look-ups)."""
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self) -> str:
        names = [r.name for r in self.ancestors()] + [self.name]
        # Municipalities repeat themselves (上海市 › 市辖区 › 杨浦区); keep what a person would write.
        return "".join(n for n in names if n != "市辖区")

    @property
    def code_prefix(self) -> str:
        """The leading digits every descendant's code shares (province 2, prefecture 4, county 6)."""
        return {c.RegionLevel.PROVINCE: self.code[:2], c.RegionLevel.PREFECTURE: self.code[:4]}.get(
            self.level, self.code
        )

    def contains(self, other_code: str) -> bool:
        """Whether a division with this code is this region or lies inside it."""
        return other_code.startswith(self.code_prefix)


class Department(models.Model):
    """实施机关: the organ that implements service items in a region."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("name"), max_length=128)
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[uscc_validator],
        help_text=_("GB 32100 unified social credit code of the organ"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=c.DepartmentKind.choices, default=c.DepartmentKind.ORGAN)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region_id", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_unique_name")]

    def __str__(self) -> str:
        return self.name


class Hall(models.Model):
    """政务服务中心: a service hall grouping windows."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="halls")
    name = models.CharField(_("name"), max_length=128)
    address = models.CharField(_("address"), max_length=256, blank=True)
    hours = models.CharField(_("opening hours"), max_length=128, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("service hall")
        verbose_name_plural = _("service halls")
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """窗口: a counter in a hall; comprehensive windows accept for every department."""

    hall = models.ForeignKey(Hall, verbose_name=_("hall"), on_delete=models.CASCADE, related_name="windows")
    number = models.CharField(_("number"), max_length=16)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=c.WindowKind.choices, default=c.WindowKind.COMPREHENSIVE)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        blank=True,
        help_text=_("for department windows: whose items it accepts"),
    )

    class Meta:
        verbose_name = _("window")
        verbose_name_plural = _("windows")
        ordering = ["hall_id", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="window_unique_number")]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number} {self.name}"


class ServiceItem(models.Model):
    """政务服务事项: a national item; main item → sub-item → handling item (业务办理项)."""

    kind = models.CharField(_("kind"), max_length=10, choices=c.ItemKind.choices, default=c.ItemKind.MAIN)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent item"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    basic_code = models.CharField(
        _("basic code"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[basic_code_validator],
        help_text=_("12-character national basic code (main items and sub-items)"),
    )
    handling_code = models.CharField(
        _("handling item code"),
        max_length=50,
        unique=True,
        null=True,
        blank=True,
        validators=[handling_code_validator],
        help_text=_("business handling item code, up to 50 characters"),
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    item_type = models.CharField(_("item type"), max_length=8, choices=c.ItemType.choices)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    exercise_levels = models.JSONField(
        _("exercise levels"), default=list, blank=True, help_text=_("levels that exercise the item: national … village")
    )
    handling_kind = models.CharField(
        _("handling kind"),
        max_length=8,
        choices=c.HandlingKind.choices,
        blank=True,
        help_text=_("new, change, renewal or cancellation"),
    )
    aliases = models.JSONField(
        _("aliases"), default=list, blank=True, help_text=_("other names people search by, e.g. 社保卡")
    )
    keywords = models.JSONField(_("keywords"), default=list, blank=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["basic_code", "handling_code", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="handling", handling_code__isnull=False)
                    | (~models.Q(kind="handling") & models.Q(basic_code__isnull=False))
                ),
                name="item_has_code_for_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code(self) -> str:
        return self.basic_code or self.handling_code or ""

    @property
    def national_code(self) -> str:
        """The basic code of this item or its nearest ancestor that has one."""
        node: ServiceItem | None = self
        while node is not None:
            if node.basic_code:
                return node.basic_code
            node = node.parent
        return ""

    def lineage(self) -> list[ServiceItem]:
        chain: list[ServiceItem] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class ItemImplementation(models.Model):
    """事项实施清单: one region and department's implementation of an item; its guide is versioned."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT, related_name="implementations"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="implementations"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("implementing department"), on_delete=models.PROTECT, related_name="implementations"
    )
    implementation_code = models.CharField(
        _("implementation code"),
        max_length=36,
        unique=True,
        validators=[implementation_code_validator],
        help_text=_("实施编码: the organ's USCC followed by a 13-character suffix"),
    )
    local_code = models.CharField(_("local code"), max_length=64, blank=True)
    current_version = models.ForeignKey(
        "GuideVersion",
        verbose_name=_("current published guide"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("the published version in force; set by publishing"),
    )

    class Meta:
        verbose_name = _("item implementation")
        verbose_name_plural = _("item implementations")
        ordering = ["region_id", "implementation_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "region", "department"], name="implementation_unique_per_department"
            )
        ]
        indexes = [models.Index(fields=["region", "department"])]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.department.name}"


class GuideVersion(models.Model):
    """办事指南: one version of an implementation's guide. Immutable once published."""

    implementation = models.ForeignKey(
        ItemImplementation, verbose_name=_("implementation"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version number"))
    status = models.CharField(_("status"), max_length=10, choices=c.GuideStatus.choices, default=c.GuideStatus.DRAFT)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    content_hash = models.CharField(
        _("content hash"), max_length=64, blank=True, help_text=_("SHA-256 of the canonical guide content")
    )

    name = models.CharField(_("name in this guide"), max_length=200)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    conditions = models.TextField(_("acceptance conditions"), blank=True)
    service_objects = models.JSONField(
        _("service objects"), default=list, blank=True, help_text=_("natural and/or legal persons")
    )
    statutory_limit = models.PositiveIntegerField(_("statutory time limit"))
    statutory_unit = models.CharField(
        _("unit of the statutory limit"), max_length=16, choices=c.LimitUnit.choices, default=c.LimitUnit.WORKING_DAYS
    )
    statutory_note = models.CharField(_("note on the statutory limit"), max_length=500, blank=True)
    promised_limit = models.PositiveIntegerField(_("promised time limit"))
    promised_unit = models.CharField(
        _("unit of the promised limit"), max_length=16, choices=c.LimitUnit.choices, default=c.LimitUnit.WORKING_DAYS
    )
    promised_note = models.CharField(_("note on the promised limit"), max_length=500, blank=True)
    case_type = models.CharField(_("case type"), max_length=10, choices=c.CaseType.choices, default=c.CaseType.PROMISED)
    review_steps = models.JSONField(
        _("review steps"), default=list, blank=True, help_text=_("ordered step names, e.g. 审查, 审核, 审批")
    )
    modes = models.JSONField(
        _("handling modes"), default=list, blank=True, help_text=_("window, online, proxy, joint, kiosk")
    )
    commitment_allowed = models.BooleanField(_("commitment allowed (告知承诺)"), default=False)
    commitment_conditions = models.JSONField(
        _("conditions a commitment may replace"),
        default=list,
        blank=True,
        help_text=_("conditions the applicant may commit to instead of proving them"),
    )
    commitment_text = models.TextField(
        _("commitment text"),
        blank=True,
        help_text=_("what the applicant commits to, and the liability for a false commitment"),
    )
    verification_days = models.PositiveSmallIntegerField(
        _("post-verification period (days)"),
        null=True,
        blank=True,
        help_text=_("days after acceptance by which a commitment is verified (事后核查); empty: the node's default"),
    )
    tolerance_days = models.PositiveSmallIntegerField(
        _("supply period for tolerated materials (working days)"),
        null=True,
        blank=True,
        help_text=_("working days to supply a material accepted as missing (容缺); empty: the node's default"),
    )
    scope = models.CharField(_("scope (通办范围)"), max_length=16, choices=c.Scope.choices, default=c.Scope.COUNTY)
    online_depth = models.PositiveSmallIntegerField(
        _("online depth"), default=0, help_text=_("0 none … 4 whole process online")
    )
    visits = models.PositiveSmallIntegerField(_("visits needed"), default=1)
    appointment = models.BooleanField(_("appointment possible"), default=False)
    logistics = models.BooleanField(_("result by post"), default=False)
    online_payment = models.BooleanField(_("online payment"), default=False)
    fee_required = models.BooleanField(_("fee charged"), default=False)
    fees = models.JSONField(
        _("fees"), default=list, blank=True, help_text=_("list of {name, standard, basis, reducible, reduction_basis}")
    )
    result_type = models.CharField(
        _("result type"), max_length=10, choices=c.ResultType.choices, default=c.ResultType.APPROVAL
    )
    result_name = models.CharField(_("result name"), max_length=200, blank=True)
    result_license_type = models.CharField(
        _("result licence type"),
        max_length=21,
        blank=True,
        help_text=_("code of the e-licence type the issue step creates (电子证照类型代码)"),
    )
    special_procedures = models.JSONField(
        _("special procedures"), default=list, blank=True, help_text=_("list of {kind, limit, note}; time not counted")
    )
    joint_organs = models.JSONField(_("joint-handling organs"), default=list, blank=True)
    process = models.TextField(_("process"), blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    enquiry_phone = models.CharField(_("enquiry phone"), max_length=64, blank=True)
    complaint_phone = models.CharField(_("complaint phone"), max_length=64, blank=True)
    online_url = models.URLField(_("online address"), blank=True)
    faq = models.JSONField(_("FAQ"), default=list, blank=True, help_text=_("list of {question, answer}"))
    form_schema = models.JSONField(
        _("form fields (JSON Schema)"),
        default=dict,
        blank=True,
        help_text=_("JSON Schema of the fields the applicant fills"),
    )

    class Meta:
        verbose_name = _("guide version")
        verbose_name_plural = _("guide versions")
        ordering = ["implementation_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["implementation", "number"], name="guide_unique_number"),
            models.UniqueConstraint(
                fields=["implementation"], condition=models.Q(status="draft"), name="guide_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Rule 6 of the house: a published guide never changes. Only the status moves on (retire).
        if self.pk and not kwargs.pop("allow_status_change", False):
            stored = GuideVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored and stored != c.GuideStatus.DRAFT:
                raise ValidationError(
                    _("a published guide version cannot be changed; start a new draft"), code="guide_published"
                )
        super().save(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == c.GuideStatus.DRAFT


class MaterialRequirement(models.Model):
    """申请材料: one material on a guide version's list."""

    guide = models.ForeignKey(
        GuideVersion, verbose_name=_("guide version"), on_delete=models.CASCADE, related_name="materials"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    source = models.CharField(
        _("source"), max_length=16, choices=c.MaterialSource.choices, default=c.MaterialSource.APPLICANT
    )
    paper_copies = models.PositiveSmallIntegerField(_("paper copies"), default=0)
    paper_size = models.CharField(_("paper size"), max_length=16, blank=True)
    form = models.CharField(_("form"), max_length=20, choices=c.MaterialForm.choices, default=c.MaterialForm.ORIGINAL)
    necessity = models.CharField(
        _("necessity"), max_length=10, choices=c.Necessity.choices, default=c.Necessity.REQUIRED
    )
    blank_form = models.FileField(_("blank form"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("sample"), upload_to="catalog/samples/", blank=True)
    filling_notes = models.TextField(_("filling notes"), blank=True)
    acceptance_standard = models.TextField(_("acceptance standard"), blank=True)
    main = models.BooleanField(
        _("main review material"),
        default=False,
        help_text=_("a main review material (主要材料) is never accepted as missing"),
    )
    commitment_allowed = models.BooleanField(
        _("replaceable by a commitment"),
        default=False,
        help_text=_("under 告知承诺 the applicant may commit instead of providing it"),
    )
    license_types = models.JSONField(
        _("licence types that satisfy it"),
        default=list,
        blank=True,
        help_text=_("e-licence type codes that may replace this material"),
    )

    class Meta:
        verbose_name = _("material requirement")
        verbose_name_plural = _("material requirements")
        ordering = ["guide_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["guide", "name"], name="material_unique_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not GuideVersion.objects.filter(pk=self.guide_id, status=c.GuideStatus.DRAFT).exists():
            raise ValidationError(_("materials of a published guide version cannot be changed"), code="guide_published")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self.guide.is_draft:
            raise ValidationError(_("materials of a published guide version cannot be changed"), code="guide_published")
        return super().delete(*args, **kwargs)


class LicenseType(models.Model):
    """证照类型: a kind of e-licence as its defining organ defines it (GB/T 36903/36904).

    The code is the defining organ's USCC followed by a 3-digit sequence. ``schema`` is the JSON Schema of
    the licence's own data (照面信息); the issue step fills it from the case and the guide.
    """

    code = models.CharField(_("type code"), max_length=21, unique=True)
    name = models.CharField(_("name"), max_length=100)
    defining_organ_name = models.CharField(_("defining organ"), max_length=128)
    holder_kind = models.CharField(
        _("holder"), max_length=10, choices=c.ServiceObject.choices, default=c.ServiceObject.NATURAL
    )
    schema = models.JSONField(_("fields (JSON Schema)"), default=dict, blank=True)
    validity_years = models.PositiveSmallIntegerField(
        _("validity (years)"), null=True, blank=True, help_text=_("empty: valid until revoked (长期有效)")
    )
    template = models.CharField(
        _("printed form"),
        max_length=40,
        default="certificate",
        help_text=_("layout of the printed form: certificate (证书) or license (执照)"),
    )

    class Meta:
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def defining_organ_code(self) -> str:
        return self.code[:18]


class AgreementQuerySet(models.QuerySet):
    def in_force(self, on):  # type: ignore[no-untyped-def]
        return self.filter(effective_from__lte=on).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on)
        )


class Agreement(models.Model):
    """通办协议: which regions receive which items for each other, and in which modes."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=c.AgreementKind.choices)
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("member regions"),
        related_name="agreements",
        help_text=_("a member covers the divisions inside it too"),
    )
    items = models.ManyToManyField(
        ServiceItem,
        verbose_name=_("covered items"),
        related_name="agreements",
        help_text=_("an item covers its sub-items and handling items too"),
    )
    modes = models.JSONField(_("modes"), default=list, help_text=_("online, proxy, joint, …"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("cross-region agreement")
        verbose_name_plural = _("cross-region agreements")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SearchEntry(models.Model):
    """The search text of one implementation, as bigram tokens (see docs/adr/0002-search.md).

    Written only by tongban.catalog.search. On PostgreSQL the migration adds two generated token-array
    columns with a GIN index; on SQLite an FTS5 table holds the same tokens.
    """

    implementation = models.OneToOneField(
        ItemImplementation, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    title_tokens = models.TextField(help_text="tokens of the names: item, aliases, parents, guide")
    body_tokens = models.TextField(help_text="tokens of the rest: keywords, materials, department, region")
    name_length = models.PositiveSmallIntegerField(help_text="length of the item name; shorter ranks first")

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return f"search entry of implementation {self.implementation_id}"
