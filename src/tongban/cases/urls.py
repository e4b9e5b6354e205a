"""Pages of case handling; the applicant's and staff pages are added by tongban.web."""

from django.urls import path

from tongban.cases import views

app_name = "cases"

urlpatterns = [
    path("notices/verify/<str:token>/", views.notice_verify, name="notice-verify"),
]
