"""The study's published accuracies, and a constructed evaluation that reproduces them exactly.

`study_subset_accuracies.csv` is a copy of the study's `notebook_subset_accuracies.csv`: the
accuracies its notebooks printed for five humans and four models on each subset, as full-precision
floats equal to 100 * k / n. With the recovered denominators (val / V2: all 984 / 980, without dogs
866 / 865, objects only 582 / 580, fast 756 / 714) every count k is recovered exactly.

`study_evaluation()` then builds an image set and predictions with exactly those counts: 1,000
images per source (16 val and 20 V2 of them problematic, as in the study, and answered right by
everyone, so counting them would change every figure), split into dog, other-organism and object
classes and into fast and slow images, each participant's wrong answers placed at random within
the right (group, speed) cell. Scoring it must give back the published numbers.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labeling.scoring import IMAGENET_VAL, IMAGENETV2, ImageSet, Participants

CSV = Path(__file__).resolve().parent / "study_subset_accuracies.csv"
COMMIT = "47d2141"  # the only notebook version that printed all four subsets
SUBSET_NAMES = {
    "all": "all",
    "no_dogs": "without_dogs",
    "objects_only": "objects_only",
    "fast_images": "fast",
}
DENOMINATORS = {
    IMAGENET_VAL: {"all": 984, "without_dogs": 866, "objects_only": 582, "fast": 756},
    IMAGENETV2: {"all": 980, "without_dogs": 865, "objects_only": 580, "fast": 714},
}
PROBLEMATIC = {IMAGENET_VAL: 16, IMAGENETV2: 20}
DISPLAY_NAMES = {
    "human_a": "Human A",
    "human_b": "Human B",
    "human_c": "Human C",
    "human_d": "Human D",
    "human_e": "Human E",
    "FixResNeXt101_32x48d_v2": "FixResNeXt",
    "instagram-48d": "instagram-48d",
    "efficientnet-b7": "efficientnet-b7",
    "resnet50": "resnet50",
}
DOG_CLASSES = np.arange(151, 269)  # 118
OBJECT_CLASSES = np.arange(409, 999)  # 590
ORGANISM_CLASSES = np.setdiff1d(np.arange(1000), np.r_[DOG_CLASSES, OBJECT_CLASSES])  # 292
# Slow images per (dog, other organism, object) group and source; the rest are fast.
SLOW = {IMAGENET_VAL: (60, 60, 108), IMAGENETV2: (60, 80, 126)}


def published() -> dict[tuple[str, str, str], tuple[int, int, float]]:
    """(participant, source, subset) -> (k, n, the printed percentage)."""
    counts = {}
    with CSV.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["source_commit"] != COMMIT:
                continue
            subset = SUBSET_NAMES[row["subset"]]
            for source, column in ((IMAGENET_VAL, "val_pct"), (IMAGENETV2, "v2_pct")):
                n = DENOMINATORS[source][subset]
                percent = float(row[column])
                k = round(percent * n / 100)
                assert 100 * (k / n) == percent, (row, k, n)  # the count is exact
                counts[DISPLAY_NAMES[row["username"]], source, subset] = (k, n, percent)
    return counts


@dataclass
class StudyEvaluation:
    images: ImageSet
    participants: Participants
    counts: dict[tuple[str, str, str], tuple[int, int, float]]


def _wrong_answers(
    right: list[int], n: dict[str, int], sizes: tuple[int, ...], fast_sizes: list[int]
) -> list[tuple[int, int]]:
    """Per group (dogs, other organisms, objects), how many wrong answers fall on fast and on
    slow images, so that the group totals and the fast total both come out as published."""
    group_right = (right[0] - right[1], right[1] - right[2], right[2])
    wrong = [size - k for size, k in zip(sizes, group_right, strict=True)]
    slow_sizes = [size - fast for size, fast in zip(sizes, fast_sizes, strict=True)]
    low = [max(0, w - slow) for w, slow in zip(wrong, slow_sizes, strict=True)]
    high = [min(w, fast) for w, fast in zip(wrong, fast_sizes, strict=True)]
    left = (n["fast"] - right[3]) - sum(low)
    fast_wrong = []
    for lo, hi in zip(low, high, strict=True):
        extra = min(max(left, 0), hi - lo)
        fast_wrong.append(lo + extra)
        left -= extra
    assert left == 0, "the slow/fast split cannot reproduce this participant's counts"
    return [(f, w - f) for f, w in zip(fast_wrong, wrong, strict=True)]


def study_evaluation(seed: int = 0) -> StudyEvaluation:
    rng = np.random.default_rng(seed)
    counts = published()
    names = list(DISPLAY_NAMES.values())
    kinds = tuple("human" if name.startswith("Human") else "model" for name in names)
    sources: list[str] = []
    labels: list[int] = []
    correct: list[set[int]] = []
    unclear: list[set[int]] = []
    problematic: list[bool] = []
    ids: list[str] = []
    speed_rows: list[bool] = []
    predictions: list[list[int]] = [[] for _ in names]
    for source in (IMAGENET_VAL, IMAGENETV2):
        n = DENOMINATORS[source]
        group_sizes = (
            n["all"] - n["without_dogs"],
            n["without_dogs"] - n["objects_only"],
            n["objects_only"],
        )
        fast_sizes = [size - slow for size, slow in zip(group_sizes, SLOW[source], strict=True)]
        assert sum(fast_sizes) == n["fast"]
        plans = [
            _wrong_answers(
                [counts[name, source, subset][0] for subset in n], n, group_sizes, fast_sizes
            )
            for name in names
        ]
        for group, (classes, size, fast) in enumerate(
            zip(
                (DOG_CLASSES, ORGANISM_CLASSES, OBJECT_CLASSES),
                group_sizes,
                fast_sizes,
                strict=True,
            )
        ):
            start = len(labels)
            group_labels = classes[np.arange(size) % classes.size]
            labels += group_labels.tolist()
            sources += [source] * size
            problematic += [False] * size
            # Every fifth image has a second correct class; every seventh an unclear one.
            for offset, label in enumerate(group_labels.tolist()):
                correct.append({label} | ({(label + 500) % 1000} if offset % 5 == 0 else set()))
                unclear.append({(label + 2) % 1000} if offset % 7 == 0 else set())
            is_fast = np.arange(size) < fast
            speed_rows += is_fast.tolist()
            for row in range(len(names)):
                fast_wrong, slow_wrong = plans[row][group]
                marks = np.zeros(size, dtype=bool)
                marks[rng.choice(fast, fast_wrong, replace=False)] = True
                marks[fast + rng.choice(size - fast, slow_wrong, replace=False)] = True
                for offset in range(size):
                    label = labels[start + offset]
                    if not marks[offset]:
                        # Right: the original label, or the second correct class where there is one.
                        extra = sorted(correct[start + offset] - {label})
                        predictions[row].append(extra[0] if extra and row % 2 else label)
                    elif unclear[start + offset]:
                        predictions[row].append(next(iter(unclear[start + offset])))
                    else:
                        predictions[row].append((label + 1) % 1000)
        for index in range(PROBLEMATIC[source]):
            label = int(OBJECT_CLASSES[index])
            labels.append(label)
            sources.append(source)
            problematic.append(True)
            correct.append({label})
            unclear.append(set())
            speed_rows.append(True)
            for row in range(len(names)):
                predictions[row].append(label)
    n_images = len(labels)
    for index in range(n_images):
        if sources[index] == IMAGENET_VAL:
            ids.append(f"ILSVRC2012_val_{index + 1:08d}.JPEG")
        else:
            ids.append(hashlib.sha1(str(index).encode()).hexdigest())
    # Fast images: half with a median of exactly 60 s (fast by the paper's rule, not by the
    # notebook's `< 60`), half well under; slow images a median of 61 s.
    seconds = np.full((len(names), n_images), np.nan)
    humans = [row for row, kind in enumerate(kinds) if kind == "human"]
    for index, fast in enumerate(speed_rows):
        times = [10, 30, 60, 61, 200] if index % 2 else [5, 10, 20, 25, 30]
        times = times if fast else [20, 50, 61, 90, 300]
        seconds[humans, index] = rng.permutation(times)
    images = ImageSet.build(
        sources=sources,
        labels=labels,
        correct=correct,
        unclear=unclear,
        problematic=problematic,
        ids=ids,
        source_names=(IMAGENET_VAL, IMAGENETV2),
    )
    participants = Participants(
        names=tuple(names),
        kinds=kinds,
        predictions=np.array(predictions),
        active_seconds=seconds,
    )
    return StudyEvaluation(images=images, participants=participants, counts=counts)
