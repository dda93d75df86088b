from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "membercenter.audit"
    label = "audit"
