"""Login sessions read with their user and roles in one statement.

Every request of a signed-in browser (the labeling and review screens' API calls above all)
starts by reading its session, then its user, then, for most views, the user's roles: three
queries and the ORM's work to build them, about a fifth of an answer's time. Here the session
row carries its user's id (`accounts.Session.user`, set from the session data whenever the
session is saved), so one written-out statement reads the session, the user and the roles.

Nothing is cached between requests: a logout, a password change or a role taken away counts
from the next request, exactly as with Django's own backend. The session data stays the
authority: the user read along is taken only if it is the one the data names, its session hash
matches and it may log in; anything else goes Django's own way (`auth.get_user`).
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthMiddleware
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from labeling.accounts.authentication import user_and_roles_columns, user_and_roles_from_row
from labeling.accounts.models import Session
from labeling.accounts.roles import Role, user_roles_prime

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@functools.cache
def _sql(vendor: str) -> str:
    """The statement for one database vendor (quoting differs), made once."""
    q = connection.ops.quote_name
    users = get_user_model()._meta
    sessions = Session._meta
    user_column = sessions.get_field("user").column
    assert users.pk is not None and users.pk.column is not None and user_column is not None
    return (
        f"SELECT s.{q('session_data')}, {', '.join(user_and_roles_columns('u'))} "
        f"FROM {q(sessions.db_table)} s "
        f"LEFT JOIN {q(users.db_table)} u ON u.{q(users.pk.column)} = s.{q(user_column)} "
        f"WHERE s.{q('session_key')} = %s AND s.{q('expire_date')} > %s"
    )


class SessionStore(DBStore):
    """Django's database session store on `accounts.Session`, reading the session's user and
    roles with it (`loaded_user`)."""

    loaded_user: User | None = None

    @classmethod
    def get_model_class(cls) -> Any:
        return Session

    def load(self) -> dict[str, Any]:
        self.loaded_user = None
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                _sql(connection.vendor), [*(role.value for role in Role), self.session_key, now]
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        user, roles = user_and_roles_from_row(row[1:])
        if user is not None:
            user_roles_prime(user, roles)
        self.loaded_user = user
        return self.decode(row[0])

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = super().create_model_instance(data)
        assert isinstance(session, Session)
        session.user_id = _user_id(data.get(SESSION_KEY))
        return session


def _user_id(value: Any) -> Any:
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except Exception:  # noqa: BLE001 - not an id: the column stays empty, the data decides
        return None


def session_user(request: HttpRequest) -> User | AnonymousUser:
    """The request's user, as django.contrib.auth.get_user finds it, without a query of its
    own when the session brought the user along."""
    session = request.session
    user_id = session.get(SESSION_KEY)  # loads the session (and its user) if not yet loaded
    user = getattr(session, "loaded_user", None)
    if (
        user is not None
        and user_id is not None
        and user.pk == _user_id(user_id)
        and session.get(BACKEND_SESSION_KEY) == MODEL_BACKEND
        and MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS
        and ModelBackend().user_can_authenticate(user)
    ):
        given_hash = session.get(HASH_SESSION_KEY)
        if given_hash and constant_time_compare(given_hash, user.get_session_auth_hash()):
            return user
    # Anything else (no user, another backend, a hash from a fallback secret, a mismatch):
    # Django's own way, which also cycles or flushes the session as it should.
    return auth.get_user(request)


class AuthenticationMiddleware(DjangoAuthMiddleware):
    """Django's, with `request.user` from session_user()."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)

        def user() -> User | AnonymousUser:
            if not hasattr(request, "_cached_user"):
                request._cached_user = session_user(request)  # type: ignore[attr-defined]
            return request._cached_user  # type: ignore[attr-defined]

        request.user = SimpleLazyObject(user)  # type: ignore[assignment]
