"""Pages and API of identity: login, SSO, the applicant's area, the staff role switcher."""

from django.urls import path

app_name = "identity"
urlpatterns: list = []
