from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "membercenter.rewards"
    label = "rewards"
