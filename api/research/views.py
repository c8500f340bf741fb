"""The researchers' API: read-only research data of rounds (scores, predictions, exports)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.research import serializers as s
from api.research.permissions import IsResearcherOrAdmin
from api.schema import error_responses
from labeling.rounds.models import Round
from labeling.rounds.selectors import round_get
from labeling.scoring.selectors import round_scores

RESEARCH_PERMISSIONS = [IsAuthenticated, IsResearcherOrAdmin]


def round_or_404(round_id: int) -> Round:
    round = round_get(round_id=round_id)
    if round is None:
        raise exceptions.NotFound("No such round.")
    return round


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
        return Response(round_scores(round=round, **query.validated_data))
