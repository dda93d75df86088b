from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from membercenter.accounts.models import MemberSession, NewsletterList, NewsletterSubscription, User
from membercenter.accounts.selectors import session_is_live, session_store
from membercenter.accounts.tokens import verification_token
from membercenter.catalog.models import Region
from membercenter.lib.urls import absolute_url
from membercenter.notifications.services import email_enqueue


def member_sign_up(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    region: Region,
    phone: str,
    language: str,
    newsletters: list[NewsletterList],
    accept_reward_terms: bool,
) -> User | None:
    """Create the account and send its verification link; None when the address already has one.

    The visitor is never told which it was (that would tell anyone whether an address has an
    account): both cases hash the password once and queue one email, the new member's
    verification link or, to the owner of the address, a notice with the ways back in.
    """
    now = timezone.now()
    email = email.strip().lower()
    with transaction.atomic():
        owner = User.objects.filter(email__iexact=email).first()
        if owner is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=email,
                        password=password,
                        first_name=first_name,
                        last_name=last_name,
                        region=region,
                        phone=phone,
                        language=language,
                        privacy_accepted_at=now,
                        reward_terms_accepted_at=now if accept_reward_terms else None,
                    )
                    newsletters_set(user=user, newsletters=newsletters)
                    verification_email_send(user=user)
                return user
            except IntegrityError:
                # Two sign-ups for one address at the same moment: the unique constraint refused this one.
                owner = User.objects.get(email__iexact=email)
        make_password(password)  # the hashing work creating the account would have done; the hash is dropped
        signup_existing_notice_send(user=owner)
    return None


def signup_existing_notice_send(*, user: User) -> None:
    """Tell the owner of an address that someone tried to sign up with it, and how to get in."""
    email_enqueue(
        template="signup_existing",
        to=user.email,
        user=user,
        language=user.language,
        context={
            "user": user,
            "login_link": absolute_url("accounts:login"),
            "reset_link": absolute_url("accounts:password_reset"),
        },
    )


def verification_email_send(*, user: User) -> None:
    link = absolute_url("accounts:verify_email", verification_token(user))
    email_enqueue(
        template="verify_email",
        to=user.email,
        user=user,
        language=user.language,
        context={"user": user, "link": link, "hours": settings.EMAIL_VERIFICATION_MAX_AGE // 3600},
    )


def email_verify(*, user: User) -> bool:
    """Mark the email verified; False when it already was (the link is spent)."""
    updated = User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(email_verified_at=timezone.now())
    return bool(updated)


def profile_update(*, user: User, first_name: str, last_name: str, region: Region, phone: str, language: str) -> User:
    user.first_name, user.last_name, user.region, user.phone, user.language = (
        first_name,
        last_name,
        region,
        phone,
        language,
    )
    user.save(update_fields=["first_name", "last_name", "region", "phone", "language"])
    return user


def newsletters_set(*, user: User, newsletters: list[NewsletterList]) -> None:
    wanted = {n.pk for n in newsletters}
    with transaction.atomic():
        NewsletterSubscription.objects.filter(user=user).exclude(newsletter_id__in=wanted).delete()
        have = set(NewsletterSubscription.objects.filter(user=user).values_list("newsletter_id", flat=True))
        NewsletterSubscription.objects.bulk_create(
            [NewsletterSubscription(user=user, newsletter_id=pk) for pk in wanted - have]
        )


def session_touch(*, user: User, session_key: str, ip_address: str | None, user_agent: str) -> None:
    now = timezone.now()
    updated = MemberSession.objects.filter(session_key=session_key, user=user).update(
        last_activity=now, ip_address=ip_address, user_agent=user_agent[:300]
    )
    if not updated:
        MemberSession.objects.update_or_create(
            session_key=session_key,
            defaults={"user": user, "ip_address": ip_address, "user_agent": user_agent[:300], "last_activity": now},
        )


def session_end(*, user: User, session_key: str) -> bool:
    """End one of the member's own sessions; False when it is not theirs."""
    row = MemberSession.objects.filter(user=user, session_key=session_key).first()
    if row is None:
        return False
    session_store(session_key).delete()
    row.delete()
    return True


def sessions_end_all(*, user: User, except_key: str | None = None) -> int:
    """End the member's sessions but `except_key`; the number of live ones ended (rows of expired ones go too)."""
    ended = 0
    for key in (
        MemberSession.objects.filter(user=user)
        .exclude(session_key=except_key or "")
        .values_list("session_key", flat=True)
    ):
        live = session_is_live(key)
        if session_end(user=user, session_key=key) and live:
            ended += 1
    return ended


def session_rekey(*, user: User, old_key: str | None, new_key: str | None) -> None:
    """Keep a session's Login Management row when Django gives it a new key (log-in, password change)."""
    if not old_key or not new_key or old_key == new_key:
        return
    # A session that belonged to someone else was flushed by the log-in: its row is stale.
    MemberSession.objects.filter(session_key=old_key).exclude(user=user).delete()
    MemberSession.objects.filter(session_key=old_key, user=user).update(session_key=new_key)


def session_forget(*, session_key: str) -> None:
    """Drop the Login Management row of a session that is logging out."""
    MemberSession.objects.filter(session_key=session_key).delete()


def member_deactivate(*, user: User) -> int:
    """Close the account: it can no longer log in, and every session it has ends now.

    The number of live sessions ended. A session this misses (none should) still stops
    working on its next request: Django refuses the session of an inactive user.
    """
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    return sessions_end_all(user=user)


def language_set(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
