from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "membercenter.promotions"
    label = "promotions"

    def ready(self) -> None:
        from membercenter.promotions.kept import connect

        connect()
