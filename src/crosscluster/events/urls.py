from django.urls import path

from .views import public, publish

app_name = "events"
urlpatterns = [
    path("veranstaltungen/", public.event_list, name="list"),
    path("veranstaltungen/monat/<int:year>/<int:month>/", public.month, name="month"),
    path("veranstaltungen/woche/<int:year>/<int:week>/", public.week, name="week"),
    path("veranstaltungen/<int:pk>/", public.event_detail, name="detail"),
    path("veranstaltungen/<int:pk>/kalender.ics", public.event_calendar_file, name="ics"),
    # Publishing (events.views.publish): subscriptions, feeds and the widget.
    path("veranstaltungen/kalender.ics", publish.calendar, name="calendar"),
    path("veranstaltungen/rss.xml", publish.rss_feed, name="rss"),
    path("veranstaltungen/atom.xml", publish.atom_feed, name="atom"),
    path("veranstaltungen/widget/", publish.widget, name="widget"),
    path(
        "organisationen/<slug:slug>/veranstaltungen.ics",
        publish.organization_calendar,
        name="organization-calendar",
    ),
    path("themen/<slug:slug>/veranstaltungen.ics", publish.topic_calendar, name="topic-calendar"),
]
