from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "crosscluster.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import documents  # connects the receiver of core.signals.texts_changed

        post_migrate.connect(documents.fill_after_migrate, sender=self, dispatch_uid="search.fill")
