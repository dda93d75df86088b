from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "membercenter.claims"
    label = "claims"
