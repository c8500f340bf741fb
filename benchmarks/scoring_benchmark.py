"""Score 80 participants (5 humans, 75 models) on 40,000 images with everything a round's report
computes, and time each step.

    .venv/bin/python benchmarks/scoring_benchmark.py [--seed S] [--repeat N]

The data are synthetic but shaped like the study's (seeded): 20,000 ImageNet val and 20,000
ImageNetV2 images, 40 per class; about 18 % of images have more than one correct class (2.3 on
average among those), 3 % an unclear class, 1.5 % are problematic (most of them without a
correct class), and the original
label is outside the correct set for 5 %. Humans answer with accuracy 91-97 % and spend
log-normal active times (median about 26 s, about three quarters of images fast); models answer with
accuracy 60-95 %; 1.5 % of images are hard for humans (accuracy 0.3) and 1 % for models (0.05).
The dog classes are 151-268 (118) and the object classes 409-998 (590), as in
ImageNet's index order.

Timed, in one process (the figure is timed apart: a results page needs it once per result):
building the `ImageSet`, grading (multi-label and top-1), the subsets with the fast rule, counts
and Clopper-Pearson intervals for every participant x source x subset, the results JSON, McNemar's
exact test between every human and every model on every source x subset, the class bootstrap
(1,000 trials) of `without_dogs` and `objects_only` on both sources for all 80 participants, the
unclear-sensitivity scores, hard images and Tables 1 and 2. With `--repeat N` each step's figure
is its best of N runs. Target: <= 5 s in total.

Prints the breakdown and writes benchmarks/results/scoring.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from import_predictions_benchmark import write_result  # noqa: E402

from labeling.scoring import (  # noqa: E402
    IMAGENET_VAL,
    IMAGENETV2,
    NO_ANSWER,
    Evaluation,
    ImageSet,
    Participants,
    figure1,
    scores_csv,
    table1_csv,
    table2_csv,
)

IMAGES_PER_SOURCE = 20_000
CLASSES = 1000
HUMANS = 5
MODELS = 75
TRIALS = 1000
TARGET_SECONDS = 5.0
DOG_CLASSES = np.arange(151, 269)
OBJECT_CLASSES = np.arange(409, 999)


def make_images(rng: np.random.Generator) -> dict[str, Any]:
    """The raw inputs of an ImageSet: sources, labels and CSR class sets."""
    n = 2 * IMAGES_PER_SOURCE
    labels = rng.permutation(np.arange(n) % CLASSES)
    sizes = np.ones(n, dtype=np.int64)
    multi = rng.random(n) < 0.18
    sizes[multi] = rng.choice([2, 3, 4, 5], size=int(multi.sum()), p=[0.75, 0.2, 0.04, 0.01])
    # Images without a correct class are the problematic ones, as in the study, plus a few more.
    problematic = rng.random(n) < 0.015
    sizes[problematic & (rng.random(n) < 0.7)] = 0
    # The original label first (replaced by a neighbour for 5 %), then nearby classes.
    first = np.where(rng.random(n) < 0.05, (labels + rng.integers(1, 5, n)) % CLASSES, labels)
    offsets = np.arange(5)[None, :] * rng.integers(1, 40, (n, 1))
    candidates = (first[:, None] + offsets) % CLASSES
    keep = np.arange(5)[None, :] < sizes[:, None]
    correct = sp.csr_array(
        (np.ones(int(keep.sum()), dtype=bool), candidates[keep], np.r_[0, np.cumsum(sizes)]),
        shape=(n, CLASSES),
    )
    unclear_rows = np.flatnonzero(rng.random(n) < 0.03)
    unclear = sp.csr_array(
        (
            np.ones(unclear_rows.size, dtype=bool),
            (unclear_rows, (labels[unclear_rows] + 500) % CLASSES),
        ),
        shape=(n, CLASSES),
    )
    return {
        "sources": np.repeat([IMAGENET_VAL, IMAGENETV2], IMAGES_PER_SOURCE),
        "labels": labels,
        "correct": correct,
        "unclear": unclear,
        "problematic": problematic,
    }


def make_participants(rng: np.random.Generator, raw: dict[str, Any]) -> Participants:
    correct: sp.csr_array = raw["correct"]
    n = correct.shape[0]
    sizes = np.diff(correct.indptr)
    skills = np.r_[rng.uniform(0.91, 0.97, HUMANS), rng.uniform(0.60, 0.95, MODELS)]
    predictions = np.empty((HUMANS + MODELS, n), dtype=np.int64)
    # Some images are hard for every human (0.3 accuracy) or for every model (0.05).
    hard_for_humans = rng.random(n) < 0.015
    hard_for_models = rng.random(n) < 0.01
    for row, skill in enumerate(skills):
        hard = hard_for_humans if row < HUMANS else hard_for_models
        chance = np.where(hard, 0.3 if row < HUMANS else 0.05, skill)
        right = (rng.random(n) < chance) & (sizes > 0)
        pick = correct.indptr[:-1] + (rng.random(n) * np.maximum(sizes, 1)).astype(np.int64)
        wrong = (raw["labels"] + rng.integers(1, 60, n)) % CLASSES
        predictions[row] = np.where(
            right, correct.indices[np.minimum(pick, correct.nnz - 1)], wrong
        )
    predictions[rng.random(predictions.shape) < 0.002] = NO_ANSWER
    seconds = np.full(predictions.shape, np.nan)
    # An image's own difficulty (shared by the humans) times each human's noise: about three
    # quarters of the images get a median of at most 60 s (the study: 77 % and 73 %).
    difficulty = rng.lognormal(0.0, 1.1, n)
    seconds[:HUMANS] = 26 * difficulty * rng.lognormal(0.0, 0.5, (HUMANS, n))
    return Participants(
        names=tuple(f"human_{chr(97 + i)}" for i in range(HUMANS))
        + tuple(f"model_{i:02d}" for i in range(MODELS)),
        kinds=("human",) * HUMANS + ("model",) * MODELS,
        predictions=predictions,
        active_seconds=seconds,
    )


def run_once(
    raw: dict[str, Any], participants: Participants
) -> tuple[dict[str, float], float, dict]:
    """One full scoring; returns each step's seconds, the run's CPU seconds and some figures."""
    timings: dict[str, float] = {}
    cpu_started = time.process_time()

    def timed(step: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = work()
        timings[step] = time.perf_counter() - started
        return value

    images = timed("build ImageSet", lambda: ImageSet.build(**raw))
    evaluation = Evaluation(
        images, participants, dog_classes=DOG_CLASSES, object_classes=OBJECT_CLASSES
    )
    timed("grade (multi-label, top-1)", lambda: (evaluation.grades, evaluation.top1_grades))
    timed("subsets (fast rule)", lambda: evaluation.subsets)
    scores = timed("counts and intervals", lambda: evaluation.scores)
    results = timed("results JSON", evaluation.results)
    tests = timed(
        "McNemar humans x models",
        lambda: [
            evaluation.humans_vs_models(source=source, subset=subset)
            for source in images.source_names
            for subset in scores.subsets
        ],
    )
    bootstraps = timed(
        "class bootstrap",
        lambda: [
            evaluation.bootstrap(subset, source=source, kind=None, trials=TRIALS, seed=0)
            for subset in ("without_dogs", "objects_only")
            for source in images.source_names
        ],
    )
    sensitivity = timed("unclear sensitivity", evaluation.sensitivity)
    hard = timed("hard images", evaluation.hard_images)
    timed(
        "tables (CSV)",
        lambda: (table1_csv(results), table2_csv(results), scores_csv(*sensitivity.values())),
    )
    figures = {
        "fast images": {
            source: int((evaluation.subsets["fast"] & images.source_mask(source)).sum())
            for source in images.source_names
        },
        "mcnemar tests": sum(test.p.size for test in tests),
        "bootstrap trials": sum(b.trials for b in bootstraps),
        "hard images": {key: value["count"] for key, value in hard.to_json(images).items()},
        "human_a val accuracy": results["participants"][0]["scores"][IMAGENET_VAL]["all"][
            "accuracy"
        ],
    }
    return timings, time.process_time() - cpu_started, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5, help="runs; each step's best is kept")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    raw = make_images(rng)
    participants = make_participants(rng, raw)
    multi = float(np.mean(np.diff(raw["correct"].indptr) > 1))
    print(
        f"{participants.n_participants} participants x {participants.n_images:,} images, "
        f"{multi:.1%} with more than one correct class"
    )
    best: dict[str, float] = {}
    totals, cpu = [], []
    for _ in range(args.repeat):
        timings, cpu_seconds, figures = run_once(raw, participants)
        totals.append(sum(timings.values()))
        cpu.append(cpu_seconds)
        for step, seconds in timings.items():
            best[step] = min(seconds, best.get(step, seconds))
    for step, seconds in best.items():
        print(f"  {step:<28} {seconds * 1000:8.1f} ms")
    total = min(totals)
    print(f"  {'total (best run)':<28} {total * 1000:8.1f} ms  (target <= {TARGET_SECONDS:.0f} s)")
    print(f"  {'total (slowest run)':<28} {max(totals) * 1000:8.1f} ms  ({len(totals)} runs)")
    # CPU time does not grow when other processes hold the CPUs; wall-clock time does.
    print(f"  {'CPU time (best run)':<28} {min(cpu) * 1000:8.1f} ms")

    images = ImageSet.build(**raw)
    results = Evaluation(
        images, participants, dog_classes=DOG_CLASSES, object_classes=OBJECT_CLASSES
    ).results()
    figure_seconds = {}
    for kind in ("svg", "png"):
        started = time.perf_counter()
        size = len(figure1(results, format=kind))
        figure_seconds[kind] = time.perf_counter() - started
        print(
            f"  figure 1 {kind.upper():<19} {figure_seconds[kind] * 1000:8.1f} ms  ({size:,} bytes)"
        )
    print(json.dumps(figures))
    out = write_result(
        "scoring",
        {
            "participants": participants.n_participants,
            "images": participants.n_images,
            "steps_seconds": best,
            "total_seconds": total,
            "runs_total_seconds": totals,
            "runs_cpu_seconds": cpu,
            "figure_seconds": figure_seconds,
            "figures": figures,
            "target_seconds": TARGET_SECONDS,
        },
    )
    print(f"results: {out.relative_to(ROOT)}")
    if total > TARGET_SECONDS:
        sys.exit(f"over the target: {total:.2f} s > {TARGET_SECONDS:.0f} s")


if __name__ == "__main__":
    main()
