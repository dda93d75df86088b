from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.lib.i18n import localized


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("email_verified_at", timezone.now())
        extra.setdefault("first_name", "Admin")
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A member or a staff user; logs in with the email address."""

    email = models.EmailField(_("email"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    region = models.ForeignKey(
        "catalog.Region", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("region / location")
    )
    phone = models.CharField(_("contact number"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=5, default="id")
    email_verified_at = models.DateTimeField(_("email verified"), null=True, blank=True)
    reward_terms_accepted_at = models.DateTimeField(_("reward program terms accepted"), null=True, blank=True)
    privacy_accepted_at = models.DateTimeField(_("privacy policy accepted"), null=True, blank=True)
    newsletters: models.ManyToManyField[NewsletterList, NewsletterSubscription] = models.ManyToManyField(
        "NewsletterList", through="NewsletterSubscription", blank=True, related_name="subscribers"
    )
    review_regions = models.ManyToManyField(
        "catalog.Region", blank=True, related_name="reviewers", verbose_name=_("reviews claims of")
    )
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None


class NewsletterList(models.Model):
    slug = models.SlugField(unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")

    def __str__(self) -> str:
        return localized(self, "name")


class NewsletterSubscription(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    newsletter = models.ForeignKey(NewsletterList, on_delete=models.CASCADE)
    subscribed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "newsletter"], name="newsletter_subscription_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.newsletter_id}"


class Captcha(models.Model):
    """An arithmetic challenge; its answer never leaves the server and works once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.CharField(max_length=20)
    answer = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.question


class MemberSession(models.Model):
    """What Login Management shows of one of a member's sessions."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="member_sessions")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_activity"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.ip_address}"
