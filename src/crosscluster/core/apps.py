from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crosscluster.core"
    label = "core"

    def ready(self) -> None:
        from . import page_cache  # noqa: F401  the write watch and the receivers of the domain signals
        from .bilingual import lookups_in_german

        lookups_in_german()
