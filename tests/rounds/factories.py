"""Rounds for tests: made through the services, like an admin makes them."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User

from labeling.images.models import Image
from labeling.rounds.models import Round, RoundKind
from labeling.rounds.services import round_create, round_open


def make_round(
    images: Iterable[Image],
    labelers: Iterable[User] = (),
    *,
    name: str = "Evaluation 1",
    kind: str = RoundKind.EVALUATION,
    open: bool = True,
    shuffle: bool = False,
    seed: int | None = None,
    **settings,
) -> Round:
    """A round of these images in the given order (unless `shuffle`), open unless told not."""
    round = round_create(
        name=name,
        kind=kind,
        image_ids=[image.pk for image in images],
        shuffle=shuffle,
        seed=seed,
        labelers=list(labelers),
        **settings,
    )
    return round_open(round=round) if open else round
