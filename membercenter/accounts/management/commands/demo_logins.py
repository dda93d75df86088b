from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from membercenter.accounts.demo import (
    DEMO_ADMIN,
    DEMO_MANAGER,
    DEMO_MEMBER,
    DEMO_PASSWORD,
    DEMO_REVIEWER_ID,
    DEMO_REVIEWER_MY,
    DEMO_STAFF,
)


class Command(BaseCommand):
    help = "Print the demo logins and where mail goes."

    def handle(self, *args: object, **options: object) -> None:
        w = self.stdout.write
        w("")
        w(f"  {settings.BRAND_NAME} is starting at {settings.SITE_URL}")
        w(f"  Member:  {DEMO_MEMBER} / {DEMO_PASSWORD}")
        w(f"  Staff:   {DEMO_STAFF} / {DEMO_PASSWORD}   (catalog in {settings.SITE_URL}/admin/)")
        w(f"  Admin:   {DEMO_ADMIN} / {DEMO_PASSWORD}   (back office: {settings.SITE_URL}/staff/)")
        w("           first visit to /staff/ or /admin/: set up two-factor with an authenticator app (QR code shown)")
        w(f"  Reviewer (Indonesia): {DEMO_REVIEWER_ID} / {DEMO_PASSWORD}")
        w(f"  Reviewer (Malaysia):  {DEMO_REVIEWER_MY} / {DEMO_PASSWORD}")
        w(f"  Promotion manager:    {DEMO_MANAGER} / {DEMO_PASSWORD}")
        w("  Other demo members: siti@example.com, budi@example.com (same password)")
        w("  Serials to register (SN, CHK): demo/serials.csv")
        backend = settings.EMAIL_BACKEND.rsplit(".", 1)[-1]
        where = getattr(settings, "EMAIL_FILE_PATH", "") if "filebased" in settings.EMAIL_BACKEND else backend
        w(f"  Mail goes to: {where}")
        w("")
