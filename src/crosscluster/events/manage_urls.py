"""Events in the manager area; urls.py puts these with the other apps' patterns under `manage:`."""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("veranstaltungen/", views.event_list, name="events"),
    path("veranstaltungen/neu/", views.event_create, name="event-create"),
    path("veranstaltungen/<int:pk>/", views.event_edit, name="event-edit"),
    path("veranstaltungen/<int:pk>/loeschen/", views.event_delete, name="event-delete"),
]

# Clashes for the coordination office (events.clashes).
from . import clashes  # noqa: E402

urlpatterns += [path("veranstaltungen/ueberschneidungen/", clashes.event_clashes, name="event-clashes")]
