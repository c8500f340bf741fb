"""Records of the accounts app: a safer face for DRF's tokens, and the login sessions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from rest_framework.authtoken.models import TokenProxy

# How much of a token anyone but its owner may see: enough to tell two tokens apart, far too
# little to use one (40 hex characters carry 160 bits; 6 leave 136 unknown).
TOKEN_SHOWN_CHARACTERS = 6


def token_mask(key: str) -> str:
    return f"{key[:TOKEN_SHOWN_CHARACTERS]}…" if key else ""


class ApiToken(TokenProxy):
    """A user's API token as the admin shows it.

    DRF's own `Token.__str__` is the whole key, and Django prints an object's string in
    breadcrumbs, delete confirmations, messages and the admin log; this proxy prints only the
    first characters, so no admin page can show someone else's token in full. Its `pk` is the
    user's id (inherited from `TokenProxy`), so no URL holds the key either.
    """

    class Meta:
        proxy = True
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self) -> str:
        return f"API token {token_mask(self.key)}"


class Session(AbstractBaseSession):
    """A login session as Django's database backend keeps it, plus the signed-in user's id in a
    column of its own, so that every request reads its session, its user and the user's roles
    in one statement (labeling/accounts/sessions.py) instead of two queries and a third for the
    roles. The signed session data stays the authority: the column is used only when it names
    the same user. Deleting a user deletes their sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls) -> Any:
        from labeling.accounts.sessions import SessionStore

        return SessionStore
