"""Window intake (窗口收件): choose the item, find the applicant by their ID number, record the check, receive.

The page is one address with three steps kept in its query string (``implementation``, ``id_number``), so
each step is a plain GET form and the last a POST. Looking a person up shows only their masked name and
number, and the look-up is logged like every look-up of someone else's personal data. A person who is not
registered yet can be registered here (name and phone), through the identity command.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.cases import services
from tongban.cases.forms import DraftForm
from tongban.cases.pages.common import Errors, case_url, errors_from, int_or_none, role_needed
from tongban.catalog.agreements import receivable_implementations
from tongban.catalog.choices import GuideStatus
from tongban.catalog.models import ItemImplementation
from tongban.core.codes import CodeError
from tongban.core.errors import DomainError
from tongban.identity import ids
from tongban.identity import services as identity
from tongban.identity.actor import Actor, actor_for
from tongban.identity.choices import IdType
from tongban.identity.masking import mask_id_number, mask_name
from tongban.identity.models import Person
from tongban.identity.policy import is_own, may, visible

RESULTS = 20
LOOKUP_REASON = "窗口收件核验申请人身份 / identity check at window intake"
SHOWN_FIELDS = ["name (masked)", "id_number (masked)"]


def _implementations(actor: Actor) -> Any:
    """What this window may receive: its own region's items, and other regions' items that an agreement
    lets it receive for them (异地代收代办; only those in mode ``proxy`` can be received in the end)."""
    published = ItemImplementation.objects.filter(current_version__status=GuideStatus.PUBLISHED)
    own = visible(actor, "case.intake", published)
    if actor.assignment is not None and may(actor, "case.intake"):
        own = own | published.filter(pk__in=receivable_implementations(actor.assignment.region).values("pk"))
    return own.select_related("item", "department", "region", "current_version")


def _search(actor: Actor, q: str) -> list[ItemImplementation]:
    qs = _implementations(actor)
    if q:
        qs = qs.filter(
            Q(current_version__name__icontains=q)
            | Q(item__name__icontains=q)
            | Q(implementation_code__iexact=q)
            | Q(item__basic_code__iexact=q)
        )
    return list(qs.order_by("item__name", "implementation_code")[:RESULTS])


def find_person(actor: Actor, number: str) -> Person | None:
    qs = Person.objects.filter(id_type=IdType.RESIDENT_ID, nationality="CHN", id_number=number)
    return visible(actor, "identity.person.read", qs).first()


def log_lookup(actor: Actor, person: Person) -> None:
    if not is_own(actor, person):
        identity.log_personal_data_access(
            actor, record=person, person=person, fields=SHOWN_FIELDS, reason=LOOKUP_REASON
        )


def _here(implementation: int | None = None, id_number: str = "") -> str:
    query = {k: v for k, v in {"implementation": implementation or "", "id_number": id_number}.items() if v}
    return f"{reverse('cases:intake')}?{urlencode(query)}" if query else reverse("cases:intake")


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    decision = may(actor, "case.intake")
    if not decision:
        return role_needed(request, actor, decision.reason)
    source = request.POST if request.method == "POST" else request.GET
    q = request.GET.get("q", "").strip()[:100]
    impl_id = int_or_none(source.get("implementation"))
    impl = _implementations(actor).filter(pk=impl_id).first() if impl_id else None
    errors = Errors()
    number = source.get("id_number", "").strip().upper()
    person: Person | None = None
    if number:
        try:
            number = ids.validate_id_number(IdType.RESIDENT_ID, number)
        except CodeError as exc:
            errors.add("id_number", str(exc.text))
        else:
            person = find_person(actor, number)
    form = DraftForm(impl.current_version.form_schema if impl else {}, request.POST or None)
    status = 200
    if request.method == "POST" and impl is not None and not errors:
        action = request.POST.get("do")
        try:
            if action == "register" and person is None:
                person = identity.register_person(
                    actor,
                    name=request.POST.get("name", ""),
                    id_type=IdType.RESIDENT_ID,
                    id_number=number,
                    phone=request.POST.get("phone", ""),
                )
                return HttpResponseRedirect(_here(impl.pk, number))
            if action == "receive" and person is not None:
                if not form.is_valid():
                    raise DomainError.single(
                        "form", "invalid", "申请表有误，请按提示修改", "some answers of the form need correcting"
                    )
                case = services.receive(
                    actor,
                    implementation=impl,
                    person=person,
                    identity_check=request.POST.get("identity_check", ""),
                    form_data=form.form_data(),
                )
                return HttpResponseRedirect(case_url(case))
        except DomainError as exc:
            failed = errors_from(exc, {"name", "phone", "identity_check", "id_number"})
            errors.fields.update(failed.fields)
            errors.general += failed.general
            status = failed.status
    elif request.method == "POST":
        errors.add(None, _("Choose the service and find the applicant first."))
        status = 400
    if person is not None:
        log_lookup(actor, person)
    context = {
        "q": q,
        "results": _search(actor, q) if impl is None else [],
        "impl": impl,
        "number": number,
        "person": person,
        "person_name": mask_name(person.name) if person else "",
        "person_number": mask_id_number(person.id_number) if person else "",
        "looked_up": bool(number) and "id_number" not in errors.fields,
        "form": form,
        "errors": errors,
        "values": request.POST,
        "change_item_url": _here(None, number),
    }
    return render(request, "cases/intake.html", context, status=status if status != 200 or not errors else 400)
