"""Writes for users and roles."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from rest_framework.authtoken.models import Token

from labeling.accounts.roles import Role

User = get_user_model()


# Apps whose records study admins manage in the Django admin.
ADMIN_MANAGED_APPS = (
    "auth",
    "authtoken",
    "accounts",
    "taxonomy",
    "images",
    "guide",
    "predictions",
    "rounds",
    "review",
    "training",
    "scoring",
)


def roles_ensure() -> dict[Role, Group]:
    """Create the role groups if they are missing."""
    return {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}


def role_permissions_sync() -> None:
    """Give the admin role every permission on the study's records, so the Django admin is
    usable by study admins without making them superusers."""
    groups = roles_ensure()
    permissions = Permission.objects.filter(content_type__app_label__in=ADMIN_MANAGED_APPS)
    groups[Role.ADMIN].permissions.set(permissions)


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
    user.email = email
    user.first_name = first_name
    user.last_name = last_name
    user.is_active = True
    # Admins of the study also get the Django admin; superuser rights stay a separate decision.
    user.is_staff = Role.ADMIN in roles
    user.set_password(password)
    user.save()
    user.groups.set([groups[role] for role in roles])
    return user


def token_get_or_create(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
