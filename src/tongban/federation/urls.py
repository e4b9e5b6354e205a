"""The federation endpoint under /federation/v1/."""

from django.urls import path

from tongban.federation import views

app_name = "federation"

urlpatterns = [
    path("federation/v1/messages/", views.messages, name="messages"),
    path("federation/v1/batches/", views.batch, name="batches"),
]
