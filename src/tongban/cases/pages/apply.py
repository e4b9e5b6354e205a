"""Apply online (在线申请) from a guide: a page that starts the draft, which the case page then fills in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.cases import services
from tongban.cases.choices import Status
from tongban.cases.forms import DraftForm
from tongban.cases.models import Case
from tongban.cases.pages.common import Errors, case_url, errors_from, int_or_none
from tongban.catalog.choices import GuideStatus
from tongban.catalog.models import ItemImplementation
from tongban.core.errors import DomainError
from tongban.identity.actor import Actor, actor_for
from tongban.identity.models import Organisation
from tongban.identity.policy import visible
from tongban.web.views import not_found


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, implementation_id: int) -> HttpResponse:
    impl = (
        ItemImplementation.objects.select_related("item", "department", "region__parent__parent", "current_version")
        .filter(pk=implementation_id)
        .first()
    )
    guide = impl.current_version if impl else None
    if impl is None or guide is None or guide.status != GuideStatus.PUBLISHED:
        return not_found(request, _("This service cannot be applied for online at present."))
    actor = actor_for(request)
    as_applicant = Actor(user=request.user, person=actor.person)
    organisations = (
        list(visible(as_applicant, "identity.organisation.read", Organisation.objects.order_by("name")))
        if actor.person is not None
        else []
    )
    errors = Errors()
    if request.method == "POST":
        chosen = int_or_none(request.POST.get("organisation"))
        organisation = next((o for o in organisations if o.pk == chosen), None)
        try:
            if chosen is not None and organisation is None:
                raise DomainError.single(
                    "organisation", "unknown", "请选择您代表的单位", "choose an organisation you represent"
                )
            case = services.create_draft(actor, implementation=impl, organisation=organisation)
        except DomainError as exc:
            errors = errors_from(exc, {"organisation"})
        else:
            return HttpResponseRedirect(case_url(case))
    drafts = visible(as_applicant, "case.read", Case.objects.filter(implementation=impl, status=Status.DRAFT))
    context = {
        "impl": impl,
        "guide": guide,
        "materials": list(guide.materials.all()),
        "form_fields": list(DraftForm(guide.form_schema)),
        "organisations": organisations,
        "drafts": list(drafts.order_by("-created_at")),
        "errors": errors,
        "has_person": actor.person is not None,
    }
    return render(request, "cases/apply.html", context, status=errors.status if errors else 200)
