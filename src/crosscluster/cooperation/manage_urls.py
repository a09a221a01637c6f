"""The Kooperationsbörse in the manager area; urls.py puts these under `manage:`."""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("kooperationen/", views.profile_queue, name="cooperation-profiles"),
    path("kooperationen/neu/", views.profile_create, name="cooperation-profile-create"),
    path("kooperationen/wer-passt-zu-wem/", views.board, name="cooperation-board"),
    path("kooperationen/wer-passt-zu-wem/vorstellen/", views.board_introduce, name="cooperation-introduce"),
    path("kooperationen/wer-passt-zu-wem/verwerfen/", views.board_dismiss, name="cooperation-dismiss"),
    path("kooperationen/<int:pk>/", views.profile_page, name="cooperation-profile"),
    path("kooperationen/<int:pk>/bearbeiten/", views.profile_edit, name="cooperation-profile-edit"),
    path(
        "kooperationen/<int:pk>/pruefen/<str:decision>/",
        views.profile_review,
        name="cooperation-profile-review",
    ),
]
