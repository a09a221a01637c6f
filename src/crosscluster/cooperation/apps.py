from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    """The Kooperationsbörse: cooperation profiles of companies and institutes, matched both ways."""

    name = "crosscluster.cooperation"
    label = "cooperation"
    verbose_name = _("Cooperation exchange")
