"""Grading predictions and choosing images: which predictions are right, which images form each
subset, and the counts per participant."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from labeling.scoring.data import NO_ANSWER, ImageSet, Participants

UNCLEAR_POLICIES = ("wrong", "right", "excluded")
"""How a prediction that hits an image's *unclear* set counts: wrong (the study's rule), right,
or excluded (left out of that participant's count for that image)."""

SUBSETS = ("all", "without_dogs", "objects_only", "fast")
FAST_SECONDS = 60.0


@dataclass(frozen=True, eq=False)
class Grades:
    """Participants x images: `hit` where the prediction is right, `counted` where it is scored
    at all (the participant answered, the image is not problematic, and, with unclear predictions
    excluded, the prediction is not an unclear label). `hit` implies `counted`."""

    hit: np.ndarray
    counted: np.ndarray

    def rows(self, rows: np.ndarray | list[int]) -> Grades:
        return Grades(hit=self.hit[rows], counted=self.counted[rows])


def _checked_predictions(images: ImageSet, participants: Participants) -> np.ndarray:
    predictions = participants.predictions
    if predictions.shape[1] != images.n_images:
        raise ValueError(
            f"predictions cover {predictions.shape[1]} images, the image set has {images.n_images}"
        )
    if predictions.size and (
        predictions.min() < NO_ANSWER or predictions.max() >= images.n_classes
    ):
        raise ValueError(
            f"predictions must be class indices in [0, {images.n_classes}) "
            f"or NO_ANSWER ({NO_ANSWER})"
        )
    return predictions


def grade(images: ImageSet, participants: Participants, *, unclear: str = "wrong") -> Grades:
    """Multi-label grading: a prediction is right iff its class is in the image's correct set.

    Problematic images and unanswered images are not counted. `unclear` says how a prediction in
    the image's unclear set counts (see UNCLEAR_POLICIES; the study counts it wrong).
    """
    if unclear not in UNCLEAR_POLICIES:
        raise ValueError(f"unclear must be one of {UNCLEAR_POLICIES}, got {unclear!r}")
    predictions = _checked_predictions(images, participants)
    answered = predictions != NO_ANSWER
    # NO_ANSWER would otherwise read as the previous image's last class; look up class 0 instead
    # and let `answered` drop it.
    classes = np.where(answered, predictions, 0)
    counted = answered & ~images.problematic
    hit = images.contains("correct", classes) & counted
    if unclear != "wrong":
        in_unclear = images.contains("unclear", classes) & counted & ~hit
        if unclear == "right":
            hit |= in_unclear
        else:
            counted &= ~in_unclear
    return Grades(hit=hit, counted=counted)


def grade_top1(images: ImageSet, participants: Participants) -> Grades:
    """Top-1 grading: right iff the prediction is the image's original label."""
    predictions = _checked_predictions(images, participants)
    counted = (predictions != NO_ANSWER) & ~images.problematic
    return Grades(hit=(predictions == images.labels) & counted, counted=counted)


def median_seconds(seconds: np.ndarray) -> np.ndarray:
    """Per image, the median over the rows' times, ignoring NaN (NaN where no row has a time)."""
    seconds = np.asarray(seconds, dtype=np.float64)
    if seconds.ndim != 2:
        raise ValueError("seconds must be a rows x images matrix")
    ordered = np.sort(seconds, axis=0)  # NaN sorts last
    known = np.count_nonzero(~np.isnan(seconds), axis=0)
    low = np.maximum((known - 1) // 2, 0)
    high = np.maximum(known // 2, 0)
    median = (
        np.take_along_axis(ordered, low[None], axis=0)[0]
        + np.take_along_axis(ordered, high[None], axis=0)[0]
    ) / 2
    median[known == 0] = np.nan
    return median


def fast_images(seconds: np.ndarray, *, threshold: float = FAST_SECONDS) -> np.ndarray:
    """The study's fast images: the median of the humans' active seconds is AT MOST `threshold`.

    The paper says "at most 60 seconds"; the authors' notebook tested `< 60` on whole seconds.
    This follows the paper, so an image whose median is exactly 60 s is fast. Images no human
    has a time for are not fast.
    """
    median = median_seconds(seconds)
    with np.errstate(invalid="ignore"):
        return median <= threshold


def class_subsets(
    n_classes: int,
    *,
    dog_classes: Collection[int] | np.ndarray | None = None,
    object_classes: Collection[int] | np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The class-defined subsets as boolean masks over classes: `all`, and `without_dogs` /
    `objects_only` when the dog / object class groups are given."""
    subsets = {"all": np.ones(n_classes, dtype=bool)}
    if dog_classes is not None:
        subsets["without_dogs"] = ~_class_mask(dog_classes, n_classes)
    if object_classes is not None:
        subsets["objects_only"] = _class_mask(object_classes, n_classes)
    return subsets


def _class_mask(classes: Collection[int] | np.ndarray, n_classes: int) -> np.ndarray:
    indices = (
        np.fromiter(classes, dtype=np.int64) if not isinstance(classes, np.ndarray) else classes
    )
    indices = np.asarray(indices, dtype=np.int64).ravel()
    if indices.size and (indices.min() < 0 or indices.max() >= n_classes):
        raise ValueError(f"class groups must hold class indices in [0, {n_classes})")
    mask = np.zeros(n_classes, dtype=bool)
    mask[indices] = True
    return mask


def subset_masks(
    images: ImageSet,
    *,
    dog_classes: Collection[int] | np.ndarray | None = None,
    object_classes: Collection[int] | np.ndarray | None = None,
    fast: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Image masks of the subsets, in SUBSETS order: by the image's original label (`all`,
    `without_dogs` without the dog classes, `objects_only` within the object classes) and
    `fast` when a fast-image mask (see `fast_images`) is given. Subsets whose inputs are missing
    are left out."""
    masks = {
        name: classes[images.labels]
        for name, classes in class_subsets(
            images.n_classes, dog_classes=dog_classes, object_classes=object_classes
        ).items()
    }
    if fast is not None:
        fast = np.asarray(fast, dtype=bool)
        if fast.shape != (images.n_images,):
            raise ValueError("the fast mask needs one entry per image")
        masks["fast"] = fast
    return masks


def _packed(matrix: np.ndarray) -> np.ndarray:
    """Boolean rows packed 64 images to a word."""
    packed = np.packbits(np.asarray(matrix, dtype=bool), axis=-1)
    padding = (-packed.shape[-1]) % 8
    if padding:
        packed = np.pad(packed, ((0, 0), (0, padding)))
    return np.ascontiguousarray(packed).view(np.uint64)


def pair_counts(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For two boolean matrices over the same images (R x N and K x N), how many images each
    row and column share: an R x K int64 matrix.

    Counted as population counts of AND-ed bit-packed rows: exact, single-threaded, and several
    times faster here than a float BLAS product, whose threads stall on a busy machine.
    """
    a, b = _packed(np.atleast_2d(rows)), _packed(np.atleast_2d(cols))
    counts = np.empty((a.shape[0], b.shape[0]), dtype=np.int64)
    step = max(1, (1 << 20) // max(1, b.size))  # rows per chunk: temporaries of about 8 MB
    for start in range(0, a.shape[0], step):
        chunk = a[start : start + step, None, :] & b[None, :, :]
        counts[start : start + step] = np.bitwise_count(chunk).sum(axis=-1, dtype=np.int64)
    return counts


def tally(grades: Grades, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right and counted predictions per participant within each image mask.

    `masks` is a K x images boolean matrix; returns two participants x K int64 matrices.
    """
    masks = np.atleast_2d(np.asarray(masks, dtype=bool))
    return pair_counts(grades.hit, masks), pair_counts(grades.counted, masks)


def source_subset_masks(
    images: ImageSet, subsets: Mapping[str, np.ndarray]
) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """Every (source, subset) combination as one mask: returns (sources, subset names, a
    sources x subsets x images boolean array)."""
    sources = images.source_names
    names = tuple(name for name in SUBSETS if name in subsets) + tuple(
        name for name in subsets if name not in SUBSETS
    )
    by_source = np.stack([images.source_mask(source) for source in sources])
    by_subset = np.stack([np.asarray(subsets[name], dtype=bool) for name in names])
    return sources, names, by_source[:, None, :] & by_subset[None, :, :]
