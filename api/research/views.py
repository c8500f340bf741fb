"""The researchers' API: read-only research data (images, classes, final labels and the
reviewers' judgments behind them, human and model predictions, rounds), a round's scores and its
export bundle. Admins and researchers only.

Every list is read in pages of id order (`next` carries an opaque cursor), or whole as a stream
with `?format=csv` or `?format=jsonl` (flat memory however many rows).
"""

from __future__ import annotations

import tempfile
from functools import cache
from typing import Any, ClassVar

from django.http import FileResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from api.research import serializers as s
from api.research.permissions import IsResearcherOrAdmin
from api.research.streaming import CSVRenderer, JSONLinesRenderer, stream_response
from api.schema import ErrorSerializer, error_responses
from labeling.research import selectors as tables
from labeling.research.exports import FORMATS, bundle_write
from labeling.research.selectors import Table
from labeling.rounds.models import Round
from labeling.rounds.selectors import round_get

RESEARCH_PERMISSIONS = [IsAuthenticated, IsResearcherOrAdmin]
LIST_PARAMETERS = ("format", "cursor", "page_size")


def round_or_404(round_id: int) -> Round:
    round = round_get(round_id=round_id)
    if round is None:
        raise exceptions.NotFound("No such round.")
    return round


@cache  # one component per row shape in the schema
def _page_serializer(name: str, row: type[serializers.Serializer]) -> serializers.Serializer:
    return inline_serializer(
        f"{name}Page",
        {
            "next": serializers.URLField(
                allow_null=True, help_text="the following page; null on the last"
            ),
            "results": row(many=True),
        },
    )


# DRF's content negotiation answers 404 for a `?format=` no renderer of the list takes.
NO_SUCH_FORMAT = "no such format (`?format=` other than json, csv, jsonl)"


def list_schema(
    query: type[serializers.Serializer], row: type[serializers.Serializer], *, missing: str = ""
) -> Any:
    """The list's schema; `missing` names what a path parameter can fail to find (a 404)."""
    not_found = (
        f"No such {missing}, or {NO_SUCH_FORMAT}" if missing else NO_SUCH_FORMAT.capitalize()
    )
    return extend_schema(
        tags=["research"],
        parameters=[query],
        responses={
            (200, "application/json"): _page_serializer(
                row.__name__.removesuffix("Serializer"), row
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the whole list"),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="the whole list, one JSON object a line"
            ),
            **error_responses(400, 401, 403),
            404: OpenApiResponse(response=ErrorSerializer, description=not_found),
        },
    )


class ResearchListView(APIView):
    """Base of the research lists: a query serializer of filters and the table they select."""

    permission_classes = RESEARCH_PERMISSIONS
    # No browsable API page: every answer is one of the documented formats (a person reads the
    # lists in the API docs page).
    renderer_classes = [JSONRenderer, CSVRenderer, JSONLinesRenderer]
    query_serializer: ClassVar[type[s.ListQuerySerializer]]

    def table(self, **filters: Any) -> Table:
        raise NotImplementedError

    def get(self, request: Request, **kwargs: Any) -> HttpResponseBase:
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = dict(query.validated_data)
        filters = {k: v for k, v in options.items() if k not in LIST_PARAMETERS}
        table = self.table(**filters, **kwargs)
        format = request.accepted_renderer.format
        if format in FORMATS:
            return stream_response(table, format, filename=table.name)
        rows, last = table.page(after=options.get("cursor"), size=options["page_size"])
        url = request.build_absolute_uri()
        return Response(
            {
                "next": None
                if last is None
                else replace_query_param(url, "cursor", s.cursor_encode(last)),
                "results": [dict(zip(table.columns, row, strict=True)) for row in rows],
            }
        )


@extend_schema_view(get=list_schema(s.ImageQuerySerializer, s.ImageRowSerializer))
class ImagesView(ResearchListView):
    """The images: source, original label, whether problematic (and why)."""

    query_serializer = s.ImageQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.images_table(**filters)


@extend_schema_view(get=list_schema(s.ClassQuerySerializer, s.ClassRowSerializer))
class ClassesView(ResearchListView):
    """The 1000 classes with their group and every path from the root of the hierarchy."""

    query_serializer = s.ClassQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.classes_table(**filters)


@extend_schema_view(get=list_schema(s.LabelQuerySerializer, s.LabelRowSerializer))
class LabelsView(ResearchListView):
    """The final labels: the current verdict (correct, wrong, unclear) per image and class."""

    query_serializer = s.LabelQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.labels_table(**filters)


@extend_schema_view(get=list_schema(s.HumanPredictionQuerySerializer, s.PredictionRowSerializer))
class HumanPredictionsView(ResearchListView):
    """Labelers' answers as predictions, in the models' row shape (labelers by pseudonym)."""

    query_serializer = s.HumanPredictionQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.human_predictions_table(**filters)


@extend_schema_view(
    get=list_schema(
        s.RoundHumanPredictionQuerySerializer, s.PredictionRowSerializer, missing="round"
    )
)
class RoundHumanPredictionsView(ResearchListView):
    """One round's human predictions (as /api/research/human-predictions/?round=R)."""

    query_serializer = s.RoundHumanPredictionQuerySerializer

    def table(self, **filters: Any) -> Table:
        round = round_or_404(filters.pop("round_id"))
        return tables.human_predictions_table(round=round.pk, **filters)


@extend_schema_view(get=list_schema(s.ModelPredictionQuerySerializer, s.PredictionRowSerializer))
class ModelPredictionsView(ResearchListView):
    """Models' predictions (every rank stored), in the humans' row shape."""

    query_serializer = s.ModelPredictionQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.model_predictions_table(**filters)


@extend_schema_view(get=list_schema(s.JudgmentQuerySerializer, s.JudgmentRowSerializer))
class JudgmentsView(ResearchListView):
    """Each reviewer's verdict on each candidate class of an image, per review round
    (reviewers by pseudonym); the final labels are what these verdicts came to."""

    query_serializer = s.JudgmentQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.judgments_table(**filters)


@extend_schema_view(get=list_schema(s.RoundQuerySerializer, s.RoundRowSerializer))
class RoundsView(ResearchListView):
    """Every round with its seed, image count and number of labelers."""

    query_serializer = s.RoundQuerySerializer

    def table(self, **filters: Any) -> Table:
        return tables.rounds_table(**filters)


class ExportView(APIView):
    """The round's export bundle: a zip of its images, classes, final labels, human and model
    predictions, the reviewers' judgments (in the round or a final review of it) and the round
    (CSV, or JSON Lines with `?tables=jsonl`), `scores.json`, and `manifest.json` giving each
    file's size and SHA-256."""

    permission_classes = RESEARCH_PERMISSIONS

    @extend_schema(
        tags=["research"],
        parameters=[s.ExportQuerySerializer],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request, round_id: int) -> HttpResponseBase:
        query = s.ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        round = round_or_404(round_id)
        # A temporary file, not memory: a round's model predictions can run to millions of rows.
        file = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
        bundle_write(round=round, file=file, format=query.validated_data["tables"])
        file.seek(0)
        return FileResponse(
            file,
            as_attachment=True,
            filename=f"round-{round.pk}-export.zip",
            content_type="application/zip",
        )


class ScoresView(APIView):
    """Every participant's multi-label accuracy in the round, per image source and subset, with
    95% Clopper-Pearson intervals: the labelers on their answers, the models on their top-1
    predictions for the round's images, against the final labels (problematic images left out,
    unclear counted as wrong). The same JSON as `manage.py score --round R`."""

    permission_classes = RESEARCH_PERMISSIONS

    @extend_schema(
        tags=["research"],
        parameters=[s.ScoresQuerySerializer],
        responses={200: s.ScoresSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, round_id: int) -> Response:
        query = s.ScoresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        round = round_or_404(round_id)
        # Imported here: scoring brings numpy and scipy, which the list endpoints never need.
        from labeling.scoring.selectors import round_scores

        return Response(round_scores(round=round, **query.validated_data))
