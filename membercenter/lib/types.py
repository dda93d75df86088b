"""Types for annotations only.

`AuthenticatedHttpRequest` is the request a view receives behind `@login_required` or a staff
decorator: Django's `HttpRequest.user` is `User | AnonymousUser`, which such a view never sees.
Annotate those views' `request` with it (as django-stubs recommends) instead of asserting or
casting in each body:

    @login_required
    def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
        profile_update(user=request.user, ...)   # request.user: User
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from membercenter.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
