"""Import multi-label annotations in the format of the study's published annotations."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from labeling.importing.commands import BATCH_HELP, ImportCommand
from labeling.review.annotation_files import AnnotationFileError, annotations_import

FORMAT_HELP = (
    "FILE is a JSON object keyed by image name: the ImageNet val file name "
    "(ILSVRC2012_val_00038768.JPEG) or the ImageNetV2 id (the 40-hex SHA-1 that names the file, "
    'without extension); each value an object of "correct", "wrong" and "unclear" lists of '
    'wnids (a missing list is empty), e.g. {"ILSVRC2012_val_00038768.JPEG": {"correct": '
    '["n09193705"], "unclear": ["n03445777"]}}. Also read: that object wrapped as {"_meta": …, '
    '"data": {…}} (the published samples), and {"labels": {…}, "problematic": [image names]}, '
    "the form export_annotations writes when some images are problematic."
)


class Command(ImportCommand):
    help = (
        "Import multi-label annotations. " + FORMAT_HELP + " Each listed image's labels become "
        "exactly the file's (other images keep theirs); every change is kept in the label "
        "history; listed problematic images are marked problematic (excluded from scoring). A "
        "wnid in two lists of one image, an unknown image or wnid are problems. " + BATCH_HELP
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the annotation JSON file")
        super().add_arguments(parser)

    def handle(self, *args, file: Path, **options) -> None:
        file = Path(file)
        report = self.new_report("annotated images", options)
        try:
            annotations_import(path=file, report=report)
        except AnnotationFileError as exc:
            raise CommandError(f"{exc}; nothing was written") from None
        self.finish(report)
