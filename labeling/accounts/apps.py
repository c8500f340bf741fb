from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_permissions(sender, **kwargs) -> None:
    from labeling.accounts.services import role_permissions_sync

    role_permissions_sync()


class AccountsConfig(AppConfig):
    name = "labeling.accounts"
    label = "accounts"

    def ready(self) -> None:
        # After each app migrates (permissions are created per app), so new models reach admins.
        post_migrate.connect(_sync_role_permissions, dispatch_uid="accounts_role_permissions")
