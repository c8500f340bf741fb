"""Scoring humans and models on ImageNet the way *Evaluating Machine Accuracy on ImageNet* (ICML
2020) did: multi-label accuracy with exact intervals, subsets, paired tests, the class bootstrap
and Figure 1.

The core (this package's modules `data`, `grading`, `stats`, `evaluation`, `tables`, `figures`)
imports numpy, scipy and matplotlib only, never Django: the app's selectors build its inputs from
the database, and a notebook can build them from files.

Data model
----------
Everything is a matrix over a fixed order of N images and C classes (C = 1000, class index =
the standard ImageNet index):

``ImageSet`` (``ImageSet.build(...)`` accepts plain Python values)
    ``sources``      (N,) source per image (``"imagenet-val"``, ``"imagenetv2-matched-frequency"``;
                     stored as indices into ``source_names``)
    ``labels``       (N,) int, the original ImageNet label's class index
    ``correct``      N x C boolean CSR matrix: the image's correct classes (multi-label)
    ``unclear``      N x C boolean CSR matrix: classes marked unclear
    ``problematic``  (N,) bool: left out of every score
    ``ids``          optional N names (``ILSVRC2012_val_00038768.JPEG``, a V2 SHA-1), for reports

``Participants``
    ``names``, ``kinds``  one per participant; kind ``"human"`` or ``"model"``
    ``predictions``  P x N int: the class each participant gave each image, ``NO_ANSWER`` (-1)
                     where they gave none
    ``active_seconds``  optional P x N float, NaN where unknown; the humans' rows drive the
                     fast-image rule

Rules
-----
* Multi-label accuracy: a prediction is right iff its class is in the image's correct set; an
  unclear class counts as wrong (``unclear="right"`` or ``"excluded"`` for the sensitivity
  table); problematic images and unanswered images are not counted (``total`` is what the
  participant answered). Top-1 accuracy (prediction == original label) is kept beside it.
* Subsets by the image's original label: ``all``; ``without_dogs`` (the dog classes out);
  ``objects_only`` (the object classes); ``fast``: the median of the humans' active seconds is AT
  MOST 60 s (``fast_threshold``). The paper says "at most 60 seconds"; the authors' notebook used
  ``< 60`` on whole seconds. This follows the paper. Class groups are passed in as class indices.
* Intervals: exact Clopper-Pearson (Beta quantiles), 95 % by default. Paired tests: McNemar's
  exact two-sided binomial test on the images both participants were scored on. Subset changes:
  the study's class bootstrap (sample as many classes as the subset has, without replacement,
  1,000 seeded trials).

Example
-------
>>> import numpy as np
>>> from labeling.scoring import Evaluation, ImageSet, Participants, NO_ANSWER, figure1
>>> images = ImageSet.build(
...     sources=["imagenet-val", "imagenetv2-matched-frequency"],
...     labels=[3, 7],
...     correct=[{3, 5}, {7}],          # or a boolean N x C matrix / scipy sparse matrix
... )
>>> people = Participants(
...     names=("Human A", "resnet50"), kinds=("human", "model"),
...     predictions=np.array([[5, 7], [3, NO_ANSWER]]),
... )
>>> evaluation = Evaluation(images, people, dog_classes=range(151, 269))
>>> evaluation.results()["participants"][0]["scores"]["imagenet-val"]["all"]["correct"]
1
>>> svg = figure1(evaluation.results())
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use (PEP 562): a web process that never scores (or only lists data)
# does not load numpy, scipy and matplotlib because Django imported this app.
_EXPORTS = {
    "HUMAN": "labeling.scoring.data",
    "IMAGENET_VAL": "labeling.scoring.data",
    "IMAGENETV2": "labeling.scoring.data",
    "KINDS": "labeling.scoring.data",
    "MODEL": "labeling.scoring.data",
    "N_CLASSES": "labeling.scoring.data",
    "NO_ANSWER": "labeling.scoring.data",
    "ImageSet": "labeling.scoring.data",
    "Participants": "labeling.scoring.data",
    "label_matrix": "labeling.scoring.data",
    "Evaluation": "labeling.scoring.evaluation",
    "HardImages": "labeling.scoring.evaluation",
    "Scores": "labeling.scoring.evaluation",
    "hard_images": "labeling.scoring.evaluation",
    "figure1": "labeling.scoring.figures",
    "FAST_SECONDS": "labeling.scoring.grading",
    "SUBSETS": "labeling.scoring.grading",
    "UNCLEAR_POLICIES": "labeling.scoring.grading",
    "Grades": "labeling.scoring.grading",
    "class_subsets": "labeling.scoring.grading",
    "fast_images": "labeling.scoring.grading",
    "grade": "labeling.scoring.grading",
    "grade_top1": "labeling.scoring.grading",
    "median_seconds": "labeling.scoring.grading",
    "subset_masks": "labeling.scoring.grading",
    "tally": "labeling.scoring.grading",
    "Bootstrap": "labeling.scoring.stats",
    "McNemar": "labeling.scoring.stats",
    "class_bootstrap": "labeling.scoring.stats",
    "clopper_pearson": "labeling.scoring.stats",
    "mcnemar": "labeling.scoring.stats",
    "mcnemar_exact": "labeling.scoring.stats",
    "scores_csv": "labeling.scoring.tables",
    "table1_csv": "labeling.scoring.tables",
    "table2_csv": "labeling.scoring.tables",
}


__all__ = [
    "FAST_SECONDS",
    "HUMAN",
    "IMAGENETV2",
    "IMAGENET_VAL",
    "KINDS",
    "MODEL",
    "NO_ANSWER",
    "N_CLASSES",
    "SUBSETS",
    "UNCLEAR_POLICIES",
    "Bootstrap",
    "Evaluation",
    "Grades",
    "HardImages",
    "ImageSet",
    "McNemar",
    "Participants",
    "Scores",
    "class_bootstrap",
    "class_subsets",
    "clopper_pearson",
    "fast_images",
    "figure1",
    "grade",
    "grade_top1",
    "hard_images",
    "label_matrix",
    "mcnemar",
    "mcnemar_exact",
    "median_seconds",
    "scores_csv",
    "subset_masks",
    "table1_csv",
    "table2_csv",
    "tally",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
