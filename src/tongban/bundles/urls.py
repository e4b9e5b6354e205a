"""Pages of 一件事 under /bundles/: the list, applying, the applications and the unified output window."""

from django.urls import path

from tongban.bundles import pages

app_name = "bundles"

urlpatterns = [
    path("bundles/", pages.bundle_list, name="list"),
    path("bundles/applications/", pages.application_list, name="applications"),
    path("bundles/applications/<str:number>/", pages.application, name="application"),
    path("bundles/<str:code>/apply/", pages.apply_page, name="apply"),
]
