from django.urls import path

from web.accounts import views as account_views

app_name = "accounts"

urlpatterns = [
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/set-up/", account_views.two_factor_enrol, name="two_factor_enrol"),
]
