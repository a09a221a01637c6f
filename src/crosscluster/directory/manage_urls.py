"""Editing organisations in the manager area; urls.py puts these with accounts.manage_urls under `manage:`."""

from django.urls import path

from . import manage_views as views

ORG = "organisationen/<slug:slug>/"


def item_patterns(segment: str, section: views.Section) -> list:
    """List, create, edit and delete URLs of offers, contacts or videos (`manage:offer-list`, …)."""
    base, extra, name = f"{ORG}{segment}/", {"section": section}, section.url_name
    return [
        path(base, views.item_list, extra, name=f"{name}-list"),
        path(f"{base}neu/", views.item_create, extra, name=f"{name}-create"),
        path(f"{base}<int:pk>/", views.item_edit, extra, name=f"{name}-edit"),
        path(f"{base}<int:pk>/loeschen/", views.item_delete, extra, name=f"{name}-delete"),
    ]


urlpatterns = [
    path(ORG, views.organization, name="organization"),
    path(f"{ORG}profil/", views.organization_edit, name="organization-edit"),
    path(f"{ORG}verlauf/", views.organization_history, name="organization-history"),
    *item_patterns("angebote", views.OFFERS),
    *item_patterns("kontakte", views.CONTACTS),
    *item_patterns("videos", views.VIDEOS),
    path("themen/", views.topic_list, name="topics"),
    path("themen/<slug:slug>/", views.topic_edit, name="topic-edit"),
    path(
        "export/organisationen.csv",
        views.directory_csv,
        {"what": "organizations"},
        name="export-organizations",
    ),
    path("export/angebote.csv", views.directory_csv, {"what": "offers"}, name="export-offers"),
]
