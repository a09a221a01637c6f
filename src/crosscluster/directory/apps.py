from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "crosscluster.directory"
    label = "directory"
