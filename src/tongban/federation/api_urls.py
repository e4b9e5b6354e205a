"""The message log API under /api/v1/federation/."""

from rest_framework.routers import SimpleRouter

from tongban.federation import api

router = SimpleRouter()
router.register("federation/outbox", api.OutboxViewSet, basename="federation-outbox")
router.register("federation/inbox", api.InboxViewSet, basename="federation-inbox")
router.register("federation/refused", api.RefusedViewSet, basename="federation-refused")

urlpatterns = router.urls
