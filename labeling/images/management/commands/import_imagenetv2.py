"""Import an ImageNetV2 test set from its release layout `<class index>/<sha1>.jpeg`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from labeling.images.importing import (
    image_source_for_import,
    images_import,
    scan_imagenetv2_folder,
)
from labeling.images.management.base import ImageImportCommand
from labeling.importing.commands import BATCH_HELP
from labeling.taxonomy.selectors import classes_by_wnid


class Command(ImageImportCommand):
    help = (
        "Import an ImageNetV2 test set (matched-frequency, threshold0.7 or top-images) from its "
        "release layout <class index>/<sha1>.jpeg, the class index in the standard order (0 = "
        "n01440764). The image's id is the 40-hex SHA-1 of its file name, kept as its original "
        "name; the class folder never reaches storage. Images shared by several test sets are "
        "stored once. " + BATCH_HELP
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dir", type=Path, help="the test set's folder (holding 0/ … 999/)")
        parser.add_argument(
            "--source", required=True, help="image source slug, e.g. imagenetv2-matched-frequency"
        )
        super().add_arguments(parser)

    def handle(self, *args, dir: Path, source: str, **options) -> None:
        dir = Path(dir)
        if not dir.is_dir():
            raise CommandError(f"{dir} is not a folder")
        try:
            image_source = image_source_for_import(slug=source, imagenetv2=True)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = self.new_report("images", options)
        items = scan_imagenetv2_folder(root=dir, report=report, classes=classes_by_wnid())
        images_import(
            source=image_source,
            items=items,
            report=report,
            progress=self.progress,
            workers=options["workers"],
        )
        self.finish(report)
