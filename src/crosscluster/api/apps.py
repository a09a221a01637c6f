from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "crosscluster.api"
    label = "api"
