"""Scores per participant, source and subset, the results JSON, and everything else a round's
report needs (paired tests, bootstraps, the unclear sensitivity, hard images), computed once from
one `Evaluation`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from labeling.scoring.data import HUMAN, IMAGENET_VAL, IMAGENETV2, MODEL, ImageSet, Participants
from labeling.scoring.grading import (
    FAST_SECONDS,
    UNCLEAR_POLICIES,
    Grades,
    class_subsets,
    fast_images,
    grade,
    grade_top1,
    source_subset_masks,
    subset_masks,
    tally,
)
from labeling.scoring.stats import (
    BOOTSTRAP_TRIALS,
    CONFIDENCE,
    Bootstrap,
    McNemar,
    class_bootstrap,
    clopper_pearson,
    mcnemar,
)


@dataclass(frozen=True, eq=False)
class Scores:
    """Counts and intervals, each a participants x sources x subsets array.

    `correct`/`total` are multi-label counts (under the `unclear` policy), `ci_low`/`ci_high` their
    exact intervals at `confidence`, `top1_correct`/`top1_total` the top-1 counts against the
    original label on the same images.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    sources: tuple[str, ...]
    subsets: tuple[str, ...]
    correct: np.ndarray
    total: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    top1_correct: np.ndarray
    top1_total: np.ndarray
    confidence: float
    unclear: str

    @property
    def accuracy(self) -> np.ndarray:
        """Multi-label accuracy as a fraction; NaN where nothing was scored."""
        return _ratio(self.correct, self.total)

    @property
    def top1_accuracy(self) -> np.ndarray:
        return _ratio(self.top1_correct, self.top1_total)

    def at(self, source: str, subset: str = "all") -> tuple[int, int]:
        """The (source, subset) position in the arrays."""
        if source not in self.sources:
            raise ValueError(f"no scores for source {source!r}; sources: {self.sources}")
        if subset not in self.subsets:
            raise ValueError(f"no scores for subset {subset!r}; subsets: {self.subsets}")
        return self.sources.index(source), self.subsets.index(subset)

    def gap(
        self, original: str = IMAGENET_VAL, shifted: str = IMAGENETV2, subset: str = "all"
    ) -> np.ndarray:
        """Per participant, accuracy on `original` minus accuracy on `shifted` (fractions)."""
        a, b = self.at(original, subset), self.at(shifted, subset)
        return self.accuracy[:, a[0], a[1]] - self.accuracy[:, b[0], b[1]]

    def cell(self, participant: int, source: int, subset: int) -> dict[str, Any]:
        """One score in the results JSON shape (accuracy null when nothing was scored)."""
        total = int(self.total[participant, source, subset])
        return {
            "correct": int(self.correct[participant, source, subset]),
            "total": total,
            "accuracy": float(self.accuracy[participant, source, subset]) if total else None,
            "ci_low": float(self.ci_low[participant, source, subset]),
            "ci_high": float(self.ci_high[participant, source, subset]),
        }

    def to_json(self) -> dict[str, Any]:
        """`{"participants": [{"name", "kind", "scores": {SOURCE: {SUBSET: {"correct", "total",
        "accuracy", "ci_low", "ci_high"}}}}]}`; the caller adds "round"."""
        return {
            "participants": [
                {
                    "name": name,
                    "kind": kind,
                    "scores": {
                        source: {
                            subset: self.cell(p, s, u) for u, subset in enumerate(self.subsets)
                        }
                        for s, source in enumerate(self.sources)
                    },
                }
                for p, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True))
            ]
        }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


@dataclass(frozen=True, eq=False)
class HardImages:
    """Image indices missed by every human, by every model, and by both (among the participants
    who answered them; problematic images are never hard)."""

    humans: np.ndarray
    models: np.ndarray
    both: np.ndarray

    def to_json(self, images: ImageSet) -> dict[str, Any]:
        """Counts and the images, named by `images.ids` when it has them, else by index."""

        def named(indices: np.ndarray) -> list[str] | list[int]:
            if images.ids is None:
                return [int(i) for i in indices]
            return [images.ids[i] for i in indices]

        return {
            key: {"count": int(indices.size), "images": named(indices)}
            for key, indices in (
                ("humans", self.humans),
                ("models", self.models),
                ("both", self.both),
            )
        }


def hard_images(grades: Grades, kinds: tuple[str, ...] | list[str]) -> HardImages:
    """Images every participant of a kind who answered them got wrong (at least one answered)."""
    kinds_array = np.asarray(kinds)

    def missed_by_all(kind: str) -> np.ndarray:
        rows = kinds_array == kind
        counted = grades.counted[rows]
        return counted.any(axis=0) & ~(grades.hit[rows] & counted).any(axis=0)

    humans, models = missed_by_all(HUMAN), missed_by_all(MODEL)
    return HardImages(
        humans=np.flatnonzero(humans),
        models=np.flatnonzero(models),
        both=np.flatnonzero(humans & models),
    )


class Evaluation:
    """One scoring of participants on an image set, with its options; grades and subsets are
    computed once and shared by every figure asked of it.

    `dog_classes` / `object_classes` are the class indices of the taxonomy's dog and object groups
    (the `without_dogs` / `objects_only` subsets are left out without them); `fast_threshold` is
    the fast-image rule's median active seconds (at most; the `fast` subset needs the humans'
    `active_seconds`); `unclear` is how unclear predictions count (UNCLEAR_POLICIES).
    """

    def __init__(
        self,
        images: ImageSet,
        participants: Participants,
        *,
        dog_classes: Collection[int] | np.ndarray | None = None,
        object_classes: Collection[int] | np.ndarray | None = None,
        fast_threshold: float = FAST_SECONDS,
        unclear: str = "wrong",
        confidence: float = CONFIDENCE,
    ) -> None:
        if participants.n_images != images.n_images:
            raise ValueError(
                f"predictions cover {participants.n_images} images, "
                f"the image set has {images.n_images}"
            )
        self.images = images
        self.participants = participants
        self.dog_classes = dog_classes
        self.object_classes = object_classes
        self.fast_threshold = fast_threshold
        self.unclear = unclear
        self.confidence = confidence

    @cached_property
    def grades(self) -> Grades:
        return grade(self.images, self.participants, unclear=self.unclear)

    @cached_property
    def top1_grades(self) -> Grades:
        return grade_top1(self.images, self.participants)

    @cached_property
    def fast(self) -> np.ndarray | None:
        """The fast images (None without the humans' active seconds)."""
        seconds = self.participants.human_seconds()
        return None if seconds is None else fast_images(seconds, threshold=self.fast_threshold)

    @cached_property
    def subset_classes(self) -> dict[str, np.ndarray]:
        return class_subsets(
            self.images.n_classes, dog_classes=self.dog_classes, object_classes=self.object_classes
        )

    @cached_property
    def subsets(self) -> dict[str, np.ndarray]:
        """Image masks per subset name."""
        return subset_masks(
            self.images,
            dog_classes=self.dog_classes,
            object_classes=self.object_classes,
            fast=self.fast,
        )

    def mask(self, source: str | None = None, subset: str = "all") -> np.ndarray:
        """Images of one source (all sources when None) within one subset."""
        if subset not in self.subsets:
            raise ValueError(f"unknown subset {subset!r}; subsets: {tuple(self.subsets)}")
        mask = self.subsets[subset]
        return mask if source is None else mask & self.images.source_mask(source)

    @cached_property
    def scores(self) -> Scores:
        return self._scores(self.grades, self.unclear)

    def _scores(self, grades: Grades, unclear: str) -> Scores:
        sources, subsets, masks = source_subset_masks(self.images, self.subsets)
        shape = (self.participants.n_participants, len(sources), len(subsets))
        flat = masks.reshape(-1, self.images.n_images)
        correct, total = (counts.reshape(shape) for counts in tally(grades, flat))
        top1_correct, top1_total = (
            counts.reshape(shape) for counts in tally(self.top1_grades, flat)
        )
        low, high = clopper_pearson(correct, total, confidence=self.confidence)
        return Scores(
            names=self.participants.names,
            kinds=self.participants.kinds,
            sources=sources,
            subsets=subsets,
            correct=correct,
            total=total,
            ci_low=low,
            ci_high=high,
            top1_correct=top1_correct,
            top1_total=top1_total,
            confidence=self.confidence,
            unclear=unclear,
        )

    def results(self) -> dict[str, Any]:
        """The results JSON of issue 11 (without "round", which the caller adds)."""
        return self.scores.to_json()

    def sensitivity(self) -> dict[str, Scores]:
        """The same scores with unclear predictions counted wrong, right, and left out."""
        return {
            policy: (
                self.scores
                if policy == self.unclear
                else self._scores(grade(self.images, self.participants, unclear=policy), policy)
            )
            for policy in UNCLEAR_POLICIES
        }

    def mcnemar(
        self, first: str, second: str, *, source: str | None = None, subset: str = "all"
    ) -> McNemar:
        """McNemar's exact test between two participants (by name): 1 x 1 arrays."""
        rows = [self.participants.index(first)]
        cols = [self.participants.index(second)]
        return mcnemar(self.grades, rows, cols, mask=self.mask(source, subset))

    def humans_vs_models(self, *, source: str | None = None, subset: str = "all") -> McNemar:
        """McNemar's exact test between every human (rows) and every model (columns)."""
        return mcnemar(
            self.grades,
            self.participants.of_kind(HUMAN),
            self.participants.of_kind(MODEL),
            mask=self.mask(source, subset),
        )

    def bootstrap(
        self,
        subset: str,
        *,
        source: str | None = None,
        kind: str | None = HUMAN,
        trials: int = BOOTSTRAP_TRIALS,
        seed: int = 0,
    ) -> Bootstrap:
        """The class bootstrap of the change from all images to a class subset (`without_dogs`
        or `objects_only`) for the participants of one kind (all when None)."""
        if subset not in self.subset_classes or subset == "all":
            raise ValueError(
                f"the class bootstrap needs a class subset: one of "
                f"{tuple(name for name in self.subset_classes if name != 'all')}"
            )
        rows = (
            np.arange(self.participants.n_participants)
            if kind is None
            else self.participants.of_kind(kind)
        )
        within = np.ones(self.images.n_images, bool) if source is None else self.mask(source)
        return class_bootstrap(
            self.grades.rows(rows),
            self.images.labels,
            self.subset_classes[subset],
            names=tuple(self.participants.names[i] for i in rows),
            mask=within,
            trials=trials,
            seed=seed,
        )

    def hard_images(self) -> HardImages:
        return hard_images(self.grades, self.participants.kinds)
