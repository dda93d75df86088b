"""Staff authenticator apps (TOTP, RFC 6238) through django-otp: add one, check a code, remove them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercenter.accounts.models import User
from membercenter.accounts.services import sessions_end_all

DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | None
    locked: bool = False  # too many wrong codes: django-otp refuses every code for a while


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The device being set up: one unconfirmed per user, its secret kept until it is confirmed."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _check(device: TOTPDevice, token: str) -> CodeCheck:
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(device=None, locked=True)
    # verify_token counts failures (throttling) and refuses a code already used (replay).
    return CodeCheck(device=device if device.verify_token(token) else None)


def totp_device_confirm(*, user: User, token: str, session_key: str | None) -> CodeCheck:
    """Turn on the device being set up when `token` is its current code.

    The user's other sessions end: each was opened with the password alone, and must now
    log in again with both steps.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            return CodeCheck(device=None)
        result = _check(device, token)
        if result.device is not None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    if result.device is not None:
        sessions_end_all(user=user, except_key=session_key)
    return result


def totp_code_check(*, user: User, token: str) -> CodeCheck:
    """The confirmed device that accepts `token` (the second step of a log-in), if any."""
    locked = False
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            result = _check(device, token)
            if result.device is not None:
                return result
            locked = locked or result.locked
    return CodeCheck(device=None, locked=locked)


def totp_devices_reset(*, user: User) -> tuple[int, int]:
    """Remove every device of the user (a lost phone) and end their sessions.

    (devices removed, sessions ended). The user logs in again with the password and, if the
    role requires it, sets up a new authenticator.
    """
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
    return removed, sessions_end_all(user=user)
