from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "membercenter.support"
    label = "support"
