"""Front desk API under /api/v1/: queue-tickets, windows/{id}/call-next, halls/{id}/queue|figures, appointments."""

from rest_framework.routers import SimpleRouter

from tongban.frontdesk import api

router = SimpleRouter()
router.register("queue-tickets", api.QueueTicketViewSet, basename="queue-ticket")
router.register("windows", api.WindowDeskViewSet, basename="window-desk")
# Only detail actions: the catalog's /halls/ and /halls/{id}/ stay the catalog's.
router.register("halls", api.HallDeskViewSet, basename="hall-desk")
router.register("appointments", api.AppointmentViewSet, basename="appointment")

urlpatterns = router.urls
