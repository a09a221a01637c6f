"""Notices in the manager area; urls.py puts these with the other apps' patterns under `manage:`."""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("hinweise/", views.notice_list, name="notices"),
    path("hinweise/neu/", views.notice_create, name="notice-create"),
    path("hinweise/<int:pk>/", views.notice_edit, name="notice-edit"),
    path("hinweise/<int:pk>/loeschen/", views.notice_delete, name="notice-delete"),
    path("hinweise/<int:pk>/anhaenge/", views.notice_attachments, name="notice-attachments"),
    path(
        "hinweise/<int:pk>/anhaenge/<int:attachment_pk>/loeschen/",
        views.attachment_delete,
        name="notice-attachment-delete",
    ),
]
