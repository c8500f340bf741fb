"""The learning curve as SVG: a labeler's accuracy per group across their training rounds.

Drawn on a bare `matplotlib.figure.Figure` with the Agg canvas (no pyplot), as the scoring
figures are: nothing global survives a call, so it is safe in a web process."""

from __future__ import annotations

import io

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from labeling.taxonomy.models import ClassGroup

GROUP_STYLE = {
    ClassGroup.DOG.value: ("tab:orange", "s"),
    ClassGroup.ORGANISM.value: ("tab:green", "D"),
    ClassGroup.OBJECT.value: ("tab:blue", "o"),
}


def learning_curve_svg(curve: dict[str, list[tuple[str, float, int]]]) -> str:
    """One line per group: accuracy (%) in each round, rounds in the order taken."""
    figure = Figure(figsize=(6.4, 3.4))
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    rounds: list[str] = []
    for points in curve.values():
        rounds += [name for name, _, _ in points if name not in rounds]
    labels = dict(ClassGroup.choices)
    for group, points in curve.items():
        color, marker = GROUP_STYLE.get(group, ("tab:gray", "o"))
        ax.plot(
            [rounds.index(name) for name, _, _ in points],
            [100 * accuracy for _, accuracy, _ in points],
            color=color,
            marker=marker,
            label=f"{labels.get(group, group)}",
        )
    ax.set_xticks(range(len(rounds)), rounds, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 102)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Training accuracy per round")
    ax.grid(alpha=0.3)
    if curve:
        ax.legend(loc="lower right", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no training answers yet", ha="center", transform=ax.transAxes)
    figure.tight_layout()
    out = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "learning-curve"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
