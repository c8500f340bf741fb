"""Grading and subsets on small constructed data whose counts are known by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from labeling.scoring import (
    IMAGENET_VAL,
    IMAGENETV2,
    NO_ANSWER,
    Evaluation,
    ImageSet,
    Participants,
    fast_images,
    grade,
    grade_top1,
    median_seconds,
    subset_masks,
)

DOG, OTHER_DOG, CAT, CUP, MUG, BOWL = 151, 152, 281, 968, 504, 659
DOGS = range(151, 269)
OBJECTS = range(409, 999)


def six_images(**overrides) -> ImageSet:
    """Four val and two V2 images:
    0 val dog       correct {DOG}
    1 val cup       correct {CUP, MUG}   unclear {BOWL}
    2 val cat       correct {CAT}
    3 val mug       problematic
    4 V2  cup       correct {CUP}
    5 V2  dog       correct {DOG, OTHER_DOG}
    """
    values: dict[str, Any] = {
        "sources": [IMAGENET_VAL] * 4 + [IMAGENETV2] * 2,
        "labels": [DOG, CUP, CAT, MUG, CUP, DOG],
        "correct": [{DOG}, {CUP, MUG}, {CAT}, {MUG}, {CUP}, {DOG, OTHER_DOG}],
        "unclear": [set(), {BOWL}, set(), set(), set(), set()],
        "problematic": [False, False, False, True, False, False],
    }
    values.update(overrides)
    return ImageSet.build(**values)


def people(*rows: list[int], kinds: tuple[str, ...] | None = None, seconds=None) -> Participants:
    names = tuple(f"p{i}" for i in range(len(rows)))
    return Participants(
        names=names,
        kinds=kinds or ("human",) * len(rows),
        predictions=np.array(rows),
        active_seconds=seconds,
    )


def test_a_prediction_is_right_when_its_class_is_any_correct_label():
    grades = grade(six_images(), people([DOG, MUG, CUP, MUG, CUP, OTHER_DOG]))
    assert grades.hit[0].tolist() == [True, True, False, False, True, True]


def test_problematic_and_unanswered_images_are_not_counted():
    grades = grade(six_images(), people([NO_ANSWER, MUG, CAT, MUG, CUP, DOG]))
    assert grades.counted[0].tolist() == [False, True, True, False, True, True]
    assert not (grades.hit & ~grades.counted).any()


def test_unclear_counts_wrong_by_default_right_or_excluded_on_request():
    predictions = people([DOG, BOWL, CAT, MUG, CUP, DOG])
    images = six_images()
    wrong = grade(images, predictions)
    right = grade(images, predictions, unclear="right")
    excluded = grade(images, predictions, unclear="excluded")
    assert (wrong.hit[0, 1], wrong.counted[0, 1]) == (False, True)
    assert (right.hit[0, 1], right.counted[0, 1]) == (True, True)
    assert (excluded.hit[0, 1], excluded.counted[0, 1]) == (False, False)
    assert wrong.hit.sum() == 4 and right.hit.sum() == 5 and excluded.counted.sum() == 4


def test_an_unknown_unclear_policy_is_refused():
    with pytest.raises(ValueError, match="unclear"):
        grade(six_images(), people([DOG] * 6), unclear="maybe")


def test_the_sentinel_never_matches_the_previous_images_last_class():
    # Image 0 holds class 999; NO_ANSWER on image 1 must not read as (image 0, class 999).
    images = ImageSet.build(sources=["a", "a"], labels=[999, 0], correct=[{999}, {0}])
    grades = grade(images, people([999, NO_ANSWER]))
    assert grades.hit[0].tolist() == [True, False]


def test_top1_compares_with_the_original_label_only():
    grades = grade_top1(six_images(), people([DOG, MUG, CAT, MUG, CUP, OTHER_DOG]))
    assert grades.hit[0].tolist() == [True, False, True, False, True, False]
    assert grades.counted[0].tolist() == [True, True, True, False, True, True]


def test_predictions_outside_the_classes_are_refused():
    with pytest.raises(ValueError, match="class indices"):
        grade(six_images(), people([1000, DOG, DOG, DOG, DOG, DOG]))
    with pytest.raises(ValueError, match="NO_ANSWER"):
        people([-2, DOG, DOG, DOG, DOG, DOG])


def test_class_sets_given_as_lists_dense_or_sparse_grade_alike():
    lists = six_images()
    dense = np.zeros((6, 1000), dtype=bool)
    for row, classes in enumerate([{DOG}, {CUP, MUG}, {CAT}, {MUG}, {CUP}, {DOG, OTHER_DOG}]):
        dense[row, list(classes)] = True
    predictions = people([DOG, MUG, CUP, MUG, CUP, OTHER_DOG], [CAT, CUP, CAT, DOG, BOWL, DOG])
    for correct in (dense, sp.coo_array(dense), sp.csc_matrix(dense)):
        other = six_images(correct=correct)
        assert (grade(other, predictions).hit == grade(lists, predictions).hit).all()


def test_images_with_many_correct_classes_are_graded_by_every_class():
    many = set(range(100, 120))  # longer than the padded lookup's depth
    images = ImageSet.build(sources=["a"] * 3, labels=[100, 5, 7], correct=[many, {5, 6}, set()])
    hits = grade(images, people([119, 6, 7], [100, 4, 7], [111, 5, 0])).hit
    assert hits.tolist() == [[True, True, False], [True, False, False], [True, True, False]]


def test_subsets_follow_the_original_label():
    masks = subset_masks(six_images(), dog_classes=DOGS, object_classes=OBJECTS)
    assert list(masks) == ["all", "without_dogs", "objects_only"]
    assert masks["all"].tolist() == [True] * 6
    assert masks["without_dogs"].tolist() == [False, True, True, True, True, False]
    assert masks["objects_only"].tolist() == [False, True, False, True, True, False]


def test_an_image_is_fast_when_the_median_human_time_is_at_most_the_threshold():
    seconds = np.array(
        [
            [60.0, 60.0, 10.0, 70.0, np.nan],
            [60.0, 61.0, 200.0, 55.0, np.nan],
            [59.0, 60.5, 61.0, 60.0, np.nan],
        ]
    )
    # Medians: 60 (exactly: fast), 60.5, 61, 60, none.
    assert fast_images(seconds).tolist() == [True, False, False, True, False]
    assert fast_images(seconds, threshold=61).tolist() == [True, True, True, True, False]
    assert fast_images(seconds, threshold=59.9).tolist() == [False] * 5


def test_the_median_ignores_missing_times_and_averages_an_even_count():
    seconds = np.array([[10.0, np.nan, 1.0], [20.0, np.nan, np.nan], [40.0, np.nan, np.nan]])
    seconds = np.vstack([seconds, [[50.0, np.nan, np.nan]]])
    median = median_seconds(seconds)
    assert median[0] == 30.0
    assert np.isnan(median[1])
    assert median[2] == 1.0


def test_the_fast_rule_reads_the_humans_times_only():
    images = six_images()
    human_times = [30, 30, 90, 30, 60, 61]
    model_times = [500] * 6  # a model's row would move every median
    seconds = np.array([human_times, human_times, human_times, model_times], dtype=float)
    participants = people(
        *([DOG] * 6 for _ in range(4)),
        kinds=("human", "human", "human", "model"),
        seconds=seconds,
    )
    evaluation = Evaluation(images, participants)
    assert evaluation.subsets["fast"].tolist() == [True, True, False, True, True, False]
    fast = Evaluation(images, participants, fast_threshold=90).fast
    assert fast is not None and fast.all()


def test_scores_count_every_source_and_subset():
    seconds = np.array([[10, 10, 10, 10, 100, 10]] * 2 + [[np.nan] * 6], dtype=float)
    participants = Participants(
        names=("Human A", "Human B", "resnet50"),
        kinds=("human", "human", "model"),
        predictions=np.array(
            [
                [DOG, MUG, CUP, MUG, CUP, OTHER_DOG],  # val 2/3, V2 2/2
                [CAT, BOWL, CAT, CAT, NO_ANSWER, DOG],  # val 1/3, V2 1/1
                [DOG, CUP, CAT, DOG, MUG, CAT],  # val 3/3, V2 0/2
            ]
        ),
        active_seconds=seconds,
    )
    scores = Evaluation(six_images(), participants, dog_classes=DOGS, object_classes=OBJECTS).scores
    assert scores.sources == (IMAGENET_VAL, IMAGENETV2)
    assert scores.subsets == ("all", "without_dogs", "objects_only", "fast")
    # (correct, total) per participant and source, in the order all, without_dogs,
    # objects_only, fast.
    expected = {
        (0, IMAGENET_VAL): [(2, 3), (1, 2), (1, 1), (2, 3)],
        (0, IMAGENETV2): [(2, 2), (1, 1), (1, 1), (1, 1)],
        (1, IMAGENET_VAL): [(1, 3), (1, 2), (0, 1), (1, 3)],
        (1, IMAGENETV2): [(1, 1), (0, 0), (0, 0), (1, 1)],
        (2, IMAGENET_VAL): [(3, 3), (2, 2), (1, 1), (3, 3)],
        (2, IMAGENETV2): [(0, 2), (0, 1), (0, 1), (0, 1)],
    }
    for (p, source), counts in expected.items():
        s = scores.sources.index(source)
        got = list(zip(scores.correct[p, s].tolist(), scores.total[p, s].tolist(), strict=True))
        assert got == counts, (p, source)
    s, u = scores.at(IMAGENET_VAL, "all")
    assert scores.top1_correct[:, s, u].tolist() == [1, 1, 3]  # MUG is right, but not top-1
    assert np.isnan(scores.accuracy[1, *scores.at(IMAGENETV2, "without_dogs")])  # nothing scored
    assert scores.gap(IMAGENET_VAL, IMAGENETV2).tolist() == pytest.approx([2 / 3 - 1, 1 / 3 - 1, 1])


def test_subsets_without_their_inputs_are_left_out():
    scores = Evaluation(six_images(), people([DOG] * 6)).scores
    assert scores.subsets == ("all",)
