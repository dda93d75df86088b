"""Who must give a one-time code, and when: the rules the middleware and the log-in apply.

Staff (is_staff, a superuser or any back-office role) may turn on a TOTP authenticator;
administrators must. A session of a user with a confirmed device is "verified" only once a
code was given in it (django-otp keeps the device in the session).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercenter.backoffice.access import has_any_perm
from membercenter.backoffice.roles import BACKOFFICE_PERMS, is_administrator

# Set at log-in for a user with a confirmed device, until the code is given: the whole site
# (not only the back office) waits for it.
PENDING_KEY = "_mc_2fa_pending"


def is_staff_user(user: object) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return bool(user.is_staff or user.is_superuser or has_any_perm(user, BACKOFFICE_PERMS))  # type: ignore[attr-defined,arg-type]


def has_device(user: object) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_device(request: HttpRequest) -> Device | None:
    """The confirmed device of this user with which this session gave a code, if any.

    What django_otp's OTPMiddleware would work out; that middleware cannot be used here, as it
    sets `user.is_verified`, which on our User is the (email) verification property.
    """
    if not hasattr(request, "_mc_otp_device"):
        device = None
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if persistent_id and request.user.is_authenticated:
            device = Device.from_persistent_id(persistent_id)
            if device is None or device.user_id != request.user.pk or not device.confirmed:
                device = None
                request.session.pop(DEVICE_ID_SESSION_KEY, None)
        request._mc_otp_device = device  # type: ignore[attr-defined]
    return request._mc_otp_device  # type: ignore[attr-defined]


def is_verified(request: HttpRequest) -> bool:
    return session_device(request) is not None


def verified_with(request: HttpRequest, device: TOTPDevice) -> None:
    """Record in the session that it gave a code of `device` (django_otp.login)."""
    otp_login(request, device)
    request.session.pop(PENDING_KEY, None)
    request._mc_otp_device = device  # type: ignore[attr-defined]


def must_set_up(user: object) -> bool:
    """An administrator without a confirmed device: the back office waits until they add one."""
    return is_administrator(user) and not has_device(user)


def staff_access_ok(request: HttpRequest) -> bool:
    """Whether this session may use staff powers (the back office, the admin, staff scope anywhere).

    A code given in this session, or else no device and not an administrator (who must set one
    up). A device added after this session began (another session, the admin's device pages)
    counts at once: the session gives a code before it acts as staff again.
    """
    user = request.user
    if not user.is_authenticated:
        return False
    if is_verified(request):
        return True
    return not is_administrator(user) and not has_device(user)


def twofactor_pending(request: HttpRequest) -> bool:
    """Right after the password: True (and remembered in the session) when a code is still due."""
    if is_verified(request) or not has_device(request.user):
        return False
    request.session[PENDING_KEY] = True
    return True


def twofactor_owed(request: HttpRequest) -> bool:
    """This session gave the password but not yet the code."""
    return bool(request.session.get(PENDING_KEY)) and not is_verified(request)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def redirect_to_twofactor(request: HttpRequest, next_url: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(_with_next(reverse("twofactor:verify"), next_url))


def redirect_to_setup(request: HttpRequest, next_url: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(_with_next(reverse("twofactor:setup"), next_url))
