from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from membercenter.backoffice.roles import is_administrator
from membercenter.twofactor import gate


def _open_paths() -> tuple[str, ...]:
    """What a session waiting for its code may still open: the code pages, log-out, the language."""
    return (
        reverse("twofactor:index"),
        reverse("accounts:logout"),
        reverse("accounts:set_language"),
        reverse("admin:logout"),
        settings.STATIC_URL,
        "/brand-",
    )


def _staff_area(path: str) -> bool:
    return path.startswith(("/staff/", reverse("admin:index")))


class TwoFactorMiddleware:
    """Holds back a session that still owes its one-time code, and administrators without one.

    After AuthenticationMiddleware. No query for a member: the pending mark is in the session,
    the role look-up runs only on back-office and admin pages (whose views make it anyway), and
    the device look-up only in a session that gave a code. Sessions that predate a device do not
    exist: turning two-factor on ends the user's other sessions.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == reverse("admin:login"):
            # Every log-in goes through the site's form, which asks for the code (the admin's own
            # form would not): a device's owner can then only be logged in through both steps.
            return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path_info.startswith(_open_paths()):
            held = self._hold(request)
            if held is not None:
                return held
        return self.get_response(request)

    def _hold(self, request: HttpRequest) -> HttpResponse | None:
        pending = request.session.get(gate.PENDING_KEY)
        staff_area = _staff_area(request.path_info)
        if not (pending or staff_area) or gate.is_verified(request):
            return None
        next_url = request.get_full_path() if request.method == "GET" else ""
        if pending:
            return gate.redirect_to_twofactor(request, next_url)
        if is_administrator(request.user):
            # The set-up page sends one who has a device (from another session) to the code step.
            return gate.redirect_to_setup(request, next_url)
        return None
