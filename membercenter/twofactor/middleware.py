from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

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
    the device look-ups only there too (gate.staff_access_ok). A session that predates a device
    (turning two-factor on ends the others, but the admin's device pages do not) owes the code
    before its next staff page.
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
        if pending:
            if gate.is_verified(request):
                return None
            return gate.redirect_to_twofactor(request, self._next(request))
        if not _staff_area(request.path_info) or gate.staff_access_ok(request):
            return None
        if gate.has_device(request.user):
            # A device added after this session began: the session gives a code first.
            return gate.redirect_to_twofactor(request, self._next(request))
        return gate.redirect_to_setup(request, self._next(request))  # an administrator without one

    @staticmethod
    def _next(request: HttpRequest) -> str:
        return request.get_full_path() if request.method == "GET" else ""
