"""Figure 1 as SVG and PNG: valid files, one marker per participant in each panel, humans and
models drawn apart, nothing left behind in matplotlib's global state."""

from __future__ import annotations

import io
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from labeling.scoring import Evaluation, figure1
from tests.scoring.study import DOG_CLASSES, OBJECT_CLASSES, study_evaluation

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def results():
    study = study_evaluation()
    return Evaluation(
        study.images, study.participants, dog_classes=DOG_CLASSES, object_classes=OBJECT_CLASSES
    ).results()


def markers(root: ET.Element, panel: str) -> dict[int, ET.Element]:
    pattern = re.compile(rf"marker-{panel}-(\d+)$")
    found = {}
    for element in root.iter(f"{SVG}g"):
        match = pattern.match(element.get("id", ""))
        if match:
            found[int(match.group(1))] = element
    return found


def test_the_svg_parses_and_has_one_marker_per_participant_in_each_panel(results):
    root = ET.fromstring(figure1(results, format="svg"))
    assert root.tag == f"{SVG}svg"
    for panel in ("all", "objects_only"):
        found = markers(root, panel)
        assert sorted(found) == list(range(9))
        for element in found.values():
            assert len(list(element.iter(f"{SVG}use"))) == 1  # one drawn marker each


def test_humans_and_models_are_marked_apart_and_humans_are_named(results):
    svg = figure1(results, format="svg").decode()
    root = ET.fromstring(svg)
    shapes = {}
    for index, element in markers(root, "all").items():
        href = next(element.iter(f"{SVG}use")).get("{http://www.w3.org/1999/xlink}href")
        assert href is not None
        shapes[index] = next(
            d.get("d") for d in root.iter(f"{SVG}path") if d.get("id") == href.lstrip("#")
        )
    human_shapes = {shapes[i] for i in range(5)}
    model_shapes = {shapes[i] for i in range(5, 9)}
    assert len(human_shapes) == 1 and len(model_shapes) == 1
    assert human_shapes != model_shapes
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for name in ("Human A", "Human E", "y = x", "All classes", "Objects only", "Models", "Humans"):
        assert name in texts
    assert "resnet50" not in texts  # models only when asked
    asked = ET.fromstring(figure1(results, label={"resnet50"}))
    assert "resnet50" in " ".join(t.text or "" for t in asked.iter(f"{SVG}text"))


def test_the_png_is_a_real_image(results):
    png = figure1(results, format="png", dpi=80)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size[0] > image.size[1] > 300  # two panels side by side


def test_the_same_results_give_the_same_svg_and_no_figure_stays_open(results):
    assert figure1(results) == figure1(results)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        assert pyplot.get_fignums() == []


def test_one_panel_and_an_unknown_format(results):
    root = ET.fromstring(figure1(results, panels=[("fast", "Fast images")]))
    assert sorted(markers(root, "fast")) == list(range(9))
    assert markers(root, "all") == {}
    with pytest.raises(ValueError, match="format"):
        figure1(results, format="pdf")
