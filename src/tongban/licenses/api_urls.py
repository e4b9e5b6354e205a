"""E-licence API under /api/v1/: licences, their public status and verification, licence types, the log."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tongban.licenses import api

router = SimpleRouter()
router.register("licenses", api.LicenseViewSet, basename="license")

urlpatterns = [
    # Before the router, whose detail route would otherwise take ".../status/" for an unknown action.
    path(
        "licenses/<str:identifier>/status/",
        api.LicenseStatusView.as_view(),
        name="license-status",
    ),
    path("license-verifications/", api.VerificationView.as_view(), name="license-verification"),
    path("license-types/", api.LicenseTypeListView.as_view(), name="license-type-list"),
    path("log/head/", api.LogHeadView.as_view(), name="log-head"),
    path("log/inclusion/", api.LogInclusionView.as_view(), name="log-inclusion"),
    path("log/consistency/", api.LogConsistencyView.as_view(), name="log-consistency"),
    path("log/leaves/<int:index>/", api.LogLeafView.as_view(), name="log-leaf"),
    path("log/peers/", api.LogPeersView.as_view(), name="log-peers"),
    path("log/forks/", api.LogForksView.as_view(), name="log-forks"),
    *router.urls,
]
