"""Create a training round by drawing images from WordNet subtrees, classes and sources."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from labeling.rounds.image_lists import labelers_resolve
from labeling.training.services import training_round_create


def _listed(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "Create a training round of --count images drawn with --seed (one is drawn and recorded "
        "if not given) from those originally labeled with a class at or below the --under nodes "
        "(e.g. n02092468 for every terrier) or one of the --classes, optionally only from some "
        "--sources (image source slugs such as imagenet-val). Images ever used in an evaluation "
        "round, and problematic images, are never drawn. The round opens at once unless --draft; "
        "labelers may not change their previous answer (its answer was revealed). Every problem "
        "is listed and nothing is written. The new round's id is the last line of the output."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help="the round's name")
        parser.add_argument("--under", default="", help="comma-separated wnids of tree nodes")
        parser.add_argument("--classes", default="", help="comma-separated wnids of classes")
        parser.add_argument("--sources", default="", help="comma-separated image source slugs")
        parser.add_argument("--count", type=int, required=True, help="how many images")
        parser.add_argument("--seed", type=int, help="draw and order the images with this seed")
        parser.add_argument(
            "--labelers", default="", help="comma-separated usernames of annotators to assign"
        )
        parser.add_argument("--draft", action="store_true", help="create it without opening it")

    def handle(self, *args: Any, **options: Any) -> None:
        under, classes = _listed(options["under"]), _listed(options["classes"])
        labelers, problems = labelers_resolve(_listed(options["labelers"]))
        problems = [f"--labelers: {problem}" for problem in problems]
        if not under and not classes:
            problems.append("--under or --classes: name the classes to train on")
        if options["seed"] is not None and options["seed"] < 0:
            problems.append("--seed: a non-negative integer")
        if problems:
            self._refuse(problems)
        try:
            round = training_round_create(
                name=options["name"],
                count=options["count"],
                under=under,
                classes=classes,
                sources=_listed(options["sources"]),
                seed=options["seed"],
                labelers=labelers,
                open=not options["draft"],
            )
        except ValidationError as error:
            self._refuse(error.messages)
        names = ", ".join(user.get_username() for user in labelers) or "none yet"
        self.stdout.write(
            f"Created training round {round.pk} {round.name!r}: {round.image_count} images drawn "
            f"with seed {round.seed}; labelers: {names}; {round.state}."
        )
        self.stdout.write(str(round.pk))

    def _refuse(self, problems: list[str]) -> NoReturn:
        for problem in problems:
            self.stderr.write(problem)
        raise CommandError(f"{len(problems)} problem(s); no round was created.")
