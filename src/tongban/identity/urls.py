"""Pages of identity: the staff role switcher (login and SSO pages live in tongban.identity.auth)."""

from django.urls import path

from tongban.identity import views

app_name = "identity"
urlpatterns = [
    path("roles/", views.roles, name="roles"),
]
