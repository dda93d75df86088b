from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from membercenter.accounts.demo import DEMO_ADMIN, DEMO_MEMBER, DEMO_PASSWORD, DEMO_STAFF


class Command(BaseCommand):
    help = "Print the demo logins and where mail goes."

    def handle(self, *args: object, **options: object) -> None:
        w = self.stdout.write
        w("")
        w(f"  {settings.BRAND_NAME} is starting at {settings.SITE_URL}")
        w(f"  Member:  {DEMO_MEMBER} / {DEMO_PASSWORD}")
        w(f"  Staff:   {DEMO_STAFF} / {DEMO_PASSWORD}   (catalog in {settings.SITE_URL}/admin/)")
        w(f"  Admin:   {DEMO_ADMIN} / {DEMO_PASSWORD}")
        w("  Serials to register (SN, CHK): demo/serials.csv")
        backend = settings.EMAIL_BACKEND.rsplit(".", 1)[-1]
        where = getattr(settings, "EMAIL_FILE_PATH", "") if "filebased" in settings.EMAIL_BACKEND else backend
        w(f"  Mail goes to: {where}")
        w("")
