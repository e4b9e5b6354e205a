"""Case API under /api/v1/cases/."""

from rest_framework.routers import SimpleRouter

from tongban.cases import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")
router.register("verifications", api.VerificationViewSet, basename="verification")

urlpatterns = router.urls
