from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from membercenter.notifications.jobs import start_background_runner


class Command(BaseCommand):
    help = "Serve the site for a trial or demo, with the scheduled jobs running in-process."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.REDIS_URL:
            start_background_runner()
            self.stdout.write("Background jobs run in this process (no REDIS_URL).")
        call_command("runserver", options["addr"], use_reloader=False)
