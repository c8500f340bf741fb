"""Exact intervals and tests: Clopper-Pearson intervals, McNemar's exact test and the study's
class bootstrap for subset changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import stats

from labeling.scoring.grading import Grades, pair_counts

CONFIDENCE = 0.95
BOOTSTRAP_TRIALS = 1000


def clopper_pearson(
    correct: np.ndarray | int, total: np.ndarray | int, *, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval for k successes in n trials, elementwise.

    low = Beta(alpha/2; k, n-k+1) quantile and high = Beta(1-alpha/2; k+1, n-k) quantile, with
    alpha = 1 - confidence; low is 0 when k = 0 and high is 1 when k = n. With n = 0 the interval is
    [0, 1]. Returns two float arrays of the broadcast shape (0-d for scalars).
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    k, n = np.broadcast_arrays(
        np.asarray(correct, dtype=np.int64), np.asarray(total, dtype=np.int64)
    )
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= correct <= total")
    # Rounded so that 0.95 gives the 0.025 and 0.975 quantiles exactly (1 - 0.95 is 0.05 + 4e-17).
    alpha = round(1 - confidence, 15)
    low = np.zeros(k.shape)
    high = np.ones(k.shape)
    has_low, has_high = k > 0, k < n
    low[has_low] = stats.beta.ppf(alpha / 2, k[has_low], n[has_low] - k[has_low] + 1)
    high[has_high] = stats.beta.ppf(1 - alpha / 2, k[has_high] + 1, n[has_high] - k[has_high])
    return low, high


def mcnemar_exact(b: np.ndarray | int, c: np.ndarray | int) -> np.ndarray:
    """Two-sided exact McNemar p-value from the discordant counts, elementwise.

    Under the null hypothesis each of the b + c discordant images is equally likely to favour
    either participant: p = min(1, 2 · P[Binomial(b + c, 1/2) <= min(b, c)]); 1 when b + c = 0.
    """
    b, c = np.broadcast_arrays(np.asarray(b, dtype=np.int64), np.asarray(c, dtype=np.int64))
    if np.any(b < 0) or np.any(c < 0):
        raise ValueError("discordant counts must be >= 0")
    n = b + c
    p = np.ones(n.shape)
    some = n > 0
    p[some] = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(b, c)[some], n[some], 0.5))
    return p


@dataclass(frozen=True, eq=False)
class McNemar:
    """Paired comparisons of row participants against column participants on the images both
    answered: `b[i, j]` images only row i got right, `c[i, j]` only column j, `p[i, j]` the exact
    two-sided p-value, `n[i, j]` the images both answered."""

    b: np.ndarray
    c: np.ndarray
    n: np.ndarray
    p: np.ndarray


def mcnemar(
    grades: Grades,
    rows: np.ndarray | list[int],
    cols: np.ndarray | list[int],
    *,
    mask: np.ndarray | None = None,
) -> McNemar:
    """McNemar's exact test between every participant in `rows` and every one in `cols`, on the
    images both were scored on (within `mask`, e.g. one source, when given)."""
    a, z = grades.rows(rows), grades.rows(cols)
    within = np.ones(grades.hit.shape[1], dtype=bool) if mask is None else np.asarray(mask, bool)
    # One product gives, for each pair, the images both answered and each side's right answers
    # among them, and the images both got right.
    counts = pair_counts(
        np.concatenate([a.counted & within, a.hit & within]),
        np.concatenate([z.counted, z.hit]),
    )
    r, k = len(a.hit), len(z.hit)
    both, z_right = counts[:r, :k], counts[:r, k:]
    a_right, both_right = counts[r:, :k], counts[r:, k:]
    b, c = a_right - both_right, z_right - both_right
    return McNemar(b=b, c=c, n=both, p=mcnemar_exact(b, c))


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """The class bootstrap of one subset change, for some participants.

    `observed[p]` is participant p's accuracy on the subset minus on all images; `changes[t, p]`
    the same for trial t's random class sample of the subset's size; `at_least[p]` the fraction
    of trials whose change is at least the observed one. The `mean_*` fields do the same for the
    participants' mean change (the study reports the humans' mean).
    """

    names: tuple[str, ...]
    classes_sampled: int
    classes_total: int
    trials: int
    seed: int
    observed: np.ndarray
    changes: np.ndarray
    at_least: np.ndarray
    mean_observed: float
    mean_changes: np.ndarray
    mean_at_least: float

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: per participant the observed change, the trials' mean, 2.5 %, 97.5 %
        and maximum, and the fraction of trials at least as large."""

        def describe(observed: float, changes: np.ndarray, at_least: float) -> dict[str, float]:
            return {
                "observed": float(observed),
                "mean": float(np.nanmean(changes)),
                "p2_5": float(np.nanpercentile(changes, 2.5)),
                "p97_5": float(np.nanpercentile(changes, 97.5)),
                "max": float(np.nanmax(changes)),
                "at_least_observed": float(at_least),
            }

        return {
            "classes_sampled": self.classes_sampled,
            "classes_total": self.classes_total,
            "trials": self.trials,
            "seed": self.seed,
            "participants": {
                name: describe(self.observed[i], self.changes[:, i], self.at_least[i])
                for i, name in enumerate(self.names)
            },
            "mean": describe(self.mean_observed, self.mean_changes, self.mean_at_least),
        }


def class_bootstrap(
    grades: Grades,
    labels: np.ndarray,
    subset_classes: np.ndarray,
    *,
    names: tuple[str, ...],
    mask: np.ndarray | None = None,
    trials: int = BOOTSTRAP_TRIALS,
    seed: int = 0,
) -> Bootstrap:
    """The study's bootstrap for a class-defined subset: is its accuracy change larger than
    dropping the same number of random classes would give?

    `subset_classes` is a boolean mask over all classes (e.g. 882 non-dog classes of 1000). Each
    trial samples that many classes without replacement from all classes and computes accuracy on
    the images (within `mask`, e.g. one source) whose original label is in the sample; the change
    is that accuracy minus the accuracy on all images. Seeded: the same seed gives the same trials.
    `grades` rows are the participants named by `names`.
    """
    if trials < 1:
        raise ValueError("trials must be >= 1")
    subset_classes = np.asarray(subset_classes, dtype=bool)
    n_classes = subset_classes.size
    k = int(subset_classes.sum())
    if not 0 < k <= n_classes:
        raise ValueError("the subset must hold at least one class")
    if len(names) != grades.hit.shape[0]:
        raise ValueError("names must name every row of grades")
    within = np.ones(labels.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    # The images in label order: a class's images are one run, its counts a cumulative-sum
    # difference.
    chosen = np.flatnonzero(within)
    ordered = chosen[np.argsort(labels[chosen], kind="stable")]
    edges = np.searchsorted(labels[ordered], np.arange(n_classes + 1))
    n_rows = grades.hit.shape[0]

    def per_class(matrix: np.ndarray) -> np.ndarray:
        """Participants x classes counts of the matrix's true cells, by original label."""
        running = np.zeros((n_rows, ordered.size + 1), dtype=np.int64)
        np.cumsum(matrix[:, ordered], axis=1, out=running[:, 1:])
        return (running[:, edges[1:]] - running[:, edges[:-1]]).astype(np.float64)

    right, counted = per_class(grades.hit), per_class(grades.counted)

    def accuracy(correct: np.ndarray, total: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return correct / total

    baseline = accuracy(right.sum(axis=1), counted.sum(axis=1))
    observed = accuracy(right @ subset_classes, counted @ subset_classes) - baseline
    # Each trial's sample: the k classes with the smallest of n uniform draws. The sums over a
    # sample are sparse products over whichever side is smaller, the sample or the classes
    # left out (118 of 1000 for without_dogs): exact, and no BLAS threads.
    draws = np.random.default_rng(seed).random((trials, n_classes))
    order = np.argpartition(draws, k - 1, axis=1)
    complement = k > n_classes - k
    picked = order[:, k:] if complement else order[:, :k]
    width = picked.shape[1]
    selection = sp.csr_array(
        (np.ones(picked.size), picked.ravel(), np.arange(trials + 1) * width),
        shape=(trials, n_classes),
    )
    both = np.concatenate([right, counted])  # one product for the two counts
    sums = selection @ both.T  # trials x (2 x participants)
    if complement:
        sums = both.sum(axis=1) - sums
    sample_right, sample_counted = sums[:, :n_rows], sums[:, n_rows:]
    changes = accuracy(sample_right, sample_counted) - baseline[None, :]  # trials x participants
    # The tolerance keeps a trial that equals the observed change (summed in another order) in.
    with np.errstate(invalid="ignore"):
        at_least = np.mean(changes >= observed[None, :] - 1e-12, axis=0)
        mean_changes = np.nanmean(changes, axis=1) if changes.shape[1] else np.zeros(trials)
        mean_observed = float(np.nanmean(observed)) if observed.size else 0.0
        mean_at_least = float(np.mean(mean_changes >= mean_observed - 1e-12))
    return Bootstrap(
        names=tuple(names),
        classes_sampled=k,
        classes_total=n_classes,
        trials=trials,
        seed=seed,
        observed=observed,
        changes=changes,
        at_least=at_least,
        mean_observed=mean_observed,
        mean_changes=mean_changes,
        mean_at_least=mean_at_least,
    )
