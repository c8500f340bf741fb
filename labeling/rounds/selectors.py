"""Reads for rounds: assignments with their progress, items by position, answers."""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from labeling.accounts.roles import Role, user_roles
from labeling.images.models import Image
from labeling.rounds.models import Answer, Assignment, Round, RoundImage, RoundState, Serving
from labeling.sql import column, loaded, quote, table

MAX_ID = 2**63 - 1  # the largest id a BigAutoField holds


def _per_round(model, aggregate) -> Coalesce:
    """An aggregate over `model`'s rows of the outer round row (0 when there are none), as a
    subquery: no join multiplies the outer rows."""
    rows = (
        model.objects.filter(round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(n=aggregate)
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def assignment_for(*, round_id: int, user: User | AnonymousUser) -> Assignment | None:
    """The user's assignment to the round, with the round, in one query; None if the round does
    not exist, is not assigned to them, or they are no longer an annotator (only annotators
    label: a role taken away ends their work at once).

    The roles are the request's own (authentication reads them with the user). The statement is
    written out: every labeling and review request starts here."""
    # An id beyond the column's range fails in the database (an address such as
    # /api/rounds/99999999999999999999/next/ was a 500): no round has it.
    if not user.is_authenticated or not 0 < round_id <= MAX_ID:
        return None
    if Role.ANNOTATOR not in user_roles(user):
        return None
    assignment_fields = list(Assignment._meta.concrete_fields)
    round_fields = list(Round._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(_assignment_sql(connection.vendor), [round_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(assignment_fields)
    assignment = Assignment.from_db(connection.alias, *loaded(assignment_fields, row[:n]))
    assignment.round = Round.from_db(connection.alias, *loaded(round_fields, row[n:]))
    return assignment


@functools.cache
def _assignment_sql(vendor: str) -> str:
    columns = [f"a.{quote(f.column)}" for f in Assignment._meta.concrete_fields]
    columns += [f"r.{quote(f.column)}" for f in Round._meta.concrete_fields]
    return (
        f"SELECT {', '.join(columns)} FROM {table(Assignment)} a "
        f"JOIN {table(Round)} r ON r.{column(Round, 'id')} = a.{column(Assignment, 'round')} "
        f"WHERE a.{column(Assignment, 'round')} = %s AND a.{column(Assignment, 'user')} = %s"
    )


def round_items_at(
    *, round_id: int, positions: list[int], served_to: int | None = None
) -> dict[int, RoundImage]:
    """The round's items at these positions (with their image's public id), by position. With
    `served_to` (a labeler's id) each item also carries `served_at`, when it was first served to
    that labeler (None if never), from the same query.

    Written out as SQL: it runs on every `next` and every answer, and the ORM took longer to
    build the query (with the serving as a correlated subquery) than the database to run it."""
    served_at = Serving._meta.get_field("served_at")
    with connection.cursor() as cursor:
        cursor.execute(
            _items_sql(connection.vendor, len(positions)),
            [served_to, round_id, *positions],
        )
        rows = cursor.fetchall()
    found = {}
    for item_id, position, public_id, image_id, image_public_id, served in rows:
        item = RoundImage.from_db(
            connection.alias,
            ["id", "round_id", "image_id", "position", "public_id"],
            [item_id, round_id, image_id, position, public_id],
        )
        item.image = Image.from_db(
            connection.alias, ["id", "public_id"], [image_id, image_public_id]
        )
        if served_to is not None:
            item.served_at = loaded([served_at], [served])[1][0]  # type: ignore[attr-defined]
        found[position] = item
    return found


@functools.cache
def _items_sql(vendor: str, count: int) -> str:
    """round_items_at's statement for a database vendor and a number of positions, made once.
    Without a labeler (`served_to` NULL) the serving join finds nothing."""
    ri_id, image_fk = column(RoundImage, "id"), column(RoundImage, "image")
    return (
        f"SELECT ri.{ri_id}, ri.{column(RoundImage, 'position')}, "
        f"ri.{column(RoundImage, 'public_id')}, ri.{image_fk}, "
        f"i.{column(Image, 'public_id')}, sv.{column(Serving, 'served_at')} "
        f"FROM {table(RoundImage)} ri "
        f"JOIN {table(Image)} i ON i.{column(Image, 'id')} = ri.{image_fk} "
        f"LEFT JOIN {table(Serving)} sv ON sv.{column(Serving, 'round_image')} = ri.{ri_id} "
        f"AND sv.{column(Serving, 'labeler')} = %s "
        f"WHERE ri.{column(RoundImage, 'round')} = %s "
        f"AND ri.{column(RoundImage, 'position')} IN ({', '.join(['%s'] * count)})"
    )


def round_get(*, round_id: int) -> Round | None:
    return Round.objects.filter(pk=round_id).first()


@dataclass(frozen=True)
class RoundSummary:
    round: Round
    done: int
    total: int
    labelers: int


def rounds_for(*, user: User | AnonymousUser) -> list[RoundSummary]:
    """The rounds a user may list, newest first, with progress.

    An annotator gets the open and closed rounds assigned to them (drafts are still being
    prepared) with their own progress. Admins and researchers get every round, with progress over
    all its labelers: answers given out of images x labelers.
    """
    roles = user_roles(user)
    if roles & {Role.ADMIN, Role.RESEARCHER}:
        rounds = Round.objects.annotate(
            answered=_per_round(Assignment, Sum("answered")),
            labelers=_per_round(Assignment, Count("*")),
        )
        return [
            RoundSummary(
                round=r, done=r.answered, total=r.image_count * r.labelers, labelers=r.labelers
            )
            for r in rounds
        ]
    if Role.ANNOTATOR not in roles:
        return []
    return rounds_assigned_to(user=user)


def rounds_assigned_to(*, user: User | AnonymousUser) -> list[RoundSummary]:
    """The open and closed rounds assigned to the user, newest first, with their own progress
    (drafts are still being prepared): what their home page lists, whatever other roles they
    have."""
    if not user.is_authenticated:
        return []
    assignments = (
        Assignment.objects.select_related("round")
        .filter(user=user, round__state__in=[RoundState.OPEN, RoundState.CLOSED])
        .order_by("-round__created_at", "-round_id")
    )
    return [
        RoundSummary(round=a.round, done=a.answered, total=a.round.image_count, labelers=1)
        for a in assignments
    ]


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    median_active_seconds: float | None
    eta_seconds: float | None  # the labeler's own median x the images left


def assignment_progress(*, assignment: Assignment) -> Progress:
    """How far the labeler is, and how long the rest should take at their own median pace."""
    total = assignment.round.image_count
    times = list(
        Answer.objects.filter(
            round_image__round_id=assignment.round_id,
            labeler_id=assignment.user_id,
            active_time__isnull=False,
        ).values_list("active_time", flat=True)
    )
    median = statistics.median(t.total_seconds() for t in times if t is not None) if times else None
    left = max(0, total - assignment.answered)
    return Progress(
        done=assignment.answered,
        total=total,
        median_active_seconds=median,
        eta_seconds=None if median is None else median * left,
    )


@dataclass(frozen=True)
class LabelerProgress:
    assignment: Assignment
    progress: Progress


def round_labelers_progress(*, round: Round) -> list[LabelerProgress]:
    """Every labeler of the round with their progress, by username (for the admin)."""
    assignments = (
        Assignment.objects.filter(round=round)
        .select_related("user", "round")
        .order_by("user__username")
    )
    return [
        LabelerProgress(assignment=a, progress=assignment_progress(assignment=a))
        for a in assignments
    ]


def answers_of_round(*, round: Round, labeler: str | None = None) -> QuerySet[Answer]:
    """The round's answers in the order they were first given, with labeler and image; only
    `labeler`'s (a username) if given."""
    answers = Answer.objects.filter(round_image__round=round).select_related(
        "labeler", "round_image__image"
    )
    if labeler is not None:
        answers = answers.filter(labeler__username=labeler)
    return answers.order_by("id")
