"""Create an annotation review round from a list of image names (and open it)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from labeling.images.models import ImageSource
from labeling.review.models import ConsensusRule
from labeling.review.selectors import images_awaiting_review
from labeling.review.services import review_round_create
from labeling.rounds.image_lists import image_list_file_resolve, labelers_resolve
from labeling.rounds.models import RoundKind


def reviewers_option(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--reviewers", required=True, help="comma-separated usernames of annotators who review"
    )
    parser.add_argument(
        "--consensus",
        choices=ConsensusRule.values,
        default=ConsensusRule.UNANIMOUS,
        help="how verdicts become labels (default: unanimous, any split goes to adjudication)",
    )


class Command(BaseCommand):
    help = (
        "Create an annotation review round. --images FILE lists its images, one name per line "
        "(ImageNet val file name or ImageNetV2 40-hex id; # comments; - reads stdin), reviewed in "
        "that order; or --awaiting SOURCES [--limit N] takes the images still to review. "
        "Each image's candidates: its original label, every class a model predicted "
        "(with how many models) and every class already a candidate; reviewers may add more. "
        "Any unknown image or reviewer rejects the whole command and nothing is written. The "
        "new round's id is the last line of the output."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help="the round's name")
        chosen = parser.add_mutually_exclusive_group(required=True)
        chosen.add_argument("--images", metavar="FILE", help="image names, or -")
        chosen.add_argument(
            "--awaiting",
            metavar="SOURCES",
            help="instead of a list: every image of these comma-separated sources that has "
            "model predictions, no final labels, is not problematic and is in no annotation "
            "review round yet (by source and name)",
        )
        parser.add_argument(
            "--limit", type=int, metavar="N", help="with --awaiting: the first N of them"
        )
        reviewers_option(parser)
        parser.add_argument(
            "--hide-model-counts",
            action="store_true",
            help="reviewers do not see how many models predicted each class (against anchoring)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and (options["awaiting"] is None or options["limit"] < 1):
            raise CommandError("--limit goes with --awaiting and is at least 1")
        if options["awaiting"] is not None:
            sources = [slug.strip() for slug in options["awaiting"].split(",") if slug.strip()]
            known = set(ImageSource.objects.filter(slug__in=sources).values_list("slug", flat=True))
            problems = [
                f"--awaiting: no image source {slug!r}" for slug in sources if slug not in known
            ]
            image_ids = images_awaiting_review(sources=sources, limit=options["limit"])
            if not image_ids and not problems:
                problems.append(f"--awaiting: no image of {', '.join(sources)} awaits review")
        else:
            try:
                image_ids, problems = image_list_file_resolve(options["images"])
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(
                    f"--images {options['images']}: cannot read it ({error})"
                ) from None
        reviewers, reviewer_problems = labelers_resolve(options["reviewers"].split(","))
        problems += [f"--reviewers: {problem}" for problem in reviewer_problems]
        if not image_ids and not problems:
            problems.append("no images: the list names none")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s); no round was created.")
        try:
            round = review_round_create(
                name=options["name"],
                kind=RoundKind.ANNOTATION_REVIEW,
                image_ids=image_ids,
                reviewers=reviewers,
                hide_model_counts=options["hide_model_counts"],
                consensus_rule=options["consensus"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        names = ", ".join(user.username for user in reviewers)
        seed = round.review.seed  # drawn when counts are hidden: the order must not give them
        listed = "by model count" if seed is None else f"in an order shuffled with seed {seed}"
        self.stdout.write(
            f"Created annotation review round {round.pk} {round.name!r}: {len(image_ids)} "
            f"images, candidates listed {listed}; reviewers: {names}; {round.state}."
        )
        self.stdout.write(str(round.pk))
