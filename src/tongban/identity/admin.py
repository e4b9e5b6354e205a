"""Django admin for identity (身份与权限管理), in Chinese by default.

Every add or change runs a command from services.py, as the admin user's actor, inside the form's
validation, so a refused input comes back on the form naming the field. Document numbers and phones
are shown masked; the access log is read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError
from tongban.identity import services
from tongban.identity.actor import actor_for
from tongban.identity.masking import mask_id_number, mask_phone
from tongban.identity.models import (
    Authorisation,
    Organisation,
    Person,
    PersonalDataAccess,
    StaffAssignment,
    StaffProfile,
)


def _report(request: Any, exc: DomainError) -> None:
    for problem in exc.problems:
        messages.error(request, f"{problem.field or ''}: {problem.text}")


class CommandForm(forms.ModelForm):
    """A model form whose saving is a command: ``run`` is called once the fields are valid.

    The command checks uniqueness itself (and in the same transaction), so the form does not.
    """

    request: Any = None
    change: bool = False
    result: models.Model | None = None

    def run(self, data: dict[str, Any]) -> models.Model:  # pragma: no cover - each admin supplies one
        raise NotImplementedError

    def validate_unique(self) -> None:
        pass

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            self.result = self.run(self.cleaned_data)
        except DomainError as exc:
            for problem in exc.problems:
                field = problem.field if problem.field in self.fields else None
                self.add_error(field, str(problem.text))


class CommandAdmin(admin.ModelAdmin):
    """Adds (and changes, where a command exists) through its form's ``run``."""

    form: type[CommandForm]

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request, "change": obj is not None})

    def save_form(self, request, form, change):  # type: ignore[no-untyped-def]
        form.save(commit=False)  # gives the form its save_m2m, which the admin calls next
        return form.result

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        pass  # the command has written it

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # records of identity end (revoke, end) but are never deleted


class PersonForm(CommandForm):
    class Meta:
        model = Person
        fields = ["name", "id_type", "id_number", "nationality", "phone", "region", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.change and "phone" in self.fields:
            # The stored number is not put in the page: typing a new one replaces it, blank keeps it.
            self.initial["phone"] = ""
            self.fields["phone"].help_text = _("leave blank to keep the current number")

    def run(self, data: dict[str, Any]) -> models.Model:
        actor = actor_for(self.request)
        if self.change:
            return services.update_person(actor, self.instance, name=data["name"], phone=data.get("phone") or None)
        return services.register_person(
            actor,
            name=data["name"],
            id_type=data["id_type"],
            id_number=data["id_number"],
            nationality=data.get("nationality") or "CHN",
            phone=data.get("phone", ""),
            region_code=data["region"].code if data.get("region") else None,
            user=data.get("user"),
        )


@admin.register(Person)
class PersonAdmin(CommandAdmin):
    form = PersonForm
    list_display = ["name", "id_type", "masked_id_number", "masked_phone", "nationality", "region", "registered_at"]
    list_filter = ["id_type"]
    search_fields = ["name"]
    autocomplete_fields = ["region"]
    raw_id_fields = ["user"]
    _FIXED = ["id_type", "masked_id_number", "masked_phone", "nationality", "region", "user", "registered_at"]

    @admin.display(description=_("document number"))
    def masked_id_number(self, obj: Person) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Person) -> str:
        return mask_phone(obj.phone)

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        if obj is None:
            return ["name", "id_type", "id_number", "nationality", "phone", "region", "user"]
        # The document never changes, and the whole number is not shown without a logged look-up.
        return ["name", "phone", *self._FIXED]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [] if obj is None else self._FIXED

    def get_changeform_initial_data(self, request):  # type: ignore[no-untyped-def]
        return {"nationality": "CHN"}


class OrganisationForm(CommandForm):
    class Meta:
        model = Organisation
        fields = ["name", "uscc", "legal_representative", "region"]

    def run(self, data: dict[str, Any]) -> models.Model:
        return services.register_organisation(
            actor_for(self.request),
            name=data["name"],
            uscc=data["uscc"],
            legal_representative=data["legal_representative"],
            region_code=data["region"].code if data.get("region") else None,
        )


@admin.register(Organisation)
class OrganisationAdmin(CommandAdmin):
    form = OrganisationForm
    list_display = ["name", "uscc", "legal_representative", "region"]
    search_fields = ["name", "uscc"]
    autocomplete_fields = ["legal_representative", "region"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)


class AuthorisationForm(CommandForm):
    class Meta:
        model = Authorisation
        fields = [
            "principal_person",
            "principal_organisation",
            "agent",
            "scope",
            "valid_from",
            "valid_to",
            "evidence",
            "evidence_file",
            "id_check_note",
            "region",
        ]

    def run(self, data: dict[str, Any]) -> models.Model:
        return services.record_authorisation(
            actor_for(self.request),
            principal_person=data.get("principal_person"),
            principal_organisation=data.get("principal_organisation"),
            agent=data.get("agent"),
            scope=data.get("scope", ""),
            valid_from=data.get("valid_from"),
            valid_to=data.get("valid_to"),
            evidence=data.get("evidence", ""),
            evidence_file=data.get("evidence_file") or None,
            id_check_note=data.get("id_check_note", ""),
            region_code=data["region"].code if data.get("region") else None,
        )


@admin.register(Authorisation)
class AuthorisationAdmin(CommandAdmin):
    form = AuthorisationForm
    list_display = ["__str__", "valid_from", "valid_to", "evidence", "region", "revoked_at"]
    list_filter = ["evidence"]
    autocomplete_fields = ["principal_person", "principal_organisation", "agent", "region"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description=_("Revoke the selected authorisations"))
    def revoke(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        actor = actor_for(request)
        for authorisation in queryset:
            try:
                services.revoke_authorisation(actor, authorisation, reason=str(_("revoked in the administration")))
                messages.success(request, _("Revoked: %(item)s") % {"item": authorisation})
            except DomainError as exc:
                _report(request, exc)


class StaffProfileForm(CommandForm):
    class Meta:
        model = StaffProfile
        fields = ["user", "staff_number", "name"]

    def run(self, data: dict[str, Any]) -> models.Model:
        return services.register_staff(
            actor_for(self.request), user=data["user"], staff_number=data["staff_number"], name=data["name"]
        )


@admin.register(StaffProfile)
class StaffProfileAdmin(CommandAdmin):
    form = StaffProfileForm
    list_display = ["staff_number", "name", "user"]
    search_fields = ["staff_number", "name", "user__username"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)


class StaffAssignmentForm(CommandForm):
    class Meta:
        model = StaffAssignment
        fields = ["user", "role", "region", "include_descendants", "department"]

    def run(self, data: dict[str, Any]) -> models.Model:
        return services.assign_role(
            actor_for(self.request),
            user=data["user"],
            role=data["role"],
            region_code=data["region"].code,
            department=data.get("department"),
            include_descendants=data.get("include_descendants", False),
        )


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(CommandAdmin):
    form = StaffAssignmentForm
    list_display = ["user", "role", "region", "include_descendants", "department", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "region__name"]
    autocomplete_fields = ["region", "department"]
    raw_id_fields = ["user"]
    actions = ["end"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description=_("End the selected assignments"))
    def end(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        actor = actor_for(request)
        for assignment in queryset:
            try:
                services.end_assignment(actor, assignment)
                messages.success(request, _("Ended: %(item)s") % {"item": assignment})
            except DomainError as exc:
                _report(request, exc)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The access log is evidence: it is read here, never written or changed."""

    list_display = ["at", "user", "assignment", "record_type", "record_id", "reason"]
    list_filter = ["record_type"]
    search_fields = ["user__username", "record_id", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
