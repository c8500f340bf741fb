"""Export every image's multi-labels in the format import_annotations reads."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.review.annotation_files import annotations_write
from labeling.review.management.commands.import_annotations import FORMAT_HELP


class Command(BaseCommand):
    help = (
        "Export the multi-labels of every labeled image to FILE. "
        + FORMAT_HELP
        + ' The plain object is written when no image is problematic, else {"labels": {…}, '
        '"problematic": […]}; lists are sorted and empty ones left out, so importing the file '
        "and exporting again gives the same file."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="where to write the JSON (replaced)")

    def handle(self, *args, file: Path, **options) -> None:
        file = Path(file)
        try:
            counts = annotations_write(path=file)
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc}") from None
        self.stdout.write(
            f"exported the labels of {counts['images']:,} images and {counts['problematic']:,} "
            f"problematic images to {file}"
        )
