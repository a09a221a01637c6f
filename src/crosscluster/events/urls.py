from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("veranstaltungen/", views.event_list, name="list"),
    path("veranstaltungen/monat/<int:year>/<int:month>/", views.month, name="month"),
    path("veranstaltungen/woche/<int:year>/<int:week>/", views.week, name="week"),
    path("veranstaltungen/<int:pk>/", views.event_detail, name="detail"),
    path("veranstaltungen/<int:pk>/kalender.ics", views.event_calendar_file, name="ics"),
]
