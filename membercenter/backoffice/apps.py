from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_after_migrate(sender: AppConfig, **kwargs: object) -> None:
    from membercenter.backoffice.roles import roles_ensure

    roles_ensure()


class BackofficeConfig(AppConfig):
    name = "membercenter.backoffice"
    label = "backoffice"

    def ready(self) -> None:
        # The roles need the permissions that the other apps' post_migrate created;
        # backoffice comes after them in INSTALLED_APPS, so its own signal runs last.
        post_migrate.connect(_roles_after_migrate, sender=self, dispatch_uid="backoffice_roles_ensure")
