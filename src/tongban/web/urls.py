from django.urls import path

from tongban.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("guides/<str:implementation_code>/", views.guide, name="guide"),
    path("guides/<str:implementation_code>/diff/", views.guide_diff, name="guide_diff"),
    path("items/<str:basic_code>/compare/", views.compare, name="compare"),
    path("text-size/", views.text_size, name="text_size"),
]
