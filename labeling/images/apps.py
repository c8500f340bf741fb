from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_builtin_sources(sender, **kwargs) -> None:
    from labeling.images.services import image_sources_ensure_builtin

    image_sources_ensure_builtin()


class ImagesConfig(AppConfig):
    name = "labeling.images"
    label = "images"

    def ready(self) -> None:
        # After every migrate and flush (tests flush between transactional tests), the four
        # standard sources exist, like the role groups.
        post_migrate.connect(_ensure_builtin_sources, sender=self, dispatch_uid="images_sources")
