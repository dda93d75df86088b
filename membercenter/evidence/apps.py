from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "membercenter.evidence"
    label = "evidence"
