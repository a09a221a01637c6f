"""Events in the manager area; urls.py puts these with the other apps' patterns under `manage:`."""

from django.urls import path

from . import clashes
from .views import duplicates, feeds, manage

urlpatterns = [
    path("veranstaltungen/", manage.event_list, name="events"),
    path("veranstaltungen/neu/", manage.event_create, name="event-create"),
    path("veranstaltungen/<int:pk>/", manage.event_edit, name="event-edit"),
    path("veranstaltungen/<int:pk>/loeschen/", manage.event_delete, name="event-delete"),
]

# Feed subscriptions (events.views.feeds).
urlpatterns += [
    path("veranstaltungen/feeds/", feeds.feed_list, name="event-feeds"),
    path("veranstaltungen/feeds/<int:pk>/importieren/", feeds.feed_import, name="event-feed-import"),
    path("veranstaltungen/feeds/<int:pk>/entfernen/", feeds.feed_remove, name="event-feed-remove"),
]

# Clashes for the coordination office (events.clashes).
urlpatterns += [path("veranstaltungen/ueberschneidungen/", clashes.event_clashes, name="event-clashes")]

# Duplicates for the coordination office (events.dedup, events.views.duplicates).
urlpatterns += [
    path("veranstaltungen/duplikate/", duplicates.event_duplicates, name="event-duplicates"),
    path(
        "veranstaltungen/duplikate/<int:pk>/<int:other>/zusammenfuehren/",
        duplicates.event_merge,
        name="event-merge",
    ),
    path("veranstaltungen/<int:pk>/trennen/", duplicates.event_split, name="event-split"),
    # What an organiser sees of a merge, and their request to split it.
    path(
        "veranstaltungen/<int:pk>/ankuendigungen/",
        duplicates.event_announcements,
        name="event-announcements",
    ),
]
