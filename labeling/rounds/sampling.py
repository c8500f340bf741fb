"""Drawing an evaluation round's images the way the study did: K images per class from each
source, only images whose final labels are known, that are not problematic and that no training
round has shown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from labeling.images.models import Image, ImageSource
from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import EVALUATION_SOURCES, RoundImage, RoundKind

DEFAULT_SOURCES = EVALUATION_SOURCES


@dataclass(frozen=True)
class Sample:
    image_ids: list[int]
    problems: list[str]


def evaluation_images_eligible(*, sources: Sequence[str]) -> dict[tuple[str, str], list[int]]:
    """Eligible image ids by (source slug, original label wnid), each list in a fixed order
    (by original name), so a seed draws the same sample on any database."""
    trained = RoundImage.objects.filter(round__kind=RoundKind.TRAINING).values("image_id")
    annotated = ImageLabel.objects.filter(state=LabelState.CORRECT).values("image_id")
    rows = (
        Image.objects.filter(source__slug__in=sources, problematic=False, pk__in=annotated)
        .exclude(pk__in=trained)
        .order_by("source__slug", "original_label_id", "original_name")
        .values_list("pk", "source__slug", "original_label__wnid")
    )
    eligible: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, source, wnid in rows.iterator(chunk_size=5000):
        eligible[(source, wnid)].append(pk)
    return eligible


def evaluation_sample(*, per_class: int, sources: Sequence[str], seed: int) -> Sample:
    """`per_class` images of every class from each source, drawn with `seed`.

    The classes are those with an eligible image in any of the sources; a class any source
    cannot supply `per_class` eligible images of is a problem (nothing is drawn then).
    """
    problems: list[str] = []
    if per_class < 1:
        problems.append("--per-class: at least 1 image per class")
    if len(set(sources)) != len(sources) or not sources:
        problems.append("--sources: name each source once")
    known = set(ImageSource.objects.filter(slug__in=sources).values_list("slug", flat=True))
    problems += [f"--sources: no image source {slug!r}" for slug in sources if slug not in known]
    if problems:
        return Sample(image_ids=[], problems=problems)
    eligible = evaluation_images_eligible(sources=sources)
    classes = sorted({wnid for _, wnid in eligible})
    short = [
        f"{source} has {len(eligible.get((source, wnid), []))} eligible image(s) of {wnid}, "
        f"fewer than {per_class}"
        for source in sources
        for wnid in classes
        if len(eligible.get((source, wnid), [])) < per_class
    ]
    if not classes:
        short.append(
            "no eligible images: none of these sources has an annotated, non-problematic image "
            "outside the training rounds"
        )
    if short:
        return Sample(image_ids=[], problems=short)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for source in sources:
        for wnid in classes:
            pool = eligible[(source, wnid)]
            picks = rng.choice(len(pool), size=per_class, replace=False)
            chosen += [pool[i] for i in sorted(picks.tolist())]
    return Sample(image_ids=chosen, problems=[])
