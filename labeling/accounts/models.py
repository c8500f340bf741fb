"""Records of the accounts app: only a safer face for DRF's tokens."""

from __future__ import annotations

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
