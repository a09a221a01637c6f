"""Logging in and out and passwords, under /konto/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("anmelden/", views.LoginView.as_view(), name="login"),
    # POST only, like Django's LogoutView: a link could log people out from another site.
    path("abmelden/", auth_views.LogoutView.as_view(), name="logout"),
    path("passwort/vergessen/", views.PasswordResetView.as_view(), name="password_reset"),
    path("passwort/vergessen/gesendet/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "passwort/neu/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("passwort/neu/fertig/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("passwort/aendern/", views.PasswordChangeView.as_view(), name="password_change"),
]
