from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "crosscluster.events"
    label = "events"
