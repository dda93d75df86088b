from __future__ import annotations

from django.core.management.base import BaseCommand

from membercenter.backoffice.roles import roles_ensure


class Command(BaseCommand):
    help = "Create or repair the back-office role groups (Reviewer, Promotion manager, Administrator)."

    def handle(self, *args: object, **options: object) -> None:
        for name, group in roles_ensure().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
