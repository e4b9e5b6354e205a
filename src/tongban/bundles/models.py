"""Life-event bundles (一件事): several items one life event needs, applied for once, materials given once."""

from __future__ import annotations

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
