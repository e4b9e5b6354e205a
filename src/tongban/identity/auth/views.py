"""Login, logout, the signed-in page, single sign-on through the federation's provider, and the CSRF page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from mozilla_django_oidc import views as oidc_views

from tongban.core.errors import Problem
from tongban.core.messages import Text
from tongban.identity.auth.forms import LoginForm
from tongban.identity.auth.oidc import SSO_ERROR_SESSION_KEY

# The reasons a single sign-on came back without a login, set by tongban.identity.auth.oidc.
SSO_ERRORS = {
    "no_account": Text(
        "统一身份认证已确认您的身份，但本节点没有与之对应的账号。请联系本节点管理员开通。",
        "The single sign-on service confirmed who you are, but this node has no account linked to you. "
        "Ask this node's administrator to open one.",
    ),
    "provider": Text(
        "暂时无法连接统一身份认证服务，请稍后再试，或使用本节点账号登录。",
        "The single sign-on service cannot be reached now; try again later or log in with this node's account.",
    ),
    "failed": Text(
        "统一身份认证登录未完成，请重试。",
        "The single sign-on did not complete; please try again.",
    ),
}


def sso_enabled() -> bool:
    return bool(settings.TONGBAN_OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso_enabled()
        context["max_failures"] = settings.TONGBAN_LOGIN_MAX_FAILURES
        context["lock_minutes"] = settings.TONGBAN_LOGIN_LOCK_SECONDS // 60
        context["session_hours"] = settings.TONGBAN_SESSION_HOURS
        sso_error = None
        if self.request.method == "GET" and self.request.GET.get("sso"):
            code = self.request.session.pop(SSO_ERROR_SESSION_KEY, None) or "failed"
            sso_error = SSO_ERRORS.get(code, SSO_ERRORS["failed"])
        context["sso_error"] = sso_error
        return context

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.refused is not None:
            # A refusal is rate limiting, whatever the reason: say so to scripts as well as people.
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): a link or an image cannot log anyone out."""

    template_name = "identity/logged_out.html"


@never_cache
@require_safe
def logged_out(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/logged_out.html")


@never_cache
@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    """Who is signed in, how, and the way out."""
    via_sso = request.session.get("_auth_user_backend", "").endswith("ClaimsBackend")
    return render(request, "identity/account.html", {"via_sso": via_sso})


class SsoStartView(oidc_views.OIDCAuthenticationRequestView):
    """Sends the browser to the provider (code flow with PKCE and a nonce); 404 when no provider is set."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sso_enabled():
            raise Http404("single sign-on is not configured on this node")
        return super().dispatch(request, *args, **kwargs)


class SsoCallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; the login itself is tongban.identity.auth.oidc.ClaimsBackend."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sso_enabled():
            raise Http404("single sign-on is not configured on this node")
        return super().dispatch(request, *args, **kwargs)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 when a form's CSRF check fails, in both languages: the usual cause is a page left open too long."""
    text = Text(
        "页面已过期或来源无法验证，为保护您的账号，本次提交未被处理。请返回上一页，刷新后重新提交。",
        "This page has expired or its origin could not be verified, so to protect your account the form "
        "was not processed. Go back, reload the page and submit it again.",
    )
    if request.path_info.startswith("/api/"):
        problem = Problem(None, "csrf_failed", text)
        return JsonResponse({"status": 403, "errors": [problem.as_dict()]}, status=403)
    language = translation.get_language() or settings.LANGUAGE_CODE
    return render(
        request,
        "identity/csrf_failure.html",
        {"text": text, "english_first": language.startswith("en"), "reason": reason if settings.DEBUG else ""},
        status=403,
    )
