from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from membercenter.privacy.services import documents_retention_purge


class Command(BaseCommand):
    help = "Delete now the documents of claims closed more than DOCUMENT_RETENTION_DAYS ago (the claims are kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = documents_retention_purge()
        self.stdout.write(
            f"{removed} documents removed (claims closed more than {settings.DOCUMENT_RETENTION_DAYS} days ago)"
        )
