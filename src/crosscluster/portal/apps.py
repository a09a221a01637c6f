from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "crosscluster.portal"
    label = "portal"
