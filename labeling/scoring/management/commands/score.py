"""Score a round: every participant's multi-label accuracy per source and subset."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labeling.rounds.selectors import round_get
from labeling.scoring.grading import FAST_SECONDS
from labeling.scoring.selectors import round_scores


class Command(BaseCommand):
    help = (
        "Score a round's labelers (their answers) and the models (their top-1 predictions on the "
        "round's images) against the final labels: multi-label accuracy with 95% Clopper-Pearson "
        "intervals per image source and subset (all, without_dogs, objects_only, fast). "
        "Problematic images are left out; an unclear class counts as wrong."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--round", type=int, required=True, metavar="R", help="the round id")
        parser.add_argument("--format", choices=["json", "table"], default="json")
        parser.add_argument(
            "--fast-threshold",
            type=float,
            default=FAST_SECONDS,
            metavar="SECONDS",
            help="an image is fast if its median human active time is at most this",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        round = round_get(round_id=options["round"])
        if round is None:
            raise CommandError(f"No round with id {options['round']}.")
        if options["fast_threshold"] < 0:
            raise CommandError("--fast-threshold: a number of seconds, 0 or more.")
        scores = round_scores(round=round, fast_threshold=options["fast_threshold"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(scores, indent=2))
        else:
            self.stdout.write(scores_table(scores))


def scores_table(scores: dict[str, Any]) -> str:
    """One line per participant, source and subset, aligned for a terminal."""
    lines = [f"Round {scores['round']}"]
    header = ("participant", "kind", "source", "subset", "correct", "total", "accuracy", "95% CI")
    rows = [header]
    for participant in scores["participants"]:
        for source, subsets in participant["scores"].items():
            for subset, cell in subsets.items():
                accuracy = "-" if cell["accuracy"] is None else f"{100 * cell['accuracy']:.1f}%"
                rows.append(
                    (
                        participant["name"],
                        participant["kind"],
                        source,
                        subset,
                        str(cell["correct"]),
                        str(cell["total"]),
                        accuracy,
                        f"{100 * cell['ci_low']:.1f}-{100 * cell['ci_high']:.1f}",
                    )
                )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += [
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(lines)
