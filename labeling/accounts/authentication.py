"""`Authorization: Token <key>` for the API and the file views, with expiry.

A token works for TOKEN_TTL_DAYS after it was made; after that it answers 401 with a message
saying so, and `POST /api/auth/token/` (or the home page) gives a new one. Tokens are also
revoked by their owner (`DELETE /api/auth/token/`) and whenever the owner's password changes
(labeling/accounts/apps.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Field
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from labeling.accounts.roles import Role, user_roles_prime
from labeling.sql import loaded


def token_expires_at(token: Token) -> datetime | None:
    """When the token stops working; None if tokens never expire (TOKEN_TTL_DAYS=0)."""
    if not settings.TOKEN_TTL_DAYS:
        return None
    return token.created + timedelta(days=settings.TOKEN_TTL_DAYS)


def token_is_expired(token: Token) -> bool:
    expires = token_expires_at(token)
    return expires is not None and expires <= timezone.now()


def _token_with_user_and_roles(key: str) -> tuple[Token, set[Role]] | None:
    """The token with its user (`token.user`) and the user's roles, in one statement.

    Written as SQL (from the models' own table and column names) because every API request
    with a token starts here: building the two ORM queries this replaces (the token with its
    user, then the user's groups) cost more CPU than the class search itself.
    """
    token_fields = _fields()[0]
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor), [*(role.value for role in Role), key])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(token_fields)
    token = Token.from_db(connection.alias, *loaded(token_fields, row[:n]))
    user, roles = user_and_roles_from_row(row[n:])
    assert user is not None  # an inner join
    token.user = user
    return token, roles


def _fields() -> tuple[list[Field], list[Field]]:
    return list(Token._meta.concrete_fields), list(get_user_model()._meta.concrete_fields)


def user_and_roles_columns(user_alias: str) -> list[str]:
    """The SELECT list of a user row (the user model's concrete fields, aliased `user_alias`)
    followed by one EXISTS per Role (a %s parameter each, in Role order): what a request's
    authentication reads in the same statement as its token or session."""

    def q(name: str | None) -> str:
        assert name is not None  # concrete fields have columns
        return connection.ops.quote_name(name)

    users = get_user_model()._meta
    through = users.get_field("groups").remote_field.through
    assert through is not None
    membership = through._meta
    groups = Group._meta
    user_id = f"{user_alias}.{q(users.pk.column)}"
    columns = [f"{user_alias}.{q(f.column)}" for f in _fields()[1]]
    columns += [
        f"EXISTS (SELECT 1 FROM {q(membership.db_table)} m "
        f"JOIN {q(groups.db_table)} g ON g.{q(groups.pk.column)} = m.{q('group_id')} "
        f"WHERE m.{q('user_id')} = {user_id} AND g.{q('name')} = %s)"
        for _ in Role
    ]
    return columns


def user_and_roles_from_row(row: Sequence[Any]) -> tuple[User | None, set[Role]]:
    """The user and roles out of the columns user_and_roles_columns() selected (a user of None
    when its columns are NULL, as from a LEFT JOIN that found none)."""
    user_fields = _fields()[1]
    n = len(user_fields)
    if row[user_fields.index(get_user_model()._meta.pk)] is None:
        return None, set()
    user = get_user_model().from_db(connection.alias, *loaded(user_fields, row[:n]))
    return user, {role for role, has in zip(Role, row[n:], strict=True) if has}


@functools.cache
def _sql(vendor: str) -> str:
    """The statement for one database vendor (quoting differs), made once."""

    def quote(name: str | None) -> str:
        assert name is not None  # concrete fields have columns
        return connection.ops.quote_name(name)

    users = get_user_model()._meta
    token_fields = _fields()[0]
    columns = [f"t.{quote(f.column)}" for f in token_fields] + user_and_roles_columns("u")
    token_user = Token._meta.get_field("user").column
    return (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t "
        f"JOIN {quote(users.db_table)} u ON u.{quote(users.pk.column)} = t.{quote(token_user)} "
        f"WHERE t.{quote(Token._meta.get_field('key').column)} = %s"
    )


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens older than TOKEN_TTL_DAYS. The statement that
    finds the token and its user also reads the user's roles, which every API view checks next
    (user_roles then needs no query of its own)."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        found = _token_with_user_and_roles(key)
        if found is None:
            raise AuthenticationFailed("Invalid token.")
        token, roles = found
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        if token_is_expired(token):
            expired = token_expires_at(token)
            raise AuthenticationFailed(
                f"Your API token expired on {expired:%Y-%m-%d %H:%M} UTC. Get a new one with "
                "POST /api/auth/token/ (username and password) or on your home page.",
                code="token_expired",
            )
        user_roles_prime(user, roles)
        return user, token
