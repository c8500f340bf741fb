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

from labeling.scoring.data import (
    HUMAN,
    IMAGENET_VAL,
    IMAGENETV2,
    KINDS,
    MODEL,
    N_CLASSES,
    NO_ANSWER,
    ImageSet,
    Participants,
    label_matrix,
)
from labeling.scoring.evaluation import Evaluation, HardImages, Scores, hard_images
from labeling.scoring.figures import figure1
from labeling.scoring.grading import (
    FAST_SECONDS,
    SUBSETS,
    UNCLEAR_POLICIES,
    Grades,
    class_subsets,
    fast_images,
    grade,
    grade_top1,
    median_seconds,
    subset_masks,
    tally,
)
from labeling.scoring.stats import (
    Bootstrap,
    McNemar,
    class_bootstrap,
    clopper_pearson,
    mcnemar,
    mcnemar_exact,
)
from labeling.scoring.tables import scores_csv, table1_csv, table2_csv

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
