from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "membercenter.rewards"
    label = "rewards"

    def ready(self) -> None:
        from membercenter.notifications.services import Placeholders, placeholders_register
        from membercenter.rewards.services import placeholders_expand, placeholders_hide

        # Reward codes travel in emails as placeholders: the outbox never stores a code.
        placeholders_register("reward-code", Placeholders(expand=placeholders_expand, hide=placeholders_hide))
