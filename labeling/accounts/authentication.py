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
    token_fields, user_fields = _fields()
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor), [*(role.value for role in Role), key])
        row = cursor.fetchone()
    if row is None:
        return None
    n, m = len(token_fields), len(token_fields) + len(user_fields)
    token = Token.from_db(connection.alias, *_converted(token_fields, row[:n]))
    token.user = get_user_model().from_db(connection.alias, *_converted(user_fields, row[n:m]))
    return token, {role for role, has in zip(Role, row[m:], strict=True) if has}


def _fields() -> tuple[list[Field], list[Field]]:
    return list(Token._meta.concrete_fields), list(get_user_model()._meta.concrete_fields)


@functools.cache
def _sql(vendor: str) -> str:
    """The statement for one database vendor (quoting differs), made once."""

    def quote(name: str | None) -> str:
        assert name is not None  # concrete fields have columns
        return connection.ops.quote_name(name)

    users = get_user_model()._meta
    through = users.get_field("groups").remote_field.through
    assert through is not None
    membership = through._meta
    groups = Group._meta
    token_fields, user_fields = _fields()
    user_id = f"u.{quote(users.pk.column)}"
    columns = [f"t.{quote(f.column)}" for f in token_fields]
    columns += [f"u.{quote(f.column)}" for f in user_fields]
    columns += [
        f"EXISTS (SELECT 1 FROM {quote(membership.db_table)} m "
        f"JOIN {quote(groups.db_table)} g ON g.{quote(groups.pk.column)} = m.{quote('group_id')} "
        f"WHERE m.{quote('user_id')} = {user_id} AND g.{quote('name')} = %s)"
        for _ in Role
    ]
    token_user = Token._meta.get_field("user").column
    return (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t "
        f"JOIN {quote(users.db_table)} u ON {user_id} = t.{quote(token_user)} "
        f"WHERE t.{quote(Token._meta.get_field('key').column)} = %s"
    )


def _converted(fields: list[Field], values: Sequence[Any]) -> tuple[list[str], list[Any]]:
    """Field names and values as the ORM would load them (SQLite returns datetimes as text)."""
    out = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(field.model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(
            connection
        ):
            value = convert(value, column, connection)
        out.append(value)
    return [f.attname for f in fields], out


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
