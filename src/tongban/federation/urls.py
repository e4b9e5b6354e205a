"""The federation endpoint under /federation/v1/, and the node operator's message log under /federation/log/."""

from django.urls import path

from tongban.federation import pages, views

app_name = "federation"

urlpatterns = [
    path("federation/v1/messages/", views.messages, name="messages"),
    path("federation/v1/batches/", views.batch, name="batches"),
    path("federation/log/", pages.log, name="log"),
    path("federation/log/sent/<str:message_id>/", pages.sent, name="log-sent"),
    path("federation/log/sent/<str:message_id>/retry/", pages.retry, name="log-retry"),
    path("federation/log/received/<str:message_id>/", pages.received, name="log-received"),
]
