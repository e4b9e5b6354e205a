"""Life-event bundles (一件事): several items one life event needs, applied for once, materials given once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OnRefusal(models.TextChoices):
    CONTINUE = "continue", _("the other items go on")
    STOP = "stop", _("the other items stop")


class Bundle(models.Model):
    """一件事: the items of one life event, with the order they wait for each other in."""

    code = models.CharField(
        _("code"), max_length=64, unique=True, help_text=_("short identifier used in addresses, e.g. yindu-birth")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("life event"), blank=True, help_text=_("the life event the bundle serves"))
    region = models.ForeignKey(
        "catalog.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="bundles"
    )
    lead_department = models.ForeignKey(
        "catalog.Department",
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="led_bundles",
        help_text=_("the department answerable for the bundle as a whole (牵头部门)"),
    )
    promised_limit = models.PositiveIntegerField(
        _("promised time limit (working days)"), help_text=_("working days for the whole bundle")
    )
    on_refusal = models.CharField(
        _("when an item is refused"),
        max_length=10,
        choices=OnRefusal.choices,
        default=OnRefusal.CONTINUE,
        help_text=_("whether the other items go on when one is refused; items waiting for it stop either way"),
    )
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["region_id", "code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    """One item of a bundle: an implementation of the catalog, named by a short key within the bundle."""

    bundle = models.ForeignKey(Bundle, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="items")
    implementation = models.ForeignKey(
        "catalog.ItemImplementation",
        verbose_name=_("implementation"),
        on_delete=models.PROTECT,
        related_name="bundle_items",
    )
    key = models.CharField(_("key"), max_length=32, help_text=_("short name of the item within the bundle"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("bundle item")
        verbose_name_plural = _("bundle items")
        ordering = ["bundle_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "key"], name="bundle_item_unique_key"),
            models.UniqueConstraint(fields=["bundle", "implementation"], name="bundle_item_unique_implementation"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle.code}:{self.key}"


class BundleDependency(models.Model):
    """An item of a bundle waits for another's result (前置事项)."""

    bundle = models.ForeignKey(Bundle, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="dependencies")
    item = models.ForeignKey(BundleItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="dependencies")
    depends_on = models.ForeignKey(
        BundleItem, verbose_name=_("waits for"), on_delete=models.CASCADE, related_name="dependents"
    )

    class Meta:
        verbose_name = _("bundle dependency")
        verbose_name_plural = _("bundle dependencies")
        ordering = ["bundle_id", "item__order", "depends_on__order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "depends_on"], name="bundle_dependency_unique"),
            models.CheckConstraint(condition=~models.Q(item=models.F("depends_on")), name="bundle_dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.item.key} ← {self.depends_on.key}"


class BundleCaseStatus(models.TextChoices):
    """Where a bundle application stands; the item cases carry the detail."""

    DRAFT = "draft", _("draft")
    RUNNING = "running", _("items being handled")
    READY = "ready", _("results ready for handing out")
    COMPLETED = "completed", _("completed")
    REFUSED = "refused", _("no item granted")


class DeliveryChoice(models.TextChoices):
    TOGETHER = "together", _("all results together (one package)")
    SEPARATELY = "separately", _("each result when it is ready")


class BundleCase(models.Model):
    """一件事办件: one application for a bundle; the item cases (办件) it starts carry its number.

    Items are dispatched as the graph allows: those waiting for nothing at once, the others when what they
    wait for has issued its result. An item without a case is waiting or, when what it waits for failed
    (or the bundle stops on a refusal), stopped: both read from the item cases, never stored.
    """

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    bundle = models.ForeignKey(Bundle, verbose_name=_("bundle"), on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(
        _("status"), max_length=10, choices=BundleCaseStatus.choices, default=BundleCaseStatus.DRAFT, db_index=True
    )
    channel = models.CharField(_("channel"), max_length=10, editable=False)
    receiving_region = models.ForeignKey(
        "catalog.Region", verbose_name=_("receiving region"), on_delete=models.PROTECT, related_name="+"
    )
    applicant_person = models.ForeignKey(
        "identity.Person",
        verbose_name=_("applicant (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bundle_cases",
    )
    applicant_organisation = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("applicant (organisation)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bundle_cases",
    )
    applicant_name = models.CharField(_("applicant name"), max_length=200, editable=False)
    agent = models.ForeignKey(
        "identity.Person", verbose_name=_("agent"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authorisation = models.ForeignKey(
        "identity.Authorisation",
        verbose_name=_("authorisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    identity_check = models.CharField(_("identity check"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        "identity.StaffAssignment",
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    form_data = models.JSONField(_("form"), default=dict, blank=True)
    delivery_choice = models.CharField(
        _("results"), max_length=10, choices=DeliveryChoice.choices, default=DeliveryChoice.TOGETHER
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, editable=False)
    promised_deadline = models.DateTimeField(_("promised deadline"), null=True, editable=False)
    finished_at = models.DateTimeField(
        _("finished at"), null=True, editable=False, help_text=_("when the last item was decided or stopped")
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, editable=False)
    delivery = models.JSONField(_("delivery details"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("bundle application")
        verbose_name_plural = _("bundle applications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.bundle.name}"


class BundleMaterial(models.Model):
    """A material of a bundle application, given once and shared by reference with every item that needs it."""

    bundle_case = models.ForeignKey(
        BundleCase, verbose_name=_("bundle application"), on_delete=models.CASCADE, related_name="materials"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(_("names in the items' guides"), default=list)
    license_types = models.JSONField(_("licence types"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    serves = models.JSONField(_("items"), default=list, help_text=_("keys of the items that need it"))
    from_result_of = models.CharField(
        _("comes from the result of"), max_length=32, blank=True, help_text=_("an earlier item whose result it is")
    )
    evidence = models.CharField(_("how given"), max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="bundles/%Y/%m/", blank=True)
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sm3 = models.CharField(_("SM3"), max_length=64, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("bundle material")
        verbose_name_plural = _("bundle materials")
        ordering = ["bundle_case_id", "order"]

    def __str__(self) -> str:
        return self.name

    @property
    def given(self) -> bool:
        return bool(self.evidence)


class BundleCaseEvent(models.Model):
    """What happened to a bundle application as a whole (applied, item dispatched or stopped, handed out);
    each item case keeps its own hash-chained record."""

    bundle_case = models.ForeignKey(
        BundleCase, verbose_name=_("bundle application"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=32)
    actor = models.CharField(_("actor"), max_length=150, help_text=_("login name, or 'system'"))
    item = models.CharField(_("item"), max_length=32, blank=True)
    payload = models.JSONField(_("details"), default=dict)

    class Meta:
        verbose_name = _("bundle application event")
        verbose_name_plural = _("bundle application events")
        ordering = ["bundle_case_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.bundle_case_id} {self.action}"
