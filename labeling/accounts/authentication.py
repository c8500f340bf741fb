"""`Authorization: Token <key>` for the API and the file views, with expiry.

A token works for TOKEN_TTL_DAYS after it was made; after that it answers 401 with a message
saying so, and `POST /api/auth/token/` (or the home page) gives a new one. Tokens are also
revoked by their owner (`DELETE /api/auth/token/`) and whenever the owner's password changes
(labeling/accounts/apps.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expires_at(token: Token) -> datetime | None:
    """When the token stops working; None if tokens never expire (TOKEN_TTL_DAYS=0)."""
    if not settings.TOKEN_TTL_DAYS:
        return None
    return token.created + timedelta(days=settings.TOKEN_TTL_DAYS)


def token_is_expired(token: Token) -> bool:
    expires = token_expires_at(token)
    return expires is not None and expires <= timezone.now()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens older than TOKEN_TTL_DAYS."""

    def authenticate_credentials(self, key: str) -> tuple[User, Token]:
        user, token = super().authenticate_credentials(key)
        if token_is_expired(token):
            expired = token_expires_at(token)
            raise AuthenticationFailed(
                f"Your API token expired on {expired:%Y-%m-%d %H:%M} UTC. Get a new one with "
                "POST /api/auth/token/ (username and password) or on your home page.",
                code="token_expired",
            )
        return user, token
