from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "crosscluster.events"
    label = "events"

    def ready(self) -> None:
        from . import signals  # noqa: F401 — connects the receivers
