"""Django admin for the working-day calendar (工作日历): the years, their days, and uploading a schedule."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError
from tongban.workdays import clock
from tongban.workdays.loader import load_schedule
from tongban.workdays.models import CalendarDay, CalendarYear, DayKind, statutory_days

MAX_SCHEDULE_BYTES = 1024 * 1024  # a year's schedule is a few hundred bytes; the full shipped table ~20 KB


class CalendarDayFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        year = getattr(self.instance, "year", None)
        if year is None or any(self.errors):
            return
        # The same rule as the loader: an empty or partial year would count every weekday as working.
        off = {
            form.cleaned_data.get("date")
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("kind") == DayKind.HOLIDAY
        }
        missing = [d for d in statutory_days(year) if d not in off]
        if missing:
            raise forms.ValidationError(
                _("A year's days must include the statutory holidays %(days)s.")
                % {"days": ", ".join(d.isoformat() for d in missing)}
            )


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    fields = ["date", "kind", "name"]
    extra = 0


class ScheduleUploadForm(forms.Form):
    file = forms.FileField(
        label=_("schedule file"),
        help_text=_("CSV (date,kind,name) or text lines: year 2027 / holiday 2027-01-01..2027-01-03 元旦 / workday …"),
    )
    source = forms.CharField(
        label=_("source document"), max_length=200, help_text=_("e.g. the State Council notice's document number")
    )
    replace = forms.BooleanField(label=_("replace years already loaded"), required=False)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "working_days", "source", "loaded_at"]
    search_fields = ["source", "note"]
    fields = ["year", "source", "note", "loaded_at"]
    readonly_fields = ["loaded_at"]
    inlines = [CalendarDayInline]
    change_list_template = "admin/workdays/calendaryear/change_list.html"

    @admin.display(description=_("working days in the year"))
    def working_days(self, obj: CalendarYear) -> int:
        return clock.working_days_in_year(obj.year)

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> list[str]:
        # Renumbering a year would leave its days under the wrong year.
        return [*self.readonly_fields, "year"] if obj is not None else list(self.readonly_fields)

    def save_related(self, request, form, formsets, change) -> None:  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        clock.forget()

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        super().delete_model(request, obj)
        clock.forget()

    def delete_queryset(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        super().delete_queryset(request, queryset)
        clock.forget()

    def get_urls(self):  # type: ignore[no-untyped-def]
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="workdays_calendaryear_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """载入节假日安排: check an uploaded schedule file and store its years through the loader."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ScheduleUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            replace = form.cleaned_data["replace"]
            if replace and not self.has_change_permission(request):
                raise PermissionDenied
            if upload.size > MAX_SCHEDULE_BYTES:
                form.add_error("file", _("The file is too large for a holiday schedule."))
            else:
                try:
                    years = load_schedule(upload.read(), source=form.cleaned_data["source"], replace=replace)
                except DomainError as exc:
                    for problem in exc.problems:
                        form.add_error("source" if problem.field == "source" else "file", str(problem.text))
                else:
                    for year in years:
                        count = clock.working_days_in_year(year.year)
                        messages.success(
                            request, _("Loaded %(year)s: %(count)s working days.") % {"year": year.year, "count": count}
                        )
                    return HttpResponseRedirect(reverse("admin:workdays_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Load a holiday schedule"),
            "form": form,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/upload.html", context)
