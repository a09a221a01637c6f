from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "crosscluster.routing"
    label = "routing"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
