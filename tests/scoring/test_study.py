"""The study's own numbers come back out: counts, Table 1 intervals and both tables.

Where the paper prints something the counts cannot give, the test says so rather than bending:
* Table 1's ImageNet val intervals match the paper to the printed decimal for all five humans and
  FixResNeXt. ResNet50's row does not: the paper prints 84.2 [81.8, 86.4], which is 829/984; the
  notebooks' 84.146 % is 828/984, i.e. 84.1 [81.7, 86.4].
* Table 1's ImageNetV2 intervals in the paper are not Clopper-Pearson intervals of the V2 counts
  (no k of 980 gives, e.g., Human E's [95.6, 97.9] around 96.5 %; they sit about 0.4 points
  higher). Ours are checked against the Beta-quantile definition instead.
* Table 2 in the paper truncates some cells (Human E 97.2 for 97.256 %, Human A 97.0 for
  97.079 %) and rounds others; ours round every cell, so they agree within 0.1.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from scipy import stats

from labeling.scoring import IMAGENET_VAL, IMAGENETV2, Evaluation, table1_csv, table2_csv
from tests.scoring.study import DOG_CLASSES, OBJECT_CLASSES, study_evaluation

PAPER_TABLE1_VAL = {
    "Human A": (91.9, 90.0, 93.5),
    "Human B": (94.7, 93.1, 96.0),
    "Human C": (96.2, 94.9, 97.3),
    "Human D": (95.7, 94.3, 96.9),
    "Human E": (97.3, 96.0, 98.2),
    "FixResNeXt": (95.5, 94.0, 96.7),
}
PAPER_TABLE2_HUMANS = {
    "Human A": [91.9, 91.1, 94.2, 93.4, 97.0, 96.7, 97.6, 97.5],
    "Human B": [94.7, 93.9, 96.9, 96.0, 98.3, 97.8, 98.5, 98.5],
    "Human C": [96.2, 96.7, 98.4, 98.6, 99.1, 99.8, 99.1, 99.7],
    "Human D": [95.7, 94.8, 97.3, 96.6, 98.8, 98.4, 99.3, 98.3],
    "Human E": [97.2, 96.5, 98.7, 97.3, 98.8, 97.0, 99.5, 98.6],
}


@pytest.fixture(scope="module")
def study():
    return study_evaluation()


@pytest.fixture(scope="module")
def evaluation(study):
    return Evaluation(
        study.images, study.participants, dog_classes=DOG_CLASSES, object_classes=OBJECT_CLASSES
    )


def test_scoring_the_study_gives_back_every_published_count(study, evaluation):
    scores = evaluation.scores
    assert len(study.counts) == 9 * 2 * 4
    for (name, source, subset), (k, n, percent) in study.counts.items():
        p = scores.names.index(name)
        s, u = scores.at(source, subset)
        assert (scores.correct[p, s, u], scores.total[p, s, u]) == (k, n), (name, source, subset)
        assert 100 * scores.accuracy[p, s, u] == percent  # bit for bit what the notebook printed


def test_human_e_is_957_of_984_on_val_and_946_of_980_on_v2(evaluation):
    cells = evaluation.results()["participants"][4]["scores"]
    assert evaluation.scores.names[4] == "Human E"
    val, v2 = cells[IMAGENET_VAL]["all"], cells[IMAGENETV2]["all"]
    assert (val["correct"], val["total"], v2["correct"], v2["total"]) == (957, 984, 946, 980)
    assert val["ci_low"] == stats.beta.ppf(0.025, 957, 28)
    assert val["ci_high"] == stats.beta.ppf(0.975, 958, 27)
    assert v2["ci_low"] == stats.beta.ppf(0.025, 946, 35)
    assert v2["ci_high"] == stats.beta.ppf(0.975, 947, 34)
    assert [round(100 * v2[key], 1) for key in ("accuracy", "ci_low", "ci_high")] == [
        96.5,
        95.2,
        97.6,
    ]


def test_table1_val_intervals_match_the_paper(evaluation):
    results = evaluation.results()
    for participant in results["participants"]:
        if participant["name"] not in PAPER_TABLE1_VAL:
            continue
        cell = participant["scores"][IMAGENET_VAL]["all"]
        printed = tuple(round(100 * cell[key], 1) for key in ("accuracy", "ci_low", "ci_high"))
        assert printed == PAPER_TABLE1_VAL[participant["name"]], participant["name"]


def test_every_v2_interval_is_the_beta_quantile_interval(evaluation):
    scores = evaluation.scores
    s, u = scores.at(IMAGENETV2, "all")
    k, n = scores.correct[:, s, u], scores.total[:, s, u]
    assert np.array_equal(scores.ci_low[:, s, u], stats.beta.ppf(0.025, k, n - k + 1))
    assert np.array_equal(scores.ci_high[:, s, u], stats.beta.ppf(0.975, k + 1, n - k))


def test_table1_csv_has_the_studys_layout(evaluation):
    rows = list(csv.reader(io.StringIO(table1_csv(evaluation.results()))))
    assert rows[0] == ["Participant", "Original", "V2", "Gap"]
    names = [row[0] for row in rows[1:]]
    # Models first, then humans, as in the paper.
    assert names[:4] == ["FixResNeXt", "instagram-48d", "efficientnet-b7", "resnet50"]
    assert names[4:] == ["Human A", "Human B", "Human C", "Human D", "Human E"]
    assert rows[-1] == ["Human E", "97.3 [96.0, 98.2]", "96.5 [95.2, 97.6]", "0.7"]
    assert rows[4] == ["resnet50", "84.1 [81.7, 86.4]", "75.7 [72.9, 78.4]", "8.4"]
    assert rows[6][3] == "0.8" and rows[7][3] == "-0.5"  # Human B, Human C as in the paper


def test_table2_csv_has_the_studys_layout_and_numbers(evaluation):
    rows = list(csv.reader(io.StringIO(table2_csv(evaluation.results()))))
    assert rows[0] == [
        "Participant",
        "All Images Original",
        "All Images V2",
        "Without Dogs Original",
        "Without Dogs V2",
        "Objects Only Original",
        "Objects Only V2",
        "Fast Images Original",
        "Fast Images V2",
    ]
    by_name = {row[0]: [float(value) for value in row[1:]] for row in rows[1:]}
    assert by_name["Human C"] == PAPER_TABLE2_HUMANS["Human C"]
    for name, paper in PAPER_TABLE2_HUMANS.items():
        assert by_name[name] == pytest.approx(paper, abs=0.1 + 1e-9), name


def test_fast_images_include_a_median_of_exactly_sixty_seconds(study, evaluation):
    # Half the study's fast images have a median of exactly 60 s: with the notebook's `< 60`
    # the fast counts would fall short of the published 756 and 714.
    seconds = study.participants.human_seconds()
    exactly = np.median(seconds, axis=0) == 60
    assert exactly.sum() > 300
    assert evaluation.subsets["fast"][exactly].all()
    strict = Evaluation(study.images, study.participants, fast_threshold=59.999).scores
    assert strict.total[0, 0, strict.subsets.index("fast")] < 756
