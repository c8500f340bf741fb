"""The 1000 ImageNet classes and the images of the published annotation sample, made directly."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from labeling.images.models import Image, ImageSource
from labeling.taxonomy.models import ClassGroup, Synset

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures_data" / "image_labels_sample.json"


@pytest.fixture(scope="session")
def sample() -> dict:
    """The study's published final multi-labels: 1000 entries (860 val, 140 ImageNetV2)."""
    return json.loads(SAMPLE.read_text())


@pytest.fixture
def imagenet_classes(db) -> dict[str, Synset]:
    with (ROOT / "fixtures" / "imagenet_classes.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    Synset.objects.bulk_create(
        [
            Synset(
                wnid=row["wnid"],
                nltk_name=f"class{row['index']}.n.01",
                name=row["name"],
                display_name=row["name"],
                class_index=int(row["index"]),
                group=ClassGroup.OBJECT,
            )
            for row in rows
        ],
        ignore_conflicts=True,
    )
    return {synset.wnid: synset for synset in Synset.objects.filter(class_index__isnull=False)}


def make_images(names, *, label: str = "n01440764") -> dict[str, Image]:
    """Image rows named as the study names them (no files: the annotations never read them)."""
    val = ImageSource.objects.get(slug="imagenet-val")
    v2 = ImageSource.objects.get(slug="imagenetv2-matched-frequency")
    Image.objects.bulk_create(
        [
            Image(
                source=val if name.startswith("ILSVRC2012_val_") else v2,
                original_name=name,
                original_label_id=label,
                width=500,
                height=375,
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                file=f"images/test/{n}.jpg",
            )
            for n, name in enumerate(names)
        ]
    )
    return {image.original_name: image for image in Image.objects.filter(original_name__in=names)}


@pytest.fixture
def sample_images(imagenet_classes, sample) -> dict[str, Image]:
    return make_images(sample["data"])
