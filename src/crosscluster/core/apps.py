from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crosscluster.core"
    label = "core"

    def ready(self) -> None:
        from .bilingual import order_by_german

        order_by_german()
