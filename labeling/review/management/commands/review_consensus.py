"""Apply a review round's consensus rule: decided candidates set the images' labels."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labeling.review.services import review_consensus_apply
from labeling.rounds.models import Round


class Command(BaseCommand):
    help = (
        "Decide every candidate all reviewers of the round judged, by the round's consensus "
        "rule; the rest wait for adjudication (admin). Images whose candidates are all decided "
        "get their labels, each change recorded in the label history. Running it again changes "
        "nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--round", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        round = Round.objects.filter(pk=options["round"]).first()
        if round is None or not hasattr(round, "review"):
            raise CommandError(f"no review round {options['round']}")
        counts = review_consensus_apply(round=round)
        self.stdout.write(
            f"{counts['decided']} candidates decided, {counts['adjudication']} waiting for "
            f"adjudication; labels set for {counts['images_labeled']} images."
        )
