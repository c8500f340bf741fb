from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_migrate


def _sync_role_permissions(sender: Any, **kwargs: Any) -> None:
    from labeling.accounts.services import role_permissions_sync

    role_permissions_sync()


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
        # authenticate() sends user_login_failed wherever it is called: the login pages and the
        # token endpoint alike.
        user_login_failed.connect(_count_failed_login, dispatch_uid="accounts_count_failed_login")
        user_logged_in.connect(_reset_after_login, dispatch_uid="accounts_reset_after_login")
