"""Endpoints without a language prefix: the OAuth2 / OIDC provider under /o/, the relying party under /oidc/.

Their addresses are registered with other parties (redirect URIs, the issuer), so they never change
with the page language.
"""

from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

# tokens is imported for its OpenAPI extension, which describes bearer tokens in the schema:
# drf-spectacular finds extensions by class registration, so the module must be loaded before the
# schema is built, and the URL map is always loaded first.
from tongban.identity.auth import tokens, views  # noqa: F401

# django-oauth-toolkit's endpoints without its application-management pages: a node's clients are
# registered by an operator (`tongban oidc_client`), not by any signed-in user. The RFC 8414 metadata
# stays: its address is what the `iss` of an authorization response is derived from (RFC 9207).
provider_patterns = [
    *oauth2_urls.metadata_urlpatterns,
    *oauth2_urls.base_urlpatterns,
    *oauth2_urls.oidc_urlpatterns,
]

urlpatterns = [
    # The namespace django-oauth-toolkit reverses its own URLs in.
    path("o/", include((provider_patterns, "oauth2_provider"))),
    # Names mozilla-django-oidc reverses (the callback's absolute address is the redirect URI).
    path("oidc/authenticate/", views.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", views.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
]
