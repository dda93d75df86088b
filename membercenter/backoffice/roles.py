"""The back office's three roles, as Django groups with their permissions.

Roles are groups so that an administrator can grant them in the admin like any
other group; `roles_ensure` creates or repairs them and runs after every migrate.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

REVIEWER = "Reviewer"
PROMOTION_MANAGER = "Promotion manager"
ADMINISTRATOR = "Administrator"

PERM_REVIEW = "claims.review_claim"
PERM_PROMOTIONS = "promotions.manage_promotion"
PERM_REASONS = "claims.change_reasontemplate"
PERM_AUDIT = "audit.view_auditentry"
PERM_OUTBOX = "notifications.change_outboxemail"

# Any of these opens the staff home page.
BACKOFFICE_PERMS = (PERM_REVIEW, PERM_PROMOTIONS, PERM_REASONS, PERM_AUDIT, PERM_OUTBOX)

# (app_label, model, codename, name): the name is used only when the permission is missing.
_PERMISSIONS = {
    PERM_REVIEW: ("claims", "claim", "review_claim", "Can review claims of own regions"),
    PERM_PROMOTIONS: ("promotions", "promotion", "manage_promotion", "Can create, edit and publish promotions"),
    "claims.add_reasontemplate": ("claims", "reasontemplate", "add_reasontemplate", "Can add reason template"),
    PERM_REASONS: ("claims", "reasontemplate", "change_reasontemplate", "Can change reason template"),
    "claims.delete_reasontemplate": ("claims", "reasontemplate", "delete_reasontemplate", "Can delete reason template"),
    PERM_AUDIT: ("audit", "auditentry", "view_auditentry", "Can view audit entry"),
    "notifications.view_outboxemail": ("notifications", "outboxemail", "view_outboxemail", "Can view outgoing email"),
    PERM_OUTBOX: ("notifications", "outboxemail", "change_outboxemail", "Can change outgoing email"),
}

ROLES: dict[str, tuple[str, ...]] = {
    REVIEWER: (PERM_REVIEW,),
    PROMOTION_MANAGER: (PERM_PROMOTIONS,),
    ADMINISTRATOR: tuple(_PERMISSIONS),
}


def _permission(dotted: str) -> Permission:
    app_label, model, codename, name = _PERMISSIONS[dotted]
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


def roles_ensure() -> dict[str, Group]:
    """Create the role groups with exactly their permissions; safe to run any number of times."""
    groups = {}
    with transaction.atomic():
        for role, perms in ROLES.items():
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.set([_permission(p) for p in perms])
            groups[role] = group
    return groups


def is_administrator(user: object) -> bool:
    """Superusers and members of the Administrator group see every region's claims."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:  # type: ignore[attr-defined]
        return True
    cached = getattr(user, "_backoffice_is_admin", None)
    if cached is None:
        cached = user.groups.filter(name=ADMINISTRATOR).exists()  # type: ignore[attr-defined]
        user._backoffice_is_admin = cached  # type: ignore[attr-defined]
    return cached
