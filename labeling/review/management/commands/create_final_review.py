"""Create a blind final review of an evaluation round's answers (and open it)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from labeling.review.management.commands.create_review_round import reviewers_option
from labeling.review.services import final_review_create
from labeling.rounds.image_lists import labelers_resolve
from labeling.rounds.models import Round


class Command(BaseCommand):
    help = (
        "Create a blind final review of an evaluation round: every class a labeler answered "
        "that is not yet judged for its image becomes a candidate, and --models-per-image "
        "classes models predicted for the image (drawn with --seed) are mixed in, so every image "
        "has both kinds; reviewers see neither sources, model counts nor labeler names. The new "
        "round's id is the last line of the output."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from-round", type=int, required=True, help="evaluation round id")
        parser.add_argument("--name", required=True, help="the new round's name")
        reviewers_option(parser)
        parser.add_argument(
            "--seed",
            type=int,
            help="draws and orders with this seed (recorded; drawn if not given)",
        )
        parser.add_argument("--models-per-image", type=int, default=2, metavar="K")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Round.objects.filter(pk=options["from_round"]).first()
        if source is None:
            raise CommandError(f"--from-round: no round {options['from_round']}")
        reviewers, problems = labelers_resolve(options["reviewers"].split(","))
        if problems:
            raise CommandError("--reviewers: " + "; ".join(problems))
        try:
            round = final_review_create(
                source_round=source,
                name=options["name"],
                reviewers=reviewers,
                seed=options["seed"],  # drawn and recorded on the round when not given
                models_per_image=options["models_per_image"],
                consensus_rule=options["consensus"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"Created final review round {round.pk} {round.name!r} of {source.name!r}: "
            f"{round.image_count} images, seed {round.review.seed}; {round.state}."
        )
        self.stdout.write(str(round.pk))
