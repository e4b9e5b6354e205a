"""URL map: pages, the API under /api/v1/, health and the schema."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from tongban.core.views import healthz
from tongban.licenses.sharing_api import LicenseLookupView

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("tongban.catalog.api_urls")),
    path("api/v1/", include("tongban.identity.api_urls")),
    path("api/v1/", include("tongban.cases.api_urls")),
    path("api/v1/", include("tongban.credit.api_urls")),
    path("api/v1/", include("tongban.federation.api_urls")),
    path("api/v1/", include("tongban.licenses.api_urls")),
    path("api/v1/", include("tongban.frontdesk.api_urls")),
    path("api/v1/", include("tongban.bundles.api_urls")),
    path("api/v1/license-lookups/", LicenseLookupView.as_view(), name="license-lookup"),
    path("", include("tongban.federation.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tongban.identity.auth.sso_urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("accounts/", include("tongban.identity.auth.urls")),
    path("", include("tongban.identity.urls")),
    path("", include("tongban.cases.urls")),
    path("", include("tongban.licenses.urls")),
    path("", include("tongban.bundles.urls")),
    path("", include("tongban.frontdesk.urls")),
    path("", include("tongban.web.urls")),
    prefix_default_language=False,
)
