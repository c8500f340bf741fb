"""Figure 1 of the study: accuracy on ImageNet val against accuracy on ImageNetV2, one point per
participant, with both intervals, the y = x line, humans and models marked apart.

Drawn on a bare `matplotlib.figure.Figure` with the Agg canvas: no pyplot, so nothing global
(current figure, open-figure registry) survives a call, and it is safe in a web process.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from labeling.scoring.data import HUMAN, IMAGENET_VAL, IMAGENETV2, MODEL

PANELS = (("all", "All classes"), ("objects_only", "Objects only"))
SOURCE_TITLES = {IMAGENET_VAL: "ImageNet", IMAGENETV2: "ImageNetV2"}
STYLE = {
    MODEL: {"color": "tab:blue", "marker": "o", "label": "Models"},
    HUMAN: {"color": "tab:green", "marker": "D", "label": "Humans"},
}
FORMATS = ("svg", "png")


def _points(
    results: Mapping[str, Any], subset: str, original: str, shifted: str
) -> list[tuple[str, str, np.ndarray]]:
    """(name, kind, [x, x_low, x_high, y, y_low, y_high] in %) of everyone scored on both."""
    points = []
    for participant in results["participants"]:
        values = []
        for source in (original, shifted):
            cell = participant["scores"].get(source, {}).get(subset)
            if not cell or not cell["total"]:
                break
            values += [cell["accuracy"], cell["ci_low"], cell["ci_high"]]
        else:
            points.append((participant["name"], participant["kind"], 100 * np.array(values)))
    return points


def _panel(
    ax: Axes,
    points: list[tuple[str, str, np.ndarray]],
    *,
    key: str,
    title: str,
    x_label: str,
    y_label: str,
    label: Collection[str],
    fit: bool,
) -> None:
    if points:
        values = np.array([p[2] for p in points])
        low = float(min(values[:, 1].min(), values[:, 4].min()))
        high = float(max(values[:, 2].max(), values[:, 5].max()))
    else:
        low, high = 0.0, 100.0
    pad = max(1.0, 0.04 * (high - low))
    limits = (max(0.0, low - pad), min(100.0, high + pad))
    ax.plot(limits, limits, linestyle="--", color="black", linewidth=1, label="y = x", zorder=2)
    for kind in (MODEL, HUMAN):
        style = STYLE[kind]
        rows = [(i, p) for i, p in enumerate(points) if p[1] == kind]
        if not rows:
            continue
        v = np.array([p[2] for _, p in rows])
        ax.errorbar(
            v[:, 0],
            v[:, 3],
            xerr=[v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]],
            yerr=[v[:, 3] - v[:, 4], v[:, 5] - v[:, 3]],
            fmt="none",
            ecolor=style["color"],
            elinewidth=0.6,
            capsize=2,
            alpha=0.6,
            zorder=3,
        )
        for number, (index, (name, _, value)) in enumerate(rows):
            # One artist per participant, named in the SVG (id="marker-<panel>-<n>").
            ax.plot(
                [value[0]],
                [value[3]],
                linestyle="none",
                marker=style["marker"],
                markersize=6,
                markerfacecolor=style["color"],
                markeredgecolor="white",
                markeredgewidth=0.5,
                alpha=0.85,
                label=style["label"] if number == 0 else "_nolegend_",
                gid=f"marker-{key}-{index}",
                zorder=4,
            )
            if kind == HUMAN or name in label:
                ax.annotate(
                    name,
                    (value[0], value[3]),
                    xytext=(4, -10 if kind == MODEL else 4),
                    textcoords="offset points",
                    fontsize=8,
                    color=style["color"],
                    zorder=5,
                )
    models = np.array([p[2] for p in points if p[1] == MODEL])
    if fit and len(models) >= 2 and np.ptp(models[:, 0]) > 0:
        slope, intercept = np.polyfit(models[:, 0], models[:, 3], 1)
        xs = np.array(limits)
        ax.plot(
            xs, slope * xs + intercept, color="tab:red", linewidth=1, label="Linear fit (models)"
        )
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(color="lightgray", linewidth=0.5)
    ax.set_title(title)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.legend(loc="upper left", fontsize=8, frameon=False)


def figure1(
    results: Mapping[str, Any],
    *,
    format: str = "svg",
    original: str = IMAGENET_VAL,
    shifted: str = IMAGENETV2,
    panels: Sequence[tuple[str, str]] = PANELS,
    label: Collection[str] = (),
    fit: bool = True,
    dpi: int = 150,
) -> bytes:
    """Figure 1 as SVG or PNG bytes, from the results JSON (`Scores.to_json()`).

    One panel per (subset, title) in `panels` (default: all classes and objects only; a subset
    the results lack is drawn empty). Humans are labelled with their names, models only when
    named in `label`. `fit` adds the least-squares line through the models.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    figure = Figure(figsize=(5.5 * len(panels), 5.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (subset, title) in zip(axes, panels, strict=True):
        _panel(
            ax,
            _points(results, subset, original, shifted),
            key=subset,
            title=title,
            x_label=f"{SOURCE_TITLES.get(original, original)} multi-label accuracy (%)",
            y_label=f"{SOURCE_TITLES.get(shifted, shifted)} multi-label accuracy (%)",
            label=label,
            fit=fit,
        )
    buffer = io.BytesIO()
    # Text stays text in the SVG (searchable, readable by screen readers); a fixed hash salt and
    # no date make the same results give the same bytes.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "figure1"}):
        figure.savefig(
            buffer,
            format=format,
            dpi=dpi,
            metadata={"Date": None} if format == "svg" else {"Software": None},
        )
    return buffer.getvalue()
