from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "membercenter.promotions"
    label = "promotions"
