"""Pages under /accounts/ (language-prefixed like every page: /en/accounts/login/ is English)."""

from django.urls import path

from tongban.identity.auth import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logged-out/", views.logged_out, name="logged_out"),
    path("", views.account, name="account"),
]
