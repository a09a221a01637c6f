"""Events in the manager area; urls.py puts these with the other apps' patterns under `manage:`."""

from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("veranstaltungen/", views.event_list, name="events"),
    path("veranstaltungen/neu/", views.event_create, name="event-create"),
    path("veranstaltungen/<int:pk>/", views.event_edit, name="event-edit"),
    path("veranstaltungen/<int:pk>/loeschen/", views.event_delete, name="event-delete"),
]

# Feed subscriptions (events.feed_manage_views).
from . import feed_manage_views  # noqa: E402

urlpatterns += [
    path("veranstaltungen/feeds/", feed_manage_views.feed_list, name="event-feeds"),
    path(
        "veranstaltungen/feeds/<int:pk>/importieren/", feed_manage_views.feed_import, name="event-feed-import"
    ),
    path(
        "veranstaltungen/feeds/<int:pk>/entfernen/", feed_manage_views.feed_remove, name="event-feed-remove"
    ),
]

# Clashes for the coordination office (events.clashes).
from . import clashes  # noqa: E402

urlpatterns += [path("veranstaltungen/ueberschneidungen/", clashes.event_clashes, name="event-clashes")]

# Duplicates for the coordination office (events.dedup, events.duplicate_views).
from . import duplicate_views  # noqa: E402

urlpatterns += [
    path("veranstaltungen/duplikate/", duplicate_views.event_duplicates, name="event-duplicates"),
    path(
        "veranstaltungen/duplikate/<int:pk>/<int:other>/zusammenfuehren/",
        duplicate_views.event_merge,
        name="event-merge",
    ),
    path("veranstaltungen/<int:pk>/trennen/", duplicate_views.event_split, name="event-split"),
    # What an organiser sees of a merge, and their request to split it.
    path(
        "veranstaltungen/<int:pk>/ankuendigungen/",
        duplicate_views.event_announcements,
        name="event-announcements",
    ),
]
