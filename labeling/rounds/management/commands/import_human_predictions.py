"""Import human predictions made elsewhere as answers of a round."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from labeling.importing.commands import BATCH_HELP, ImportCommand
from labeling.rounds.human_predictions import HumanPredictionFileError, human_predictions_import
from labeling.rounds.selectors import round_get


class Command(ImportCommand):
    help = (
        "Import human predictions into round R. FILE is a CSV with a header naming the columns "
        "image, labeler, wnid and optionally served_at, answered_at (ISO 8601) and "
        "active_seconds, or JSON Lines of objects with those keys. An image is named as in the "
        "annotation files and must be one of the round's. Each labeler becomes a pseudonymous "
        "participant of the round (user r<R>-<labeler>, who cannot log in). " + BATCH_HELP
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the .csv or .jsonl file")
        parser.add_argument("--round", type=int, required=True, metavar="R", help="the round id")
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        file = Path(options["file"])
        if not file.is_file():
            raise CommandError(f"{file} is not a file")
        round = round_get(round_id=options["round"])
        if round is None:
            raise CommandError(f"No round with id {options['round']}.")
        report = self.new_report("human predictions", options)
        try:
            human_predictions_import(path=file, round=round, report=report, progress=self.progress)
        except HumanPredictionFileError as error:
            raise CommandError(f"{error}; nothing was written") from None
        self.finish(report)
