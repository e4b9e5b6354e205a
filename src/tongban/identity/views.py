"""Pages of identity: the staff role switcher (岗位切换).

GET lists the user's active assignments and marks the one they act in; POST chooses one (or none: act
as an applicant), kept in the session under ``tongban_role`` for every later action.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tongban.identity.actor import NO_ROLE, ROLE_SESSION_KEY, active_assignments, actor_for


@login_required
@require_http_methods(["GET", "POST"])
def roles(request: HttpRequest) -> HttpResponse:
    assignments = active_assignments(request.user)
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("assignment", "").strip()
        if chosen == NO_ROLE or any(str(a.pk) == chosen for a in assignments):
            request.session[ROLE_SESSION_KEY] = chosen
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = reverse("identity:roles")
            return HttpResponseRedirect(target)
        error = _("This is not one of your active roles. Choose one from the list.")
    actor = actor_for(request)
    status = 400 if error else 200
    context = {
        "assignments": assignments,
        "current": actor.assignment,
        "no_role": NO_ROLE,
        "error": error,
        "must_choose": actor.role_problem is not None,
        "next": request.GET.get("next", ""),
    }
    return render(request, "identity/roles.html", context, status=status)
