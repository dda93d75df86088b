from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "membercenter.accounts"
    label = "accounts"
