from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("verzeichnis/", views.organization_list, name="list"),
    path("organisationen/<slug:slug>/", views.organization_detail, name="organization"),
    path(
        "organisationen/<slug:slug>/kontakte/<int:contact_id>.vcf", views.contact_vcard, name="contact-vcard"
    ),
    path("kurzvideos/", views.video_gallery, name="videos"),
    path("themen/", views.topic_list, name="topics"),
    path("impressum/", views.imprint, name="imprint"),
    path("datenschutz/", views.privacy, name="privacy"),
]
