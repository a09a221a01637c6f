"""Editing organisations in the manager area; urls.py puts these with accounts.manage_urls under `manage:`."""

from django.urls import path

from . import manage_views as views

ORG = "organisationen/<slug:slug>/"

urlpatterns = [
    path(ORG, views.organization, name="organization"),
    path(f"{ORG}profil/", views.organization_edit, name="organization-edit"),
    path(f"{ORG}verlauf/", views.organization_history, name="organization-history"),
    path(f"{ORG}angebote/", views.offer_list, name="offer-list"),
    path(f"{ORG}angebote/neu/", views.offer_create, name="offer-create"),
    path(f"{ORG}angebote/<int:pk>/", views.offer_edit, name="offer-edit"),
    path(f"{ORG}angebote/<int:pk>/loeschen/", views.offer_delete, name="offer-delete"),
    path(f"{ORG}kontakte/", views.contact_list, name="contact-list"),
    path(f"{ORG}kontakte/neu/", views.contact_create, name="contact-create"),
    path(f"{ORG}kontakte/<int:pk>/", views.contact_edit, name="contact-edit"),
    path(f"{ORG}kontakte/<int:pk>/loeschen/", views.contact_delete, name="contact-delete"),
    path(f"{ORG}videos/", views.video_list, name="video-list"),
    path(f"{ORG}videos/neu/", views.video_create, name="video-create"),
    path(f"{ORG}videos/<int:pk>/", views.video_edit, name="video-edit"),
    path(f"{ORG}videos/<int:pk>/loeschen/", views.video_delete, name="video-delete"),
]
