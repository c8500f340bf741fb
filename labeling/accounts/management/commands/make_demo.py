"""Fill the database with a small, realistic demo study (idempotent: safe to run again)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from labeling.demo import demo_build


class Command(BaseCommand):
    help = (
        "Create demo users, ~20 ImageNet classes with val and ImageNetV2 images (synthetic "
        "pictures), reference images, guide entries and model predictions. Running it again "
        "changes nothing."
    )

    def handle(self, *args, **options) -> None:
        try:
            demo_build(stdout=self.stdout)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
