"""The results pages: a round's Tables 1 and 2 in the study's layout and Figure 1, with
downloads (SVG, PNG, CSV). Admins and researchers."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import Role
from labeling.rounds.models import Round, RoundKind
from labeling.rounds.selectors import round_get

# The scoring modules (numpy, scipy, matplotlib) are imported in the views that use them, so a
# web process loads them on the first results request, not with the URLconf.

# The SVG is shown as an image; matplotlib writes its styles inline, which the pages' policy
# forbids, so the file gets a policy of its own: its inline styles, nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
CONTENT_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "csv": "text/csv; charset=utf-8",
}
readers = role_required(Role.ADMIN, Role.RESEARCHER)


def _round_or_404(round_id: int) -> Round:
    round = round_get(round_id=round_id)
    if round is None:
        raise Http404("No such round.")
    return round


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _kinds(results: dict[str, Any]) -> list[str]:
    """The kind of each table row: the tables list models first, then humans."""
    kinds = [p["kind"] for p in results["participants"]]
    return ["model"] * kinds.count("model") + ["human"] * kinds.count("human")


@require_safe
@readers
def results_index(request: HttpRequest) -> HttpResponse:
    rounds = Round.objects.filter(kind=RoundKind.EVALUATION).order_by("-created_at", "-id")
    return render(request, "scoring/index.html", {"rounds": rounds})


@require_safe
@readers
def results_page(request: HttpRequest, round_id: int) -> HttpResponse:
    from labeling.scoring.selectors import round_evaluation
    from labeling.scoring.tables import SUBSET_TITLES, table1_csv, table2_csv

    round = _round_or_404(round_id)
    results = round_evaluation(round=round).results()
    kinds = _kinds(results)
    table1 = _rows(table1_csv(results))
    table2 = _rows(table2_csv(results))
    subsets = [title for title in SUBSET_TITLES.values() if f"{title} Original" in table2[0]]
    return render(
        request,
        "scoring/results.html",
        {
            "round": round,
            "table1": list(zip(kinds, table1[1:], strict=True)),
            "table2": list(zip(kinds, table2[1:], strict=True)),
            "subsets": subsets,
            "humans": kinds.count("human"),
            "models": kinds.count("model"),
        },
    )


@require_safe
@readers
def results_download(request: HttpRequest, round_id: int, name: str, format: str) -> HttpResponse:
    """figure1.svg, figure1.png, table1.csv, table2.csv, scores.csv (every score, long format,
    with the unclear-sensitivity rows)."""
    from labeling.scoring.figures import figure1
    from labeling.scoring.selectors import round_evaluation
    from labeling.scoring.tables import scores_csv, table1_csv, table2_csv

    round = _round_or_404(round_id)
    evaluation = round_evaluation(round=round)
    results = evaluation.results()
    content: bytes | str
    if name == "figure1" and format in ("svg", "png"):
        content = figure1(results, format=format)
    elif name == "table1" and format == "csv":
        content = table1_csv(results)
    elif name == "table2" and format == "csv":
        content = table2_csv(results)
    elif name == "scores" and format == "csv":
        content = scores_csv(*evaluation.sensitivity().values())
    else:
        raise Http404("No such download.")
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    if format == "svg":
        response["Content-Security-Policy"] = SVG_POLICY
    if request.GET.get("download"):
        filename = f"round-{round.pk}-{name}.{format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
