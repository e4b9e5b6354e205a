"""Identity API under /api/v1/ (persons, organisations, authorisations, staff assignments, access log)."""

from rest_framework.routers import SimpleRouter

from tongban.identity import api

# SimpleRouter: the catalog's DefaultRouter already serves the API index at /api/v1/.
router = SimpleRouter()
router.register("persons", api.PersonViewSet, basename="person")
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("authorisations", api.AuthorisationViewSet, basename="authorisation")
router.register("assignments", api.StaffAssignmentViewSet, basename="assignment")
router.register("personal-data-accesses", api.PersonalDataAccessViewSet, basename="personal-data-access")

urlpatterns = router.urls
