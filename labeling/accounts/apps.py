from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_migrate, post_save


def _sync_role_permissions(sender: Any, **kwargs: Any) -> None:
    from labeling.accounts.services import role_permissions_sync

    role_permissions_sync()


def _revoke_tokens_on_password_change(sender: Any, instance: Any, created: bool, **kwargs) -> None:
    """Whoever changes a password (the user, an admin, a command, a service), the API tokens
    made with the old one stop working. `set_password` leaves the new password in `_password`
    until the save is done; Django's own re-hashing on login clears it, so an upgraded hash is
    no change."""
    if created:
        return
    if getattr(instance, "_password", None) is not None or not instance.has_usable_password():
        from labeling.accounts.services import tokens_revoke_for_user

        tokens_revoke_for_user(user=instance)


def _count_failed_login(sender: Any, credentials: dict, request: Any = None, **kwargs) -> None:
    from labeling.accounts.login_limits import client_address, login_failure_record

    login_failure_record(
        address=client_address(request) if request is not None else None,
        username=credentials.get("username"),
    )


def _reset_after_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from labeling.accounts.login_limits import login_success_record

    login_success_record(username=user.get_username())


class AccountsConfig(AppConfig):
    name = "labeling.accounts"
    label = "accounts"

    def ready(self) -> None:
        # After each app migrates (permissions are created per app), so new models reach admins.
        post_migrate.connect(_sync_role_permissions, dispatch_uid="accounts_role_permissions")
        post_save.connect(
            _revoke_tokens_on_password_change,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="accounts_revoke_tokens_on_password_change",
        )
        # authenticate() sends user_login_failed wherever it is called: the login pages and the
        # token endpoint alike.
        user_login_failed.connect(_count_failed_login, dispatch_uid="accounts_count_failed_login")
        user_logged_in.connect(_reset_after_login, dispatch_uid="accounts_reset_after_login")
