"""Clopper-Pearson intervals, McNemar's exact test and the class bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from labeling.scoring import (
    Grades,
    class_bootstrap,
    clopper_pearson,
    mcnemar,
    mcnemar_exact,
)


@pytest.mark.parametrize("confidence", [0.95, 0.99, 0.8])
def test_intervals_are_the_beta_quantiles(confidence):
    rng = np.random.default_rng(1)
    n = rng.integers(1, 3000, 200)
    k = rng.integers(1, n, endpoint=False)  # 0 < k < n
    low, high = clopper_pearson(k, n, confidence=confidence)
    alpha = 1 - confidence
    assert low == pytest.approx(stats.beta.ppf(alpha / 2, k, n - k + 1), rel=0, abs=1e-15)
    assert high == pytest.approx(stats.beta.ppf(1 - alpha / 2, k + 1, n - k), rel=0, abs=1e-15)
    assert np.all(low < k / n) and np.all(k / n < high)


def test_no_successes_or_all_successes_close_the_interval_at_zero_or_one():
    # Closed forms: k = 0 gives [0, 1 - (alpha/2)^(1/n)], k = n gives [(alpha/2)^(1/n), 1].
    low, high = clopper_pearson(np.array([0, 20]), np.array([20, 20]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert high[0] == pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-12)
    assert low[1] == pytest.approx(0.025 ** (1 / 20), abs=1e-12)
    assert high[0] == pytest.approx(0.16843347, abs=1e-8)  # the textbook 0 of 20


def test_hand_cases():
    low, high = clopper_pearson(5, 10)
    assert (float(low), float(high)) == pytest.approx((0.18708602, 0.81291398), abs=1e-8)
    low, high = clopper_pearson(1, 1)
    assert (float(low), float(high)) == pytest.approx((0.025, 1.0), abs=1e-15)  # Beta(1, 1)


def test_an_empty_count_has_the_whole_unit_interval():
    low, high = clopper_pearson(0, 0)
    assert (float(low), float(high)) == (0.0, 1.0)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        clopper_pearson(5, 4)
    with pytest.raises(ValueError):
        clopper_pearson(-1, 4)
    with pytest.raises(ValueError):
        clopper_pearson(1, 4, confidence=1.0)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (1, 8, 0.0390625),  # 2 * (1 + 9) / 2**9
        (8, 1, 0.0390625),
        (0, 5, 0.0625),  # 2 / 2**5
        (0, 1, 1.0),
        (3, 3, 1.0),
        (0, 0, 1.0),
        (2, 10, 2 * (1 + 12 + 66) / 4096),
    ],
)
def test_mcnemar_exact_p_values_by_hand(b, c, p):
    assert float(mcnemar_exact(b, c)) == pytest.approx(p, rel=1e-12)


def test_mcnemar_agrees_with_scipys_binomial_test():
    for b, c in [(10, 27), (38, 79), (120, 100), (0, 30)]:
        expected = stats.binomtest(min(b, c), b + c, 0.5).pvalue
        assert float(mcnemar_exact(b, c)) == pytest.approx(expected, rel=1e-9)


def test_mcnemar_counts_discordant_images_both_answered():
    # Image:      0  1  2  3  4  5  6  7  8  9
    first_hit = [1, 1, 1, 0, 0, 0, 1, 1, 0, 1]
    second_hit = [1, 0, 0, 1, 1, 1, 1, 1, 1, 0]
    first_counted = [1] * 10
    second_counted = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]  # image 9 unanswered by the second
    # (for the second, a miss where it did not answer: `hit` implies `counted`)
    grades = Grades(
        hit=np.array([first_hit, second_hit], dtype=bool),
        counted=np.array([first_counted, second_counted], dtype=bool),
    )
    result = mcnemar(grades, [0], [1])
    # Both answered images 0-8: only the first right on 1, 2; only the second on 3, 4, 5, 8.
    assert (int(result.b[0, 0]), int(result.c[0, 0]), int(result.n[0, 0])) == (2, 4, 9)
    assert float(result.p[0, 0]) == pytest.approx(float(mcnemar_exact(2, 4)))
    within = np.array([True] * 3 + [False] * 7)
    assert int(mcnemar(grades, [0], [1], mask=within).b[0, 0]) == 2
    assert int(mcnemar(grades, [0], [1], mask=within).c[0, 0]) == 0


def test_mcnemar_tests_every_row_against_every_column():
    rng = np.random.default_rng(3)
    hit = rng.random((6, 500)) < 0.8
    counted = rng.random((6, 500)) < 0.95
    grades = Grades(hit=hit & counted, counted=counted)
    result = mcnemar(grades, [0, 1], [2, 3, 4, 5])
    assert result.p.shape == (2, 4)
    for i, row in enumerate([0, 1]):
        for j, col in enumerate([2, 3, 4, 5]):
            both = counted[row] & counted[col]
            b = int(np.sum(both & grades.hit[row] & ~grades.hit[col]))
            c = int(np.sum(both & ~grades.hit[row] & grades.hit[col]))
            assert (result.b[i, j], result.c[i, j], result.n[i, j]) == (b, c, both.sum())


def bootstrap_data():
    """Two participants, 1000 classes with two images each; the first misses every image of
    classes 0-117 (the "dogs"), the second misses every fifth image."""
    labels = np.repeat(np.arange(1000), 2)
    hit = np.ones((2, labels.size), dtype=bool)
    hit[0, labels < 118] = False
    hit[1, ::5] = False
    return Grades(hit=hit, counted=np.ones_like(hit)), labels


def test_the_bootstrap_samples_the_subsets_class_count_and_measures_the_change():
    grades, labels = bootstrap_data()
    without_dogs = np.arange(1000) >= 118
    result = class_bootstrap(grades, labels, without_dogs, names=("a", "b"), trials=200, seed=1)
    assert (result.classes_sampled, result.classes_total, result.trials) == (882, 1000, 200)
    assert result.changes.shape == (200, 2)
    # The first goes from 882/1000 right to all right: +0.118, more than any random 882 classes.
    assert result.observed[0] == pytest.approx(1 - 0.882)
    assert result.changes[:, 0].max() < result.observed[0]
    assert result.at_least[0] == 0.0
    # Random samples of 882 classes hold 882 * 0.882 dog-free classes on average.
    assert result.changes[:, 0].mean() == pytest.approx(0, abs=0.005)
    assert result.mean_observed == pytest.approx(result.observed.mean())
    summary = result.summary()
    assert summary["participants"]["a"]["at_least_observed"] == 0.0
    assert set(summary["mean"]) == {"observed", "mean", "p2_5", "p97_5", "max", "at_least_observed"}


def test_the_bootstrap_is_deterministic_under_a_seed():
    grades, labels = bootstrap_data()
    objects = np.arange(1000) >= 410
    first = class_bootstrap(grades, labels, objects, names=("a", "b"), seed=7)
    again = class_bootstrap(grades, labels, objects, names=("a", "b"), seed=7)
    other = class_bootstrap(grades, labels, objects, names=("a", "b"), seed=8)
    assert first.trials == 1000
    assert np.array_equal(first.changes, again.changes)
    assert not np.array_equal(first.changes, other.changes)


def test_a_subset_of_every_class_changes_nothing():
    grades, labels = bootstrap_data()
    result = class_bootstrap(grades, labels, np.ones(1000, bool), names=("a", "b"), trials=20)
    assert np.all(result.changes == 0) and np.all(result.observed == 0)
    assert np.all(result.at_least == 1.0)


def test_the_bootstrap_matches_a_direct_computation_of_each_trial():
    grades, labels = bootstrap_data()
    subset = np.zeros(1000, bool)
    subset[::3] = True  # fewer than half the classes: sums over the sample itself
    result = class_bootstrap(grades, labels, subset, names=("a", "b"), trials=5, seed=2)
    draws = np.random.default_rng(2).random((5, 1000))
    for trial in range(5):
        sample = np.argsort(draws[trial])[: subset.sum()]
        chosen = np.isin(labels, sample)
        for p in range(2):
            expected = grades.hit[p, chosen].mean() - grades.hit[p].mean()
            assert result.changes[trial, p] == pytest.approx(expected, abs=1e-12)
