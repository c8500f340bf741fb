"""Import images to label from a folder: ImageNet val with a labels CSV, or `<wnid>/<file>`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from labeling.images.importing import (
    image_source_for_import,
    images_import,
    scan_flat_folder,
    scan_labeled_folders,
)
from labeling.images.management.base import ImageImportCommand
from labeling.importing.commands import BATCH_HELP
from labeling.taxonomy.selectors import classes_by_wnid


class Command(ImageImportCommand):
    help = (
        "Import images to label into a source. DIR is either a flat folder of files (ImageNet "
        "val's ILSVRC2012_val_*.JPEG) labeled by --labels CSV (rows file,wnid; a header row is "
        "optional), or the <wnid>/<file> layout, which needs no --labels. Each image is stored "
        "once (by SHA-256) under an opaque name, with its thumbnail; its file name is kept as its "
        "original name. " + BATCH_HELP
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dir", type=Path, help="the folder of images")
        parser.add_argument("--source", required=True, help="image source slug, e.g. imagenet-val")
        parser.add_argument("--labels", type=Path, help="CSV of file,wnid rows for a flat folder")
        super().add_arguments(parser)

    def handle(self, *args, dir: Path, source: str, labels: Path | None, **options) -> None:
        dir, labels = Path(dir), (Path(labels) if labels is not None else None)  # call_command
        if not dir.is_dir():
            raise CommandError(f"{dir} is not a folder")
        try:
            image_source = image_source_for_import(slug=source)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        report = self.new_report("images", options)
        classes = classes_by_wnid()
        if labels is not None:
            items = scan_flat_folder(root=dir, labels_csv=labels, report=report, classes=classes)
        else:
            items = scan_labeled_folders(root=dir, report=report, classes=classes)
        images_import(
            source=image_source,
            items=items,
            report=report,
            progress=self.progress,
            workers=options["workers"],
        )
        self.finish(report)
