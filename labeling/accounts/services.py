"""Writes for users and roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from rest_framework.authtoken.models import Token

from labeling.accounts.authentication import token_is_expired
from labeling.accounts.roles import Role
from labeling.audit.models import AuditAction
from labeling.audit.services import audit_record

# Apps whose records study admins manage in full in the Django admin.
STUDY_DATA_APPS = (
    "taxonomy",
    "images",
    "guide",
    "predictions",
    "rounds",
    "review",
    "training",
    "scoring",
)
# People are another matter: study admins create users, set their passwords and roles, and may
# list (masked) and revoke API tokens. Nothing here lets them change groups' permissions, give a
# user permissions of their own, or delete a user (deactivate instead: their work stays).
ADMIN_ACCOUNT_PERMISSIONS = (
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "view_user"),
    ("accounts", "view_apitoken"),
    ("accounts", "delete_apitoken"),
    ("audit", "view_auditentry"),  # the audit log: read, never written by hand
)


def roles_ensure() -> dict[Role, Group]:
    """Create the role groups if they are missing."""
    return {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}


def role_permissions_sync() -> None:
    """Give the admin role what the Django admin needs for running a study without making study
    admins superusers: every permission on the study's records, and the account permissions
    above. Runs after every migrate, so a deployment that once granted more loses it there."""
    groups = roles_ensure()
    accounts = Q()
    for app_label, codename in ADMIN_ACCOUNT_PERMISSIONS:
        accounts |= Q(content_type__app_label=app_label, codename=codename)
    permissions = Permission.objects.filter(
        Q(content_type__app_label__in=STUDY_DATA_APPS) | accounts
    )
    groups[Role.ADMIN].permissions.set(permissions)


def _is_superuser(actor: User) -> bool:
    # As stored: the actor object may be the very user being changed, edited in memory.
    return User.objects.filter(pk=actor.pk, is_superuser=True, is_active=True).exists()


def _staff_by_roles(names: Iterable[str]) -> bool:
    # Access to the Django admin comes with the admin role; superuser rights stay a separate
    # decision, a superuser's alone.
    return Role.ADMIN.value in set(names)


def _role_group_names() -> frozenset[str]:
    return frozenset(role.value for role in Role)


def user_change_check(
    *,
    actor: User,
    user: User,
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> None:
    """May `actor` save `user` like this (its fields as they are now, and these groups and
    permissions, None meaning unchanged)? Raise ValidationError if not.

    Superusers may do anything. Everyone else who manages users (study admins) manages study
    users and their roles only: they cannot change a superuser, make anyone a superuser, add or
    remove groups other than the three roles, or give a user permissions of their own.
    """
    if _is_superuser(actor):
        return
    stored = User.objects.filter(pk=user.pk).first() if user.pk is not None else None
    if stored is not None and stored.is_superuser:
        raise ValidationError("Only a superuser may change a superuser.", code="superuser")
    errors = []
    if user.is_superuser:
        errors.append(
            ValidationError("Only a superuser may make someone a superuser.", code="superuser")
        )
    if groups is not None:
        role_names = _role_group_names()
        before = set() if stored is None else set(stored.groups.exclude(name__in=role_names))
        if {group for group in groups if group.name not in role_names} != before:
            errors.append(
                ValidationError(
                    "Study admins may give or take only the roles annotator, admin and researcher.",
                    code="groups",
                )
            )
    if permissions is not None:
        granted = set() if stored is None else set(stored.user_permissions.all())
        if set(permissions) != granted:
            errors.append(
                ValidationError(
                    "Only a superuser may give a user permissions of their own.",
                    code="permissions",
                )
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def user_save(
    *,
    actor: User,
    user: User,
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> User:
    """Save a user as `actor` changed it (in the admin), with exactly these groups and
    permissions (None: unchanged), after `user_change_check`.

    For a non-superuser actor, access to the Django admin (`is_staff`) follows the admin role:
    study admins give roles, and the staff flag comes with the role, never on its own.
    """
    groups = None if groups is None else list(groups)
    permissions = None if permissions is None else list(permissions)
    user_change_check(actor=actor, user=user, groups=groups, permissions=permissions)
    roles_before = _roles_of(user) if user.pk is not None else set()
    superuser_before = User.objects.filter(pk=user.pk, is_superuser=True).exists()
    if not _is_superuser(actor):
        if groups is not None:
            names = {group.name for group in groups}
        elif user.pk is not None:
            names = set(user.groups.values_list("name", flat=True))
        else:
            names = set()
        user.is_staff = _staff_by_roles(names)
    user.save()
    if groups is not None:
        user.groups.set(groups)
    if permissions is not None:
        user.user_permissions.set(permissions)
    _audit_roles(actor=actor, user=user, before=roles_before, superuser_before=superuser_before)
    return user


def _roles_of(user: User) -> set[str]:
    return set(user.groups.filter(name__in=_role_group_names()).values_list("name", flat=True))


def _audit_roles(
    *, actor: User | None, user: User, before: set[str], superuser_before: bool
) -> None:
    """An audit entry if the user's roles or superuser status changed."""
    after = _roles_of(user)
    if after == before and user.is_superuser == superuser_before:
        return
    details: dict[str, object] = {
        "added": sorted(after - before),
        "removed": sorted(before - after),
        "roles": sorted(after),
    }
    if user.is_superuser != superuser_before:
        details["superuser"] = user.is_superuser
    audit_record(actor=actor, action=AuditAction.ROLES_CHANGED, target=user, details=details)


@transaction.atomic
def user_create_or_update(
    *,
    username: str,
    password: str,
    roles: list[Role],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create the user, or reset an existing one to exactly these roles and this password."""
    groups = roles_ensure()
    user, _ = User.objects.get_or_create(username=username)
    roles_before, superuser_before = _roles_of(user), user.is_superuser
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.is_active = True
    user.is_staff = _staff_by_roles(roles)
    user.set_password(password)
    user.save()
    user.groups.set([groups[role] for role in roles])
    _audit_roles(actor=None, user=user, before=roles_before, superuser_before=superuser_before)
    return user


@transaction.atomic
def token_get_or_create(*, user: User) -> Token:
    """The user's API token (its string is the key), made now if they have none or theirs has
    expired."""
    token, created = Token.objects.select_for_update().get_or_create(user=user)
    if not created and token_is_expired(token):
        return token_regenerate(user=user)
    return token


@transaction.atomic
def token_regenerate(*, user: User) -> Token:
    """Replace the user's API token with a new one: the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, token: Token) -> None:
    """Its owner is done with this token (e.g. a script's last run, a laptop given away)."""
    Token.objects.filter(pk=token.pk).delete()


def tokens_revoke_for_user(*, user: User) -> int:
    """Revoke every API token of the user; how many there were. Called whenever the user's
    password changes or stops being usable, however that happens."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted
