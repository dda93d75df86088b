from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "membercenter.privacy"
    label = "privacy"
