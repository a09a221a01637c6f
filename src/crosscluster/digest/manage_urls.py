"""The digest in the manager area; urls.py puts these with the other apps' patterns under `manage:`."""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("digest/", views.preview, name="digest"),
    path("digest/mail/", views.preview_mail, name="digest-mail"),
]
