"""Bundle API under /api/v1/: the definitions (bundles/) and the applications for them (bundle-applications/)."""

from rest_framework.routers import SimpleRouter

from tongban.bundles import api, api_applications

router = SimpleRouter()
router.register("bundles", api.BundleViewSet, basename="bundle")
router.register("bundle-applications", api_applications.BundleApplicationViewSet, basename="bundle-application")

urlpatterns = router.urls
