from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from membercenter.accounts.models import User
from membercenter.twofactor.services import totp_devices_reset


class Command(BaseCommand):
    help = (
        "Remove a staff member's authenticator devices (a lost phone) and end their sessions. "
        "They log in again with their password; an administrator then sets up a new authenticator."
    )

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("email")

    def handle(self, *args: object, **options: object) -> None:
        email = str(options["email"]).strip()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        removed, ended = totp_devices_reset(user=user)
        self.stdout.write(f"{user.email}: {removed} authenticator device(s) removed, {ended} session(s) ended.")
