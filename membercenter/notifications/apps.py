from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "membercenter.notifications"
    label = "notifications"
