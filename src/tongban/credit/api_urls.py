"""Credit record API under /api/v1/credit-entries/ and /api/v1/credit-eligibility/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tongban.credit import api

router = SimpleRouter()
router.register("credit-entries", api.CreditEntryViewSet, basename="credit-entry")

urlpatterns = [
    path("credit-eligibility/", api.EligibilityView.as_view(), name="credit-eligibility"),
    *router.urls,
]
