"""Writes for users and roles."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from labeling.accounts.roles import Role

User = get_user_model()


def roles_ensure() -> dict[Role, Group]:
    """Create the role groups if they are missing."""
    return {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}


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
