"""Identity API under /api/v1/ (persons, organisations, authorisations, staff assignments)."""

urlpatterns: list = []
