"""The two inputs of every scoring function: the images (`ImageSet`) and the participants with
their predictions (`Participants`). See the package docstring for the data model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import scipy.sparse as sp

NO_ANSWER = -1
"""The prediction of a participant who did not answer an image."""

HUMAN = "human"
MODEL = "model"
KINDS = (HUMAN, MODEL)

IMAGENET_VAL = "imagenet-val"
IMAGENETV2 = "imagenetv2-matched-frequency"
N_CLASSES = 1000

LabelSets: TypeAlias = sp.sparray | sp.spmatrix | np.ndarray | Sequence[Iterable[int]]
"""Per-image class sets: a boolean images x classes matrix (dense or any scipy sparse format), or
one iterable of class indices per image."""


def label_matrix(sets: LabelSets | None, *, n_images: int, n_classes: int) -> sp.csr_array:
    """Per-image class sets as a boolean CSR matrix with sorted, unique column indices."""
    if sets is None:
        matrix = sp.csr_array((n_images, n_classes), dtype=bool)
    elif sp.issparse(sets):
        matrix = sp.csr_array(sets).astype(bool)
    elif isinstance(sets, np.ndarray) and sets.ndim == 2:
        matrix = sp.csr_array(sets.astype(bool))
    else:
        rows = [np.fromiter(row, dtype=np.int64) for row in sets]
        if len(rows) != n_images:
            raise ValueError(f"expected {n_images} class sets, got {len(rows)}")
        lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= n_classes):
            raise ValueError(f"class indices must lie in [0, {n_classes})")
        matrix = sp.csr_array(
            (np.ones(indices.size, dtype=bool), indices, indptr), shape=(n_images, n_classes)
        )
    if matrix.shape != (n_images, n_classes):
        raise ValueError(f"expected a {n_images} x {n_classes} matrix, got {matrix.shape}")
    matrix.sum_duplicates()  # also sorts the indices of each row
    matrix.eliminate_zeros()
    return matrix


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ImageSet:
    """The images scored, in a fixed order (column j of every matrix is image j).

    `sources[j]` indexes `source_names`; `labels[j]` is the original ImageNet label's class index;
    `correct` and `unclear` are boolean images x classes CSR matrices (the multi-label sets);
    `problematic[j]` leaves image j out of every score. `ids` optionally names the images (for
    hard-image lists). Build one with `ImageSet.build`, which also accepts strings and lists.
    """

    sources: np.ndarray
    source_names: tuple[str, ...]
    labels: np.ndarray
    correct: sp.csr_array
    unclear: sp.csr_array
    problematic: np.ndarray
    ids: tuple[str, ...] | None = None
    _correct_lookup: _SetLookup = field(init=False, repr=False)
    _unclear_lookup: _SetLookup = field(init=False, repr=False)

    @classmethod
    def build(
        cls,
        *,
        sources: Sequence[str] | np.ndarray,
        labels: Sequence[int] | np.ndarray,
        correct: LabelSets,
        unclear: LabelSets | None = None,
        problematic: Sequence[bool] | np.ndarray | None = None,
        ids: Sequence[str] | None = None,
        n_classes: int = N_CLASSES,
        source_names: Sequence[str] | None = None,
    ) -> ImageSet:
        """An image set from per-image source names, labels and class sets.

        `source_names` fixes the order of the sources in every result (default: sorted, which
        puts `imagenet-val` before `imagenetv2-…`).
        """
        source_array = np.asarray(sources, dtype=object)
        names = tuple(source_names) if source_names is not None else tuple(sorted(set(sources)))
        code = {name: index for index, name in enumerate(names)}
        unknown = set(source_array.tolist()) - code.keys()
        if unknown:
            raise ValueError(f"sources not in source_names: {sorted(unknown)}")
        codes = np.fromiter(
            (code[s] for s in source_array), dtype=np.int16, count=len(source_array)
        )
        n_images = len(codes)
        return cls(
            sources=codes,
            source_names=names,
            labels=np.asarray(labels, dtype=np.int64),
            correct=label_matrix(correct, n_images=n_images, n_classes=n_classes),
            unclear=label_matrix(unclear, n_images=n_images, n_classes=n_classes),
            problematic=(
                np.zeros(n_images, dtype=bool)
                if problematic is None
                else np.asarray(problematic, dtype=bool)
            ),
            ids=tuple(ids) if ids is not None else None,
        )

    def __post_init__(self) -> None:
        n_images = len(self.sources)
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "sources", _readonly(np.asarray(self.sources, dtype=np.int16).copy()))
        set_(self, "labels", _readonly(np.asarray(self.labels, dtype=np.int64).copy()))
        set_(self, "problematic", _readonly(np.asarray(self.problematic, dtype=bool).copy()))
        set_(self, "source_names", tuple(self.source_names))
        if self.sources.ndim != 1:
            raise ValueError("sources must be one source index per image")
        for name, array in (("labels", self.labels), ("problematic", self.problematic)):
            if array.shape != (n_images,):
                raise ValueError(f"{name} must have one entry per image ({n_images})")
        if len(set(self.source_names)) != len(self.source_names):
            raise ValueError("source_names must be unique")
        if n_images and (self.sources.min() < 0 or self.sources.max() >= len(self.source_names)):
            raise ValueError("a source index is outside source_names")
        n_classes = self.correct.shape[1]
        set_(self, "correct", label_matrix(self.correct, n_images=n_images, n_classes=n_classes))
        set_(self, "unclear", label_matrix(self.unclear, n_images=n_images, n_classes=n_classes))
        if n_images and (self.labels.min() < 0 or self.labels.max() >= n_classes):
            raise ValueError(f"labels must be class indices in [0, {n_classes})")
        if self.ids is not None and len(self.ids) != n_images:
            raise ValueError(f"ids must name every image ({n_images})")
        set_(self, "_correct_lookup", _SetLookup(self.correct))
        set_(self, "_unclear_lookup", _SetLookup(self.unclear))

    @property
    def n_images(self) -> int:
        return len(self.sources)

    @property
    def n_classes(self) -> int:
        return int(self.correct.shape[1])

    def source_mask(self, name: str) -> np.ndarray:
        """Which images come from the source `name`."""
        try:
            return self.sources == self.source_names.index(name)
        except ValueError:
            raise ValueError(f"unknown source {name!r}; sources: {self.source_names}") from None

    def contains(self, which: str, classes: np.ndarray) -> np.ndarray:
        """Whether `classes[p, j]` is in image j's `which` set ("correct" or "unclear"), for a
        participants x images matrix of class indices (all valid: no NO_ANSWER)."""
        lookup = {"correct": self._correct_lookup, "unclear": self._unclear_lookup}[which]
        return lookup.contains(classes)


class _SetLookup:
    """Membership tests against per-image class sets, for whole prediction matrices.

    The first DEPTH classes of every image sit in DEPTH padded rows (-1 where the set is
    shorter), so a test is DEPTH vectorised comparisons: most images have one or two correct
    classes. Images with longer sets are looked up by binary search in sorted
    (image, class) keys.
    """

    DEPTH = 6

    def __init__(self, matrix: sp.csr_array) -> None:
        n_images, self.n_classes = matrix.shape
        sizes = np.diff(matrix.indptr)
        starts = matrix.indptr[:-1]
        depth = min(int(sizes.max(initial=0)), self.DEPTH)
        indices = matrix.indices.astype(np.int32)
        last = max(indices.size - 1, 0)
        self.padded = [
            np.where(sizes > k, indices[np.minimum(starts + k, last)], np.int32(-1))
            for k in range(depth)
        ]
        self.long = np.flatnonzero(sizes > depth)
        rows = np.repeat(np.arange(n_images, dtype=np.int64), sizes)
        self.keys = rows * self.n_classes + indices  # sorted: CSR rows hold sorted indices

    def contains(self, classes: np.ndarray) -> np.ndarray:
        found = np.zeros(classes.shape, dtype=bool)
        for column in self.padded:
            found |= classes == column
        if self.long.size:
            wanted = self.long * self.n_classes + classes[..., self.long].astype(np.int64)
            position = np.minimum(np.searchsorted(self.keys, wanted), self.keys.size - 1)
            found[..., self.long] = self.keys[position] == wanted
        return found


@dataclass(frozen=True, eq=False)
class Participants:
    """Who predicted what: row p of `predictions` holds participant p's class index for every
    image of the `ImageSet` (NO_ANSWER where they gave none).

    `kinds[p]` is "human" or "model". `active_seconds`, optional, is a float matrix of the same
    shape with the active time each participant spent on each image (NaN where unknown); only the
    humans' rows are read, by the fast-image rule.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    predictions: np.ndarray
    active_seconds: np.ndarray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "names", tuple(self.names))
        set_(self, "kinds", tuple(self.kinds))
        predictions = np.asarray(self.predictions)
        if predictions.ndim != 2 or predictions.shape[0] != len(self.names):
            raise ValueError("predictions must be a participants x images matrix")
        if not np.issubdtype(predictions.dtype, np.integer):
            raise ValueError("predictions must be integer class indices")
        if predictions.size and (predictions.min() < NO_ANSWER or predictions.max() >= 2**31):
            raise ValueError(f"predictions must be class indices or NO_ANSWER ({NO_ANSWER})")
        # int32 halves the memory traffic of grading against int64.
        set_(self, "predictions", _readonly(predictions.astype(np.int32, copy=True)))
        if len(self.kinds) != len(self.names):
            raise ValueError("every participant needs a kind")
        bad = sorted(set(self.kinds) - set(KINDS))
        if bad:
            raise ValueError(f"kinds must be 'human' or 'model', got {bad}")
        if len(set(self.names)) != len(self.names):
            raise ValueError("participant names must be unique")
        if self.active_seconds is not None:
            seconds = np.asarray(self.active_seconds, dtype=np.float64)
            if seconds.shape != predictions.shape:
                raise ValueError("active_seconds must have the shape of predictions")
            set_(self, "active_seconds", _readonly(seconds.copy()))

    @property
    def n_participants(self) -> int:
        return len(self.names)

    @property
    def n_images(self) -> int:
        return int(self.predictions.shape[1])

    def of_kind(self, kind: str) -> np.ndarray:
        """Row indices of the participants of one kind."""
        return np.flatnonzero(np.asarray(self.kinds) == kind)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"no participant named {name!r}") from None

    def human_seconds(self) -> np.ndarray | None:
        """The humans' active seconds (humans x images), or None when there are none."""
        humans = self.of_kind(HUMAN)
        if self.active_seconds is None or humans.size == 0:
            return None
        return self.active_seconds[humans]
