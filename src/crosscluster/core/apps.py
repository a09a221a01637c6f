from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crosscluster.core"
    label = "core"

    def ready(self) -> None:
        from .bilingual import lookups_in_german

        lookups_in_german()
