from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.db.models import Model
from django.db.models.signals import post_delete, post_migrate


def _ensure_builtin_sources(sender, **kwargs) -> None:
    from labeling.images.services import image_sources_ensure_builtin

    image_sources_ensure_builtin()


if TYPE_CHECKING:
    from labeling.images.models import AnnotatorCopy, Image, ReferenceImage


def _delete_files_on_commit(
    sender: type[Model], instance: "Image | ReferenceImage | AnnotatorCopy", **kwargs
) -> None:
    from labeling.images.services import stored_files_delete_on_commit

    names = [name for name in (instance.file.name, instance.thumbnail.name) if name]
    stored_files_delete_on_commit(names=names)


class ImagesConfig(AppConfig):
    name = "labeling.images"
    label = "images"

    def ready(self) -> None:
        # After every migrate and flush (tests flush between transactional tests), the four
        # standard sources exist, like the role groups.
        post_migrate.connect(_ensure_builtin_sources, sender=self, dispatch_uid="images_sources")
        # However a row goes (the admin, a bulk delete, a cascade from its image or class), its
        # files go with it once that commits; `manage.py clean_files` finds any left before.
        for name in ("Image", "ReferenceImage", "AnnotatorCopy"):
            post_delete.connect(
                _delete_files_on_commit,
                sender=self.get_model(name),
                dispatch_uid=f"images_delete_files_{name}",
            )
