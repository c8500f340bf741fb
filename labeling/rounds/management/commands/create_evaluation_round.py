"""Create an evaluation round from a list of image names or by sampling (and open it)."""

from __future__ import annotations

import secrets
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from labeling.guide.services import GuideFrozen
from labeling.rounds.image_lists import image_list_file_resolve, labelers_resolve
from labeling.rounds.models import IDLE_LIMIT_MAX_SECONDS, Round, RoundKind
from labeling.rounds.sampling import DEFAULT_SOURCES, evaluation_sample
from labeling.rounds.services import SEED_LIMIT, round_create, round_guide_freeze, round_open


class Command(BaseCommand):
    help = (
        "Create an evaluation round. --images FILE lists its images, one name per line as the "
        "study's annotation files name them (an ImageNet val file name such as "
        "ILSVRC2012_val_00038768.JPEG, or an ImageNetV2 40-hex id); blank lines and # comments "
        "are ignored; - reads the list from stdin. Or --per-class K draws K images of every class "
        "from each of --sources, with --seed, among the annotated, non-problematic images no "
        "training round has used. The images are shuffled with --seed (one is "
        "drawn and recorded if not given) unless --keep-order. The round opens at once unless "
        "--draft. Any unknown or repeated image, unknown labeler or labeler who is not an "
        "annotator rejects the whole command: every problem is listed and nothing is written. "
        "The new round's id is the last line of the output."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help="the round's name")
        # Where the images come from: exactly one way. (Sampling options join this group.)
        selection = parser.add_mutually_exclusive_group(required=True)
        selection.add_argument("--images", metavar="FILE", help="a file of image names, or -")
        selection.add_argument(
            "--per-class", type=int, metavar="K", help="draw K images per class from each source"
        )
        parser.add_argument(
            "--sources",
            default=",".join(DEFAULT_SOURCES),
            help="with --per-class: comma-separated image sources to draw from "
            f"(default {','.join(DEFAULT_SOURCES)})",
        )
        parser.add_argument(
            "--freeze-guide",
            action="store_true",
            help="freeze the labeling guide under the round's name until the round is closed "
            "(closing it releases the freeze)",
        )
        parser.add_argument(
            "--labelers", default="", help="comma-separated usernames of annotators to assign"
        )
        parser.add_argument("--seed", type=int, help="shuffle with this seed (recorded)")
        parser.add_argument(
            "--keep-order", action="store_true", help="keep the list's order, do not shuffle"
        )
        parser.add_argument("--draft", action="store_true", help="create it without opening it")
        parser.add_argument(
            "--idle-limit",
            type=int,
            default=120,
            metavar="SECONDS",
            help=f"pauses longer than this are not active time (1 to {IDLE_LIMIT_MAX_SECONDS})",
        )
        parser.add_argument(
            "--no-changing-previous",
            action="store_true",
            help="labelers may not change their previous answer",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["per_class"] is not None and options["keep_order"]:
            raise CommandError("--per-class and --keep-order: a sample is always shuffled")
        if options["per_class"] is not None and options["seed"] is None:
            # Drawn here so the sample and its order come from one recorded seed.
            options["seed"] = secrets.randbelow(SEED_LIMIT)
        image_ids, problems = self.select_images(options)
        labelers, labeler_problems = labelers_resolve(options["labelers"].split(","))
        problems += [f"--labelers: {problem}" for problem in labeler_problems]
        if options["seed"] is not None and options["keep_order"]:
            problems.append("--seed and --keep-order: a kept order is not shuffled")
        if not image_ids and not problems:
            problems.append("no images: the list names none")
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s); no round was created.")
        try:
            with transaction.atomic():
                round = round_create(
                    name=options["name"],
                    kind=RoundKind.EVALUATION,
                    image_ids=image_ids,
                    shuffle=not options["keep_order"],
                    seed=options["seed"],
                    labelers=labelers,
                    allow_change_previous=not options["no_changing_previous"],
                    idle_limit_seconds=options["idle_limit"],
                )
                if options["freeze_guide"]:
                    round_guide_freeze(round=round, by=None)
                if not options["draft"]:
                    round = round_open(round=round)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except GuideFrozen as error:
            raise CommandError(f"--freeze-guide: {error}; no round was created.") from None
        self.stdout.write(
            self.summary(
                round,
                image_count=len(image_ids),
                labelers=labelers,
                frozen=options["freeze_guide"],
            )
        )
        self.stdout.write(str(round.pk))

    def select_images(self, options: dict[str, Any]) -> tuple[list[int], list[str]]:
        """The round's image ids, and the problems found (each naming where)."""
        if options["per_class"] is not None:
            sources = [slug.strip() for slug in options["sources"].split(",") if slug.strip()]
            sample = evaluation_sample(
                per_class=options["per_class"], sources=sources, seed=options["seed"]
            )
            return sample.image_ids, sample.problems
        path = options["images"]
        try:
            return image_list_file_resolve(path)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"--images {path}: cannot read it ({error})") from None

    def summary(self, round: Round, *, image_count: int, labelers: list[User], frozen: bool) -> str:
        order = "in the list's order" if round.seed is None else f"shuffled with seed {round.seed}"
        names = ", ".join(user.username for user in labelers) or "none yet"
        guide = "; guide frozen" if frozen else ""
        return (
            f"Created {round.kind} round {round.pk} {round.name!r}: {image_count} images "
            f"{order}; labelers: {names}; {round.state}{guide}."
        )
