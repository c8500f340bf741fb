"""The study's Tables 1 and 2, and long-format score tables, as CSV text.

Tables 1 and 2 read the results JSON (`Scores.to_json()` or `GET /api/rounds/R/scores/`), so
they can be rebuilt from a saved or downloaded result.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from labeling.scoring.data import HUMAN, IMAGENET_VAL, IMAGENETV2, MODEL
from labeling.scoring.evaluation import Scores

SUBSET_TITLES = {
    "all": "All Images",
    "without_dogs": "Without Dogs",
    "objects_only": "Objects Only",
    "fast": "Fast Images",
}

Results = Mapping[str, Any]


def _write(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _study_order(results: Results) -> list[Mapping[str, Any]]:
    """Models first, then humans, each in the given order (the study's tables)."""
    participants = list(results["participants"])
    return [p for p in participants if p["kind"] == MODEL] + [
        p for p in participants if p["kind"] == HUMAN
    ]


def _cell(participant: Mapping[str, Any], source: str, subset: str) -> Mapping[str, Any] | None:
    cell = participant["scores"].get(source, {}).get(subset)
    return cell if cell and cell["total"] else None


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def table1_csv(results: Results, *, original: str = IMAGENET_VAL, shifted: str = IMAGENETV2) -> str:
    """Table 1: multi-label accuracy (%) with its interval on both sources and the gap (original
    minus shifted), e.g. `Human E,97.3 [96.0, 98.2],96.5 [95.2, 97.6],0.7`."""
    rows: list[list[object]] = [["Participant", "Original", "V2", "Gap"]]
    for participant in _study_order(results):
        row: list[object] = [participant["name"]]
        accuracies = []
        for source in (original, shifted):
            cell = _cell(participant, source, "all")
            accuracies.append(cell["accuracy"] if cell else math.nan)
            row.append(
                f"{_percent(cell['accuracy'])} "
                f"[{_percent(cell['ci_low'])}, {_percent(cell['ci_high'])}]"
                if cell
                else ""
            )
        gap = accuracies[0] - accuracies[1]
        row.append("" if math.isnan(gap) else _percent(gap))
        rows.append(row)
    return _write(rows)


def table2_csv(results: Results, *, original: str = IMAGENET_VAL, shifted: str = IMAGENETV2) -> str:
    """Table 2: multi-label accuracy (%) on each subset the results hold, original and shifted
    side by side (`All Images Original, All Images V2, Without Dogs Original, …`)."""
    present = {
        subset
        for participant in results["participants"]
        for source in (original, shifted)
        for subset in participant["scores"].get(source, {})
    }
    subsets = [subset for subset in SUBSET_TITLES if subset in present]
    header: list[object] = ["Participant"]
    for subset in subsets:
        header += [f"{SUBSET_TITLES[subset]} Original", f"{SUBSET_TITLES[subset]} V2"]
    rows: list[list[object]] = [header]
    for participant in _study_order(results):
        row: list[object] = [participant["name"]]
        for subset in subsets:
            for source in (original, shifted):
                cell = _cell(participant, source, subset)
                row.append(_percent(cell["accuracy"]) if cell else "")
        rows.append(row)
    return _write(rows)


SCORE_COLUMNS = [
    "participant",
    "kind",
    "source",
    "subset",
    "unclear",
    "correct",
    "total",
    "accuracy",
    "ci_low",
    "ci_high",
    "top1_correct",
    "top1_total",
    "top1_accuracy",
]


def scores_csv(*scores: Scores) -> str:
    """Every score in long format (one row per participant, source, subset and unclear policy),
    with top-1 beside multi-label accuracy; pass the `Evaluation.sensitivity()` values for the
    unclear-sensitivity table. Fractions, full precision; empty where nothing was scored."""
    rows: list[list[object]] = [list(SCORE_COLUMNS)]
    for table in scores:
        accuracy, top1 = table.accuracy, table.top1_accuracy
        for p, (name, kind) in enumerate(zip(table.names, table.kinds, strict=True)):
            for s, source in enumerate(table.sources):
                for u, subset in enumerate(table.subsets):
                    rows.append(
                        [
                            name,
                            kind,
                            source,
                            subset,
                            table.unclear,
                            int(table.correct[p, s, u]),
                            int(table.total[p, s, u]),
                            _fraction(accuracy[p, s, u]),
                            repr(float(table.ci_low[p, s, u])),
                            repr(float(table.ci_high[p, s, u])),
                            int(table.top1_correct[p, s, u]),
                            int(table.top1_total[p, s, u]),
                            _fraction(top1[p, s, u]),
                        ]
                    )
    return _write(rows)


def _fraction(value: float) -> str:
    return "" if math.isnan(value) else repr(float(value))
