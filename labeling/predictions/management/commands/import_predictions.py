"""Import model predictions from a CSV or JSON Lines file (millions of rows, streamed)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from labeling.importing.commands import BATCH_HELP, ImportCommand
from labeling.importing.report import json_parse
from labeling.predictions.importing import PredictionFileError, predictions_import


class Command(ImportCommand):
    help = (
        "Import classifier predictions. FILE is a CSV with a header row naming the columns image, "
        "model, wnid and optionally rank (default 1) and score, or JSON Lines of objects with "
        'those keys ({"image": "ILSVRC2012_val_00000001.JPEG", "model": "resnet50", "wnid": '
        '"n01751748"}); .gz is read too. An image is named as in the annotation files: the '
        "ImageNet val file name, or the ImageNetV2 40-hex id. Models are created as named; "
        "--models gives their metadata. Every (image, class) predicted becomes a review "
        "candidate with the number of models that predicted it. " + BATCH_HELP
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the .csv or .jsonl file")
        parser.add_argument(
            "--models",
            type=Path,
            help='JSON of model metadata: {"resnet50": {"year": 2015, "paper": "…", "top1": 76.1}}',
        )
        super().add_arguments(parser)

    def handle(self, *args, file: Path, models: Path | None, **options) -> None:
        file, models = Path(file), (Path(models) if models is not None else None)  # call_command
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        metadata = _read_models(models) if models is not None else None
        report = self.new_report("prediction rows", options)
        try:
            predictions_import(
                path=file, report=report, models_metadata=metadata, progress=self.progress
            )
        except PredictionFileError as exc:
            raise CommandError(f"{exc}; nothing was written") from None
        self.finish(report)


def _read_models(path: Path) -> dict[str, dict]:
    try:
        data = json_parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: cannot read the models file ({exc})") from None
    if not isinstance(data, dict) or not all(
        isinstance(name, str) and isinstance(value, dict) for name, value in data.items()
    ):
        raise CommandError(f'{path}: expected {{"model name": {{"year": …, "top1": …}}, …}}')
    return data
