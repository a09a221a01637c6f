from django.urls import path

from . import publish_views, views

app_name = "events"
urlpatterns = [
    path("veranstaltungen/", views.event_list, name="list"),
    path("veranstaltungen/monat/<int:year>/<int:month>/", views.month, name="month"),
    path("veranstaltungen/woche/<int:year>/<int:week>/", views.week, name="week"),
    path("veranstaltungen/<int:pk>/", views.event_detail, name="detail"),
    path("veranstaltungen/<int:pk>/kalender.ics", views.event_calendar_file, name="ics"),
    # Publishing (events.publish_views): subscriptions, feeds and the widget.
    path("veranstaltungen/kalender.ics", publish_views.calendar, name="calendar"),
    path("veranstaltungen/rss.xml", publish_views.rss_feed, name="rss"),
    path("veranstaltungen/atom.xml", publish_views.atom_feed, name="atom"),
    path("veranstaltungen/widget/", publish_views.widget, name="widget"),
    path(
        "organisationen/<slug:slug>/veranstaltungen.ics",
        publish_views.organization_calendar,
        name="organization-calendar",
    ),
    path("themen/<slug:slug>/veranstaltungen.ics", publish_views.topic_calendar, name="topic-calendar"),
]
