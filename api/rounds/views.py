"""The rounds API: what the labeling screen (and load tests, and scripts) use.

Annotators reach only their own assigned rounds: any other round is a 404, so its existence is
not revealed. A well-formed request the round's state does not allow is a 409.
"""

from __future__ import annotations

from collections.abc import Sequence

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import MAX_PAGE_SIZE, PAGE_SIZE
from api.rounds import serializers as s
from api.schema import NO_SUCH_PAGE, error_responses
from labeling.accounts.permissions import HasAnyRole
from labeling.accounts.roles import Role, user_roles
from labeling.review.payloads import review_next_item_data
from labeling.review.services import (
    REVIEW_KINDS,
    candidate_add,
    judgment_record,
    review_flag_record,
)
from labeling.rounds.events import MAX_EVENTS_BYTES
from labeling.rounds.models import Assignment, RoundKind
from labeling.rounds.payloads import next_item_data, previous_item_data
from labeling.rounds.selectors import (
    answers_of_round,
    assignment_for,
    assignment_progress,
    round_get,
    rounds_for,
)
from labeling.rounds.services import answer_submit, item_previous, item_serve
from labeling.training.selectors import answer_feedback

# The whole request may hold the largest allowed events plus the other fields.
MAX_ANSWER_BODY = MAX_EVENTS_BYTES + 16 * 1024
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="1-100 printable characters, new for every answer; a retry sends the same key",
)


def _content_length(request: Request) -> int:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    return int(raw) if raw.isdigit() else 0


class RoundsAPIMixin(APIView):
    # The labeling endpoints need only a login: the caller's assignment is the permission (it
    # exists only for annotators), and without one the round is a 404.
    permission_classes: Sequence[type[BasePermission]] = [IsAuthenticated]


def assignment_or_404(request: Request, round_id: int) -> Assignment:
    """The caller's assignment to the round; 404 for anyone else (the round stays unknown)."""
    assignment = assignment_for(round_id=round_id, user=request.user)
    if assignment is None:
        raise exceptions.NotFound("No such round among yours.")
    return assignment


class RoundListView(RoundsAPIMixin, generics.GenericAPIView):
    """The caller's rounds, newest first: an annotator's assigned open and closed rounds with
    their own progress; every round for admins and researchers."""

    serializer_class = s.RoundSerializer
    permission_classes = [IsAuthenticated, HasAnyRole]

    @extend_schema(
        responses={200: s.RoundSerializer(many=True), **error_responses(401, 403), **NO_SUCH_PAGE}
    )
    def get(self, request: Request) -> Response:
        summaries = rounds_for(user=request.user)
        page = self.paginate_queryset(summaries)
        return self.get_paginated_response(s.RoundSerializer(page, many=True).data)


class NextItemView(RoundsAPIMixin, APIView):
    """The caller's current item (recording when it was first served), or done."""

    @extend_schema(
        responses={200: s.ReviewNextItemSerializer, **error_responses(401, 403, 404, 409)},
        description="In a review round the item also lists its `candidates`.",
    )
    def get(self, request: Request, round_id: int) -> Response:
        assignment = assignment_or_404(request, round_id)
        served = item_serve(assignment=assignment)
        if assignment.round.kind in REVIEW_KINDS:
            return Response(review_next_item_data(served, request, reviewer_id=assignment.user_id))
        return Response(next_item_data(served, request))


class PreviousItemView(RoundsAPIMixin, APIView):
    """The caller's previous item while its answer may still be changed."""

    @extend_schema(responses={200: s.PreviousItemSerializer, **error_responses(401, 403, 404, 409)})
    def get(self, request: Request, round_id: int) -> Response:
        item = item_previous(assignment=assignment_or_404(request, round_id))
        if item is None:
            raise exceptions.NotFound("There is no previous answer you may change now.")
        return Response(previous_item_data(item, request))


class ProgressView(RoundsAPIMixin, APIView):
    """The caller's progress in the round and the time left at their own median pace."""

    @extend_schema(responses={200: s.ProgressSerializer, **error_responses(401, 403, 404)})
    def get(self, request: Request, round_id: int) -> Response:
        progress = assignment_progress(assignment=assignment_or_404(request, round_id))
        return Response(s.ProgressSerializer(progress).data)


class AnswerCursorPagination(CursorPagination):
    # AnswerQuerySerializer has checked the page size by the time this reads it.
    ordering = "id"
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class AnswersView(RoundsAPIMixin, generics.GenericAPIView):
    """POST: the caller answers their current item (or changes their previous answer).
    GET: every answer of the round, for admins and researchers."""

    pagination_class = AnswerCursorPagination
    serializer_class = s.AnswerSerializer

    @extend_schema(
        parameters=[s.AnswerQuerySerializer],
        responses={200: s.AnswerSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, round_id: int) -> Response:
        if not user_roles(request.user) & {Role.ADMIN, Role.RESEARCHER}:
            raise exceptions.PermissionDenied("Only admins and researchers may read answers.")
        query = s.AnswerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        round = round_get(round_id=round_id)
        if round is None:
            raise exceptions.NotFound("No such round.")
        answers = answers_of_round(round=round, labeler=query.validated_data.get("labeler"))
        page = self.paginate_queryset(answers)
        return self.get_paginated_response(s.AnswerSerializer(page, many=True).data)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.AnswerRequestSerializer,
        responses={
            201: s.AnswerResponseSerializer,
            200: s.AnswerResponseSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
        description="201 for a new answer; 200 for a repeated request (same Idempotency-Key "
        "and body: nothing is written again) or a changed previous answer.",
    )
    def post(self, request: Request, round_id: int) -> Response:
        assignment = assignment_or_404(request, round_id)
        if _content_length(request) > MAX_ANSWER_BODY:
            raise exceptions.ValidationError(
                {"detail": f"The request is larger than {MAX_ANSWER_BODY:,} bytes."}
            )
        body = s.AnswerRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The answer and serving the next item happen in one transaction (one commit).
        outcome = answer_submit(
            assignment=assignment,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **body.validated_data,
        )
        data = s.answer_response_data(
            outcome.log, outcome.answer, next_item_data(outcome.next, request)
        )
        if assignment.round.kind == RoundKind.TRAINING:
            # Training reveals the answer at once; an evaluation round never does.
            data["feedback"] = answer_feedback(
                image_id=outcome.answer.round_image.image_id, chosen=outcome.log.synset_id
            ).as_dict()
        code = status.HTTP_201_CREATED if outcome.status == "created" else status.HTTP_200_OK
        return Response(data, status=code)


class JudgmentsView(RoundsAPIMixin, APIView):
    """POST: in a review round, the caller judges a candidate, adds a class to an item, or flags
    an item problematic. An item is done once every candidate has the caller's verdict."""

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.JudgmentRequestSerializer,
        responses={
            201: s.JudgmentResponseSerializer,
            200: s.JudgmentResponseSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
        description="201 the first time; 200 for a repeated request (same Idempotency-Key and "
        "body: nothing is written again); 409 for an item that is not the caller's (yet), a "
        "round that is not an open review round, or a key reused for another body.",
    )
    def post(self, request: Request, round_id: int) -> Response:
        assignment = assignment_or_404(request, round_id)
        body = s.JudgmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = body.validated_data
        key = request.headers.get("Idempotency-Key")
        if "verdict" in given:
            outcome = judgment_record(
                assignment=assignment,
                candidate=given["candidate"],
                verdict=given["verdict"],
                idempotency_key=key,
            )
        elif "add_wnid" in given:
            outcome = candidate_add(
                assignment=assignment,
                item=given["item"],
                wnid=given["add_wnid"],
                idempotency_key=key,
            )
        else:
            outcome = review_flag_record(
                assignment=assignment,
                item=given["item"],
                reason=given["problematic"],
                idempotency_key=key,
            )
        data = {
            **outcome.result,
            "next": review_next_item_data(outcome.next, request, reviewer_id=assignment.user_id),
        }
        code = status.HTTP_201_CREATED if outcome.status == "created" else status.HTTP_200_OK
        return Response(data, status=code)
