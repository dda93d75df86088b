"""Email-verification links: signed, expiring, and spent once the address is verified."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from membercenter.accounts.models import User

_SALT = "membercenter.accounts.verify-email"


def verification_token(user: User) -> str:
    # The email is inside the token, so a link sent to an old address stops working
    # once the member changes it.
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_SALT, compress=True)


def verification_user(token: str) -> User | None:
    """The user the token was made for, or None when it is forged, expired or outdated."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email != data.get("e"):
        return None
    return user
