from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "labeling.accounts"
    label = "accounts"
