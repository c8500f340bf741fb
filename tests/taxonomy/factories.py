"""Classes created directly, for tests that do not need the whole tree loaded."""

from __future__ import annotations

import csv
from pathlib import Path

from labeling.taxonomy.models import ClassGroup, Synset

CLASSES_TSV = Path(__file__).resolve().parents[2] / "fixtures" / "imagenet_classes.tsv"

# wnid, class index, name, group: enough real classes for tests that do not need the full tree.
CLASSES = {
    "norfolk": ("n02094114", 185, "Norfolk terrier", ClassGroup.DOG),
    "norwich": ("n02094258", 186, "Norwich terrier", ClassGroup.DOG),
    "crane_bird": ("n02012849", 134, "crane", ClassGroup.ORGANISM),
    "crane_machine": ("n03126707", 517, "crane", ClassGroup.OBJECT),
    "laptop": ("n03642806", 620, "laptop", ClassGroup.OBJECT),
}


def make_class(key: str) -> Synset:
    wnid, index, name, group = CLASSES[key]
    synset, _ = Synset.objects.get_or_create(
        wnid=wnid,
        defaults={
            "nltk_name": f"{name.lower().replace(' ', '_')}.n.01",
            "name": name,
            "display_name": name,
            "class_index": index,
            "group": group,
        },
    )
    return synset


def make_ancestor() -> Synset:
    synset, _ = Synset.objects.get_or_create(
        wnid="n02092468",
        defaults={"nltk_name": "terrier.n.01", "name": "terrier", "display_name": "terrier"},
    )
    return synset


def imagenet_class_list() -> list[tuple[int, str, str]]:
    """The (index, wnid, name) rows of fixtures/imagenet_classes.tsv."""
    with CLASSES_TSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(int(row["index"]), row["wnid"], row["name"]) for row in rows]


def make_imagenet_classes() -> dict[str, Synset]:
    """The 1000 ImageNet classes by wnid, made directly (no tree, every group `object`): for
    tests that need every class to exist but not the hierarchy."""
    Synset.objects.bulk_create(
        [
            Synset(
                wnid=wnid,
                nltk_name=f"class{index}.n.01",
                name=name,
                display_name=name,
                class_index=index,
                group=ClassGroup.OBJECT,
            )
            for index, wnid, name in imagenet_class_list()
        ],
        ignore_conflicts=True,
    )
    return {synset.wnid: synset for synset in Synset.objects.classes()}
