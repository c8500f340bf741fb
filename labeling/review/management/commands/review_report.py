"""The change report of a review round, and its reviewers' agreement."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from labeling.review.selectors import review_agreement, review_change_report
from labeling.rounds.models import Round


class Command(BaseCommand):
    help = (
        "How a review round changed the correct classes of the images it labeled (relative to "
        "the labels before it): unchanged, labels added, labels modified; the share of images "
        "with more than one correct class and their mean number of correct classes; pairwise "
        "agreement between reviewers and Fleiss' kappa."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--round", type=int, required=True, help="the review round's id")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        round = Round.objects.filter(pk=options["round"]).first()
        if round is None:
            raise CommandError(f"no round {options['round']}")
        report = review_change_report(round=round).as_dict()
        agreement = review_agreement(round=round)
        report["fleiss_kappa"] = agreement.kappa
        report["pairwise_agreement"] = [
            {"reviewers": [a, b], "candidates": n, "agreement": share}
            for a, b, n, share in agreement.pairs
        ]
        if options["format"] == "json":
            self.stdout.write(json.dumps({"round": round.pk, **report}, indent=1))
            return
        for key, value in report.items():
            if key != "pairwise_agreement":
                shown = f"{value:.4f}" if isinstance(value, float) else str(value)
                self.stdout.write(f"{key:<24}{shown}")
        for pair in report["pairwise_agreement"]:
            share = pair["agreement"]
            self.stdout.write(
                f"{' / '.join(pair['reviewers']):<24}"
                f"{'-' if share is None else f'{share:.4f}'} over {pair['candidates']} candidates"
            )
