"""The inputs: image sets and participants check their shapes and values up front, and the
scoring core can be imported without Django (for notebooks)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from labeling.scoring import IMAGENET_VAL, IMAGENETV2, NO_ANSWER, ImageSet, Participants

ROOT = Path(__file__).resolve().parents[2]


def test_sources_are_ordered_by_name_unless_an_order_is_given():
    sources = [IMAGENETV2, IMAGENET_VAL, IMAGENETV2]
    images = ImageSet.build(sources=sources, labels=[0, 1, 2], correct=[{0}, {1}, {2}])
    assert images.source_names == (IMAGENET_VAL, IMAGENETV2)
    assert images.source_mask(IMAGENETV2).tolist() == [True, False, True]
    ordered = ImageSet.build(
        sources=sources,
        labels=[0, 1, 2],
        correct=[{0}, {1}, {2}],
        source_names=["b", IMAGENETV2, IMAGENET_VAL],
    )
    assert ordered.source_names == ("b", IMAGENETV2, IMAGENET_VAL)
    with pytest.raises(ValueError, match="unknown source"):
        images.source_mask("imagenet-sketch")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": [0, 1000]}, "labels must be class indices"),
        ({"labels": [0]}, "one entry per image"),
        ({"correct": [{0}]}, "expected 2 class sets"),
        ({"correct": [{0}, {1000}]}, "class indices must lie"),
        ({"correct": np.zeros((2, 10), bool)}, "expected a 2 x 1000 matrix"),
        ({"problematic": [True]}, "one entry per image"),
        ({"ids": ["only one"]}, "ids must name every image"),
        ({"sources": ["a", "c"], "source_names": ["a", "b"]}, "not in source_names"),
    ],
)
def test_a_malformed_image_set_is_refused(change, message):
    values = {"sources": ["a", "b"], "labels": [0, 1], "correct": [{0}, {1}]}
    with pytest.raises(ValueError, match=message):
        ImageSet.build(**{**values, **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kinds": ("human", "robot")}, "kinds must be"),
        ({"names": ("a", "a")}, "unique"),
        ({"kinds": ("human",)}, "every participant needs a kind"),
        ({"predictions": np.zeros((3, 2), int)}, "participants x images"),
        ({"predictions": np.zeros((2, 2))}, "integer class indices"),
        ({"predictions": np.array([[0, -2], [0, 0]])}, "NO_ANSWER"),
        ({"active_seconds": np.zeros((2, 3))}, "shape of predictions"),
    ],
)
def test_malformed_participants_are_refused(change, message):
    values = {
        "names": ("a", "b"),
        "kinds": ("human", "model"),
        "predictions": np.array([[0, NO_ANSWER], [1, 1]]),
    }
    with pytest.raises(ValueError, match=message):
        Participants(**{**values, **change})


def test_inputs_are_copied_and_read_only():
    predictions = np.array([[0, 1]])
    participants = Participants(names=("a",), kinds=("model",), predictions=predictions)
    predictions[0, 0] = 5
    assert participants.predictions[0, 0] == 0
    with pytest.raises(ValueError):
        participants.predictions[0, 0] = 3


def test_the_scoring_core_imports_no_django():
    # The parent package `labeling` starts Celery; a notebook may load the core on its own.
    script = textwrap.dedent(
        f"""
        import sys, types
        package = types.ModuleType("labeling")
        package.__path__ = [{str(ROOT / "labeling")!r}]
        sys.modules["labeling"] = package
        import labeling.scoring
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("django", "rest_framework"))
        assert not loaded, loaded
        print(len(labeling.scoring.__all__))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 20


def test_the_package_docstrings_example_runs():
    import doctest

    import labeling.scoring

    outcome = doctest.testmod(labeling.scoring, verbose=False)
    assert outcome.attempted >= 5 and outcome.failed == 0
