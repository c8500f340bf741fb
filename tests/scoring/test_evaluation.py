"""One Evaluation: the results JSON, paired tests, bootstraps, the unclear sensitivity table and
hard images."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from labeling.scoring import (
    IMAGENET_VAL,
    IMAGENETV2,
    NO_ANSWER,
    UNCLEAR_POLICIES,
    Evaluation,
    ImageSet,
    Participants,
    mcnemar_exact,
    scores_csv,
)
from tests.scoring.study import DOG_CLASSES, OBJECT_CLASSES, study_evaluation

CELL_KEYS = {"correct", "total", "accuracy", "ci_low", "ci_high"}


@pytest.fixture(scope="module")
def evaluation():
    study = study_evaluation()
    return Evaluation(
        study.images, study.participants, dog_classes=DOG_CLASSES, object_classes=OBJECT_CLASSES
    )


def test_results_have_exactly_the_shape_the_api_promises(evaluation):
    results = json.loads(json.dumps(evaluation.results()))  # JSON-clean: no numpy values
    assert list(results) == ["participants"]
    assert len(results["participants"]) == 9
    for participant in results["participants"]:
        assert set(participant) == {"name", "kind", "scores"}
        assert participant["kind"] in ("human", "model")
        assert list(participant["scores"]) == [IMAGENET_VAL, IMAGENETV2]
        for by_subset in participant["scores"].values():
            assert list(by_subset) == ["all", "without_dogs", "objects_only", "fast"]
            for cell in by_subset.values():
                assert set(cell) == CELL_KEYS
                assert isinstance(cell["correct"], int) and isinstance(cell["total"], int)
                assert 0 <= cell["ci_low"] <= cell["accuracy"] <= cell["ci_high"] <= 1
                assert cell["accuracy"] == cell["correct"] / cell["total"]
    kinds = [p["kind"] for p in results["participants"]]
    assert kinds == ["human"] * 5 + ["model"] * 4


def test_a_cell_with_nothing_scored_has_no_accuracy_and_the_whole_interval():
    images = ImageSet.build(sources=["imagenet-val", "other"], labels=[1, 2], correct=[{1}, {2}])
    participants = Participants(
        names=("late",), kinds=("human",), predictions=np.array([[1, NO_ANSWER]])
    )
    cells = Evaluation(images, participants).results()["participants"][0]["scores"]
    assert cells["other"]["all"] == {
        "correct": 0,
        "total": 0,
        "accuracy": None,
        "ci_low": 0.0,
        "ci_high": 1.0,
    }
    assert cells["imagenet-val"]["all"]["accuracy"] == 1.0


def test_mcnemar_between_two_named_participants_uses_images_both_answered(evaluation):
    grades = evaluation.grades
    e, fix = evaluation.participants.index("Human E"), evaluation.participants.index("FixResNeXt")
    val = evaluation.images.source_mask(IMAGENET_VAL)
    result = evaluation.mcnemar("Human E", "FixResNeXt", source=IMAGENET_VAL)
    both = grades.counted[e] & grades.counted[fix] & val
    b = int(np.sum(both & grades.hit[e] & ~grades.hit[fix]))
    c = int(np.sum(both & ~grades.hit[e] & grades.hit[fix]))
    assert (int(result.b[0, 0]), int(result.c[0, 0]), int(result.n[0, 0])) == (b, c, 984)
    assert b - c == 957 - 940
    assert float(result.p[0, 0]) == float(mcnemar_exact(b, c))


def test_humans_are_tested_against_every_model_on_each_source_and_subset(evaluation):
    result = evaluation.humans_vs_models(source=IMAGENETV2, subset="objects_only")
    assert result.p.shape == (5, 4)
    assert np.all(result.n == 580)
    assert np.all((result.p > 0) & (result.p <= 1))
    # Human C (579 of 580 objects) against resnet50 (422): a difference beyond doubt.
    assert result.p[2, 3] < 1e-30


def test_the_bootstrap_of_a_class_subset_for_the_humans(evaluation):
    result = evaluation.bootstrap("without_dogs", source=IMAGENET_VAL, seed=0)
    assert result.names == ("Human A", "Human B", "Human C", "Human D", "Human E")
    assert (result.classes_sampled, result.trials) == (882, 1000)
    # Observed: accuracy without dogs minus on all val images, as in Table 2.
    assert result.observed[0] == pytest.approx(816 / 866 - 904 / 984)
    again = evaluation.bootstrap("without_dogs", source=IMAGENET_VAL, seed=0)
    assert np.array_equal(result.changes, again.changes)
    with pytest.raises(ValueError, match="class subset"):
        evaluation.bootstrap("fast")


def test_the_sensitivity_table_counts_unclear_right_wrong_and_not_at_all(evaluation):
    tables = evaluation.sensitivity()
    assert list(tables) == list(UNCLEAR_POLICIES)
    s, u = tables["wrong"].at(IMAGENET_VAL, "all")
    wrong, right, excluded = (tables[p] for p in ("wrong", "right", "excluded"))
    # The study's wrong answers hit an unclear class on every seventh image.
    assert np.all(right.correct[:, s, u] > wrong.correct[:, s, u])
    assert np.array_equal(wrong.total, right.total)
    assert np.array_equal(excluded.correct, wrong.correct)
    assert np.array_equal(
        wrong.total - excluded.total, right.correct - wrong.correct
    )  # each unclear answer leaves the count instead
    rows = list(csv.DictReader(io.StringIO(scores_csv(*tables.values()))))
    assert len(rows) == 3 * 9 * 2 * 4
    human_e = [
        r
        for r in rows
        if (r["participant"], r["source"], r["subset"]) == ("Human E", IMAGENET_VAL, "all")
    ]
    assert [r["unclear"] for r in human_e] == ["wrong", "right", "excluded"]
    assert (human_e[0]["correct"], human_e[0]["total"]) == ("957", "984")
    assert float(human_e[0]["top1_accuracy"]) <= float(human_e[0]["accuracy"])


def test_hard_images_are_missed_by_every_human_every_model_or_both():
    # Image:            0     1     2     3     4 (problematic)
    images = ImageSet.build(
        sources=["s"] * 5,
        labels=[0, 1, 2, 3, 4],
        correct=[{0}, {1}, {2}, {3}, {4}],
        problematic=[False, False, False, False, True],
        ids=["a", "b", "c", "d", "e"],
    )
    participants = Participants(
        names=("h1", "h2", "m1", "m2"),
        kinds=("human", "human", "model", "model"),
        predictions=np.array(
            [
                [9, 9, 2, NO_ANSWER, 9],
                [9, 1, 2, 9, 9],
                [9, 9, 9, 3, 9],
                [9, 9, 9, 9, 9],
            ]
        ),
    )
    # a: everyone wrong; b, c: a human right; d: the one human who answered wrong, a model
    # right; e: problematic, never hard.
    hard = Evaluation(images, participants).hard_images()
    assert hard.to_json(images) == {
        "humans": {"count": 2, "images": ["a", "d"]},
        "models": {"count": 3, "images": ["a", "b", "c"]},
        "both": {"count": 1, "images": ["a"]},
    }


def test_predictions_must_cover_the_image_set():
    images = ImageSet.build(sources=["s"] * 3, labels=[0, 1, 2], correct=[{0}, {1}, {2}])
    participants = Participants(names=("x",), kinds=("model",), predictions=np.zeros((1, 2), int))
    with pytest.raises(ValueError, match="cover 2 images"):
        Evaluation(images, participants)
