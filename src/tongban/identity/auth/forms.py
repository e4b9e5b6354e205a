"""The login form: Django's AuthenticationForm with the lockout's refusals shown as their own errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from tongban.identity.auth import lockout


class LoginForm(AuthenticationForm):
    """Username and password; a refusal (locked name, busy address) is a form error with code locked/rate_limited."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # The same words whether the username is unknown or the password wrong: no user enumeration.
        "invalid_login": _("The username or password is not correct. Both are case-sensitive."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.refused: lockout.Refusal | None = None

    def _refuse(self, refused: lockout.Refusal) -> forms.ValidationError:
        self.refused = refused
        return forms.ValidationError(str(refused.text), code=refused.code)

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and self.cleaned_data.get("password"):
            # Say why before checking the password: a locked name is refused even with the right one.
            refused = lockout.refusal(username, lockout.client_ip(self.request))
            if refused is not None:
                lockout.log.warning(
                    "login refused: username=%s ip=%s reason=%s",
                    lockout.mask(username),
                    lockout.client_ip(self.request),
                    refused.code,
                )
                raise self._refuse(refused)
            try:
                return super().clean()
            except forms.ValidationError:
                # The failure just counted may be the one that locks the name: say so now, not next time.
                refused = lockout.refusal(username, lockout.client_ip(self.request))
                if refused is not None:
                    raise self._refuse(refused) from None
                raise
        return super().clean()
