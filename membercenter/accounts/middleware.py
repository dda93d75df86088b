from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from membercenter.accounts.services import session_touch

_TOUCH_EVERY = 60  # seconds: Login Management needs minutes, not every request


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class SessionActivityMiddleware:
    """Keeps the member's session list (device, IP, last activity) for Login Management."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            now = int(time.time())
            if now - session.get("_mc_touched", 0) >= _TOUCH_EVERY:
                session["_mc_touched"] = now
                session_touch(
                    user=user,
                    session_key=session.session_key,
                    ip_address=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
        return response


class UserLanguageMiddleware:
    """A signed-in member sees the site in the language saved on their profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
