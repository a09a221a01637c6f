from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "crosscluster.accounts"
    label = "accounts"
