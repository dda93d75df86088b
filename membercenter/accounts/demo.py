"""Demo members and staff for `make run` (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.catalog.models import Region

DEMO_PASSWORD = "demo-pass-2024"  # noqa: S105 - printed by `make run`, for the local demo only
DEMO_MEMBER = "member@example.com"
DEMO_STAFF = "staff@example.com"
DEMO_ADMIN = "admin@example.com"
DEMO_REVIEWER_ID = "reviewer.id@example.com"
DEMO_REVIEWER_MY = "reviewer.my@example.com"
DEMO_MANAGER = "manager@example.com"

_CATALOG_PERMS = [
    f"{action}_{model}"
    for model in ("region", "province", "category", "productmodel", "serial", "store")
    for action in ("add", "change", "view")
] + ["view_registeredproduct", "view_supportrequest", "change_supportrequest", "view_outboxemail"]


def demo_users_load() -> None:
    indonesia = Region.objects.get(code="ID")
    now = timezone.now()
    staff_group, _ = Group.objects.get_or_create(name="Catalog staff")
    staff_group.permissions.set(Permission.objects.filter(codename__in=_CATALOG_PERMS))
    people: list[tuple[str, dict[str, Any]]] = [
        (DEMO_MEMBER, {"first_name": "Joko", "last_name": "Santoso", "phone": "08123456789"}),
        (DEMO_STAFF, {"first_name": "Sari", "last_name": "Staff", "is_staff": True}),
        (DEMO_ADMIN, {"first_name": "Adi", "last_name": "Admin", "is_staff": True, "is_superuser": True}),
    ]
    for email, extra in people:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                region=indonesia,
                email_verified_at=now,
                privacy_accepted_at=now,
                reward_terms_accepted_at=now,
                **extra,
            )
        if email == DEMO_STAFF:
            user.groups.add(staff_group)
    demo_back_office_load()


def demo_back_office_load() -> None:
    """Reviewers for Indonesia and Malaysia, and a promotion manager, in their roles."""
    from membercenter.backoffice import roles

    roles.roles_ensure()
    now = timezone.now()
    staff = [
        (DEMO_REVIEWER_ID, "Rina", "Reviewer", roles.REVIEWER, ["ID"]),
        (DEMO_REVIEWER_MY, "Aminah", "Reviewer", roles.REVIEWER, ["MY"]),
        (DEMO_MANAGER, "Putra", "Manager", roles.PROMOTION_MANAGER, []),
        (DEMO_ADMIN, "Adi", "Admin", roles.ADMINISTRATOR, ["ID", "MY", "SG"]),
    ]
    for email, first, last, role, regions in staff:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, is_staff=True,
                region=Region.objects.get(code=(regions or ["ID"])[0]), email_verified_at=now, privacy_accepted_at=now,
            )  # fmt: skip
        user.groups.add(Group.objects.get(name=role))
        user.review_regions.set(Region.objects.filter(code__in=regions))
