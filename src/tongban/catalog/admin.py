"""Django admin for the catalog (事项库管理), in Chinese by default.

Writes go through the catalog commands: published guide versions are read-only, drafts are changed
with services.update_draft, and publishing or revising are admin actions calling services. Each command
gets the request's actor and asks the policy itself, so an action on a record outside one's scope (the
change lists show the whole catalog) is refused record by record.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tongban.catalog import guide as guide_rules
from tongban.catalog import services
from tongban.catalog.models import (
    Agreement,
    Department,
    GuideVersion,
    Hall,
    ItemImplementation,
    MaterialRequirement,
    Region,
    ServiceItem,
    Window,
)
from tongban.core.errors import DomainError
from tongban.identity.actor import actor_for
from tongban.identity.admin_policy import PolicyAdminMixin, PolicyInlineMixin

admin.site.site_header = _("tongban administration")
admin.site.site_title = _("tongban")
admin.site.index_title = _("Catalog and node administration")


def _report(request, exc: DomainError) -> None:  # type: ignore[no-untyped-def]
    for problem in exc.problems:
        messages.error(request, f"{problem.field or ''}: {problem.text}")


class CommandAdmin(PolicyAdminMixin):
    """Saves through services.save_record, so checks and search re-indexing always happen.

    Who may add, change or delete is the policy's answer for catalog.write on the record.
    """

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        services.save_record(actor_for(request), obj)


@admin.register(Region)
class RegionAdmin(PolicyAdminMixin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]

    # The division list comes from the shipped national data (tongban load_regions), not from hand edits.
    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Department)
class DepartmentAdmin(CommandAdmin):
    list_display = ["name", "region", "uscc", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "uscc", "region__name"]
    autocomplete_fields = ["region"]


class WindowInline(PolicyInlineMixin, admin.TabularInline):
    model = Window
    extra = 0
    filter_horizontal = ["departments"]


@admin.register(Hall)
class HallAdmin(CommandAdmin):
    list_display = ["name", "region", "address"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]
    inlines = [WindowInline]


@admin.register(ServiceItem)
class ServiceItemAdmin(CommandAdmin):
    list_display = ["name", "code", "kind", "item_type", "parent"]
    list_filter = ["kind", "item_type"]
    search_fields = ["name", "basic_code", "handling_code"]
    autocomplete_fields = ["parent"]


class GuideVersionInline(PolicyInlineMixin, admin.TabularInline):
    model = GuideVersion
    fields = ["number", "status", "effective_from", "effective_to", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(ItemImplementation)
class ItemImplementationAdmin(PolicyAdminMixin):
    list_display = ["implementation_code", "item", "region", "department", "current_version"]
    search_fields = ["implementation_code", "item__name", "department__name"]
    list_filter = ["region__level"]
    readonly_fields = ["current_version"]
    autocomplete_fields = ["item", "region", "department"]
    inlines = [GuideVersionInline]
    actions = ["start_revision"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        # A new implementation comes with its first guide: through the API or an import.
        return False

    @admin.action(description=_("Start a new draft of the guide"))
    def start_revision(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for impl in queryset:
            try:
                services.start_revision(actor_for(request), impl)
                messages.success(request, _("New draft started: %(impl)s") % {"impl": impl})
            except DomainError as exc:
                _report(request, exc)


class MaterialInline(PolicyInlineMixin, admin.StackedInline):
    model = MaterialRequirement
    extra = 0

    # Only a draft's materials change, and only for whom the policy allows on that guide.
    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is not None and obj.is_draft and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return (obj is None or obj.is_draft) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is not None and obj.is_draft and super().has_delete_permission(request, obj)


@admin.register(GuideVersion)
class GuideVersionAdmin(PolicyAdminMixin):
    list_display = ["name", "implementation", "number", "status", "effective_from"]
    list_filter = ["status"]
    search_fields = ["name", "implementation__implementation_code"]
    inlines = [MaterialInline]
    actions = ["publish"]
    exclude = ["implementation"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fixed = ["number", "status", "effective_from", "effective_to", "published_at", "content_hash"]
        if obj is not None and not obj.is_draft:
            return [f.name for f in obj._meta.fields if f.name != "implementation"]
        return fixed

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        changed = {f: form.cleaned_data[f] for f in form.changed_data if f in guide_rules.FIELD_NAMES}
        try:
            services.update_draft(actor_for(request), obj, guide=changed)
        except DomainError as exc:
            raise ValidationError("; ".join(f"{p.field}: {p.text}" for p in exc.problems)) from exc

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        for guide in queryset:
            try:
                services.publish_guide(actor_for(request), guide)
                messages.success(request, _("Published: %(guide)s") % {"guide": guide})
            except DomainError as exc:
                _report(request, exc)


@admin.register(Agreement)
class AgreementAdmin(CommandAdmin):
    list_display = ["name", "kind", "effective_from", "effective_to"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["regions", "items"]
