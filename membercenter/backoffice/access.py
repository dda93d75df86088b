"""Who may open which back-office page (the per-object rules are in membercenter.lib.authz).

Pages a user may not use answer 404, not 403: a reviewer of one region learns
nothing about the claims, or even the claim numbers, of another.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from membercenter.accounts.models import User

View = Callable[..., HttpResponseBase]


def has_any_perm(user: User, perms: str | tuple[str, ...]) -> bool:
    perms = (perms,) if isinstance(perms, str) else perms
    return any(user.has_perm(p) for p in perms)


def staff_required(perm: str | tuple[str, ...]) -> Callable[[View], View]:
    """Anonymous → the login page; logged in without `perm` (or any of a tuple) → 404."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_perm(request.user, perm):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
