"""Import per-class reference images from the ImageNet train layout `<wnid>/<wnid>_<n>.JPEG`."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from labeling.images.importing import (
    references_import,
    scan_reference_folders,
)
from labeling.images.management.base import ImageImportCommand
from labeling.importing.commands import BATCH_HELP
from labeling.taxonomy.selectors import classes_by_wnid


class Command(ImageImportCommand):
    help = (
        "Import reference images, shown beside the image being labeled, from the ImageNet train "
        "layout <wnid>/<wnid>_<n>.JPEG. At most --per-class files are taken per class, chosen by "
        "a shuffle seeded with --seed: the same seed takes the same files, and a larger "
        "--per-class takes a superset. " + BATCH_HELP
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dir", type=Path, help="the folder holding one folder per wnid")
        parser.add_argument(
            "--per-class",
            type=int,
            default=None,
            help="most files per class (default and maximum: REFERENCE_IMAGES_PER_CLASS, 100)",
        )
        parser.add_argument("--seed", type=int, default=0, help="seed of the choice (default 0)")
        super().add_arguments(parser)

    def handle(self, *args, dir: Path, per_class: int | None, seed: int, **options) -> None:
        dir = Path(dir)
        if not dir.is_dir():
            raise CommandError(f"{dir} is not a folder")
        limit = settings.REFERENCE_IMAGES_PER_CLASS
        per_class = limit if per_class is None else per_class
        if not 1 <= per_class <= limit:
            raise CommandError(
                f"--per-class must be between 1 and {limit} (REFERENCE_IMAGES_PER_CLASS)"
            )
        report = self.new_report("reference images", options)
        items = scan_reference_folders(
            root=dir, per_class=per_class, seed=seed, report=report, classes=classes_by_wnid()
        )
        references_import(
            items=items, report=report, progress=self.progress, workers=options["workers"]
        )
        self.finish(report)
