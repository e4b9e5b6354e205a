"""Bundle API under /api/v1/bundles/."""

from rest_framework.routers import SimpleRouter

from tongban.bundles import api

router = SimpleRouter()
router.register("bundles", api.BundleViewSet, basename="bundle")

urlpatterns = router.urls
