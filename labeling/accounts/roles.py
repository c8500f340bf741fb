"""The three roles of the app, kept as Django groups so admins can manage them in the admin."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied


class Role(StrEnum):
    ANNOTATOR = "annotator"
    ADMIN = "admin"  # runs rounds, manages data
    RESEARCHER = "researcher"  # read-only API access with a token


ROLE_DESCRIPTIONS = {
    Role.ANNOTATOR: "labels images and edits the labeling guide",
    Role.ADMIN: "runs training and evaluation rounds and manages data",
    Role.RESEARCHER: "reads results and exports through the REST API",
}


def user_roles(user: User | AnonymousUser) -> set[Role]:
    """The roles of a user; a superuser has every role."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(Role)
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role if role.value in names}
        # Cached on the user object: one query per request, however many checks it makes.
        setattr(user, "_role_cache", cached)  # noqa: B010
    return cached


def user_roles_prime(user: User, roles: set[Role]) -> None:
    """Tell user_roles the user's roles, read along with the user (no query of its own)."""
    user._role_cache = roles  # type: ignore[attr-defined]


def user_has_role(user: User | AnonymousUser, role: Role) -> bool:
    return role in user_roles(user)


def signed_in(user: User | AnonymousUser) -> User:
    """The user of a request that a login or permission check has already let in (the types
    cannot know that); anyone else is refused."""
    if isinstance(user, AnonymousUser):
        raise PermissionDenied
    return user
