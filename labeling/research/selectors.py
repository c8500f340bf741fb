"""The research tables: each a filtered queryset of flat rows with fixed columns, read in id
order by keyset (REST pages) or streamed whole (CSV, JSON Lines, the export bundle).

Humans and models come in one row shape (PREDICTION_COLUMNS), so one scorer treats both as
participants: a human's `participant` is their pseudonym (`labeler-<id>`), a model's its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Expression,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat

from labeling.images.models import Image
from labeling.predictions.models import ModelPrediction
from labeling.review.models import ImageLabel, Judgment
from labeling.rounds.models import Answer, Round
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot

Row = tuple[Any, ...]
PSEUDONYM_PREFIX = "labeler-"


def labeler_pseudonym(user_id: int) -> str:
    """How a labeler is named in scores and research exports: stable, and says nothing of who
    they are (usernames stay with admins)."""
    return f"{PSEUDONYM_PREFIX}{user_id}"


PREDICTION_COLUMNS = (
    "round",
    "participant",
    "kind",
    "image",
    "source",
    "wnid",
    "rank",
    "score",
    "served_at",
    "answered_at",
    "active_seconds",
    "picker",
)


@dataclass(frozen=True)
class Table:
    """Rows of `columns` (each an expression over `queryset`'s model), in id order."""

    name: str
    queryset: QuerySet[Any]
    expressions: Mapping[str, Expression | F | str]
    convert: Callable[[Row], Row] | None = None
    # Columns whose text comes from people (names, reasons): CSV neutralises formulas in these.
    text_columns: tuple[str, ...] = field(default=())
    added_columns: tuple[str, ...] = field(default=())  # appended by `convert`

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.expressions, *self.added_columns)

    def _values(self, queryset: QuerySet[Any], *first: str) -> QuerySet[Any]:
        # Positional expressions: column names may equal the model's own field names.
        return queryset.values_list(*first, *self.expressions.values())

    def rows(self, *, chunk_size: int = 10_000) -> Iterator[Row]:
        """Every row, fetched `chunk_size` at a time (a server-side cursor on PostgreSQL)."""
        rows = self._values(self.queryset.order_by("id")).iterator(chunk_size=chunk_size)
        if connection.vendor == "postgresql":
            # In a transaction the server-side cursor needs no WITH HOLD, which would make
            # PostgreSQL copy the whole result before sending the first row.
            with transaction.atomic():
                yield from rows if self.convert is None else map(self.convert, rows)
        else:
            yield from rows if self.convert is None else map(self.convert, rows)

    def page(self, *, after: int | None, size: int) -> tuple[list[Row], int | None]:
        """Up to `size` rows with ids above `after`, and the last id when more follow."""
        queryset = self.queryset if after is None else self.queryset.filter(pk__gt=after)
        fetched = list(self._values(queryset.order_by("id"), "id")[: size + 1])
        more = len(fetched) > size
        fetched = fetched[:size]
        rows = [row[1:] for row in fetched]
        if self.convert is not None:
            rows = [self.convert(row) for row in rows]
        return rows, (fetched[-1][0] if more else None)

    def filtered(self, condition: Q) -> Table:
        return replace(self, queryset=self.queryset.filter(condition))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def _plain_row(row: Row) -> Row:
    return tuple(_plain(value) for value in row)


def _image_filters(prefix: str, *, round: int | None, source: str | None, group: str | None) -> Q:
    """Filters on the image behind a row (`prefix` is the path to it, "" for an image)."""
    condition = Q()
    if round is not None:
        condition &= Q(**{f"{prefix}round_items__round_id": round})
    if source:
        condition &= Q(**{f"{prefix}source__slug": source})
    if group:
        condition &= Q(**{f"{prefix}original_label__group": group})
    return condition


def images_table(
    *, round: int | None = None, source: str | None = None, group: str | None = None
) -> Table:
    return Table(
        name="images",
        queryset=Image.objects.filter(_image_filters("", round=round, source=source, group=group)),
        expressions={
            "image": F("original_name"),
            "source": F("source__slug"),
            "original_label": F("original_label_id"),
            "original_index": F("original_label__class_index"),
            "group": F("original_label__group"),
            "problematic": F("problematic"),
            "problematic_reason": F("problematic_reason"),
            "width": F("width"),
            "height": F("height"),
            "sha256": F("sha256"),
        },
        text_columns=("image", "problematic_reason"),
    )


def _with_paths(row: Row) -> Row:
    """The class row with every root-to-class path as a list of wnids."""
    snapshot = taxonomy_snapshot()
    paths = [[node.wnid for node in path] for path in snapshot.paths(row[0])]
    return (*row, paths)


def classes_table(*, group: str | None = None) -> Table:
    queryset = Synset.objects.classes()
    if group:
        queryset = queryset.filter(group=group)
    return Table(
        name="classes",
        queryset=queryset,
        expressions={
            "wnid": F("wnid"),
            "index": F("class_index"),
            "name": F("name"),
            "display_name": F("display_name"),
            "group": F("group"),
        },
        convert=_with_paths,
        added_columns=("paths",),
    )


def labels_table(
    *,
    round: int | None = None,
    source: str | None = None,
    group: str | None = None,
    state: str | None = None,
) -> Table:
    """The final labels: the current state of every (image, class) judged."""
    queryset = ImageLabel.objects.filter(
        _image_filters("image__", round=round, source=source, group=group)
    )
    if state:
        queryset = queryset.filter(state=state)
    return Table(
        name="labels",
        queryset=queryset,
        expressions={
            "image": F("image__original_name"),
            "source": F("image__source__slug"),
            "wnid": F("synset__wnid"),
            "index": F("synset__class_index"),
            "state": F("state"),
            "updated_at": F("updated_at"),
        },
        convert=_plain_row,
        text_columns=("image",),
    )


def _none(output_field: Any) -> Value:
    return Value(None, output_field=output_field)


def human_predictions_table(
    *,
    round: int | None = None,
    labeler: int | None = None,
    source: str | None = None,
    group: str | None = None,
) -> Table:
    """Answers of labelers, as predictions (rank 1, no score)."""
    queryset = Answer.objects.filter(
        _image_filters("round_image__image__", round=None, source=source, group=group)
    )
    if round is not None:
        queryset = queryset.filter(round_image__round_id=round)
    if labeler is not None:
        queryset = queryset.filter(labeler_id=labeler)
    return Table(
        name="human-predictions",
        queryset=queryset,
        expressions={
            "round": F("round_image__round_id"),
            "participant": Concat(
                Value(PSEUDONYM_PREFIX), Cast("labeler_id", CharField()), output_field=CharField()
            ),
            "kind": Value("human"),
            "image": F("round_image__image__original_name"),
            "source": F("round_image__image__source__slug"),
            "wnid": F("synset_id"),
            "rank": Value(1),
            "score": _none(FloatField()),
            "served_at": F("served_at"),
            "answered_at": F("answered_at"),
            "active_seconds": F("active_time"),
            "picker": F("picker"),
        },
        convert=_plain_row,
        text_columns=("image",),
    )


def model_predictions_table(
    *,
    round: int | None = None,
    model: str | None = None,
    source: str | None = None,
    group: str | None = None,
) -> Table:
    """Model predictions (every rank), in the humans' row shape; `round` is the round whose
    images were asked for, if any."""
    queryset = ModelPrediction.objects.filter(
        _image_filters("image__", round=round, source=source, group=group)
    )
    if model:
        queryset = queryset.filter(model__name=model)
    return Table(
        name="model-predictions",
        queryset=queryset,
        expressions={
            "round": Value(round, output_field=IntegerField()),
            "participant": F("model__name"),
            "kind": Value("model"),
            "image": F("image__original_name"),
            "source": F("image__source__slug"),
            "wnid": F("synset__wnid"),
            "rank": F("rank"),
            "score": F("score"),
            "served_at": _none(DateTimeField()),
            "answered_at": _none(DateTimeField()),
            "active_seconds": _none(FloatField()),
            "picker": Value(""),
        },
        text_columns=("participant", "image"),
    )


def judgments_table(
    *,
    round: int | None = None,
    reviewer: int | None = None,
    image: str | None = None,
    verdict: str | None = None,
) -> Table:
    """Each reviewer's own verdict on each candidate class of an image, per review round (the
    final labels are what the verdicts came to); reviewers by pseudonym, as labelers are."""
    queryset = Judgment.objects.all()
    if round is not None:
        queryset = queryset.filter(round_candidate__round_id=round)
    if reviewer is not None:
        queryset = queryset.filter(reviewer_id=reviewer)
    if image:
        queryset = queryset.filter(round_candidate__candidate__image__original_name=image)
    if verdict:
        queryset = queryset.filter(verdict=verdict)
    return Table(
        name="judgments",
        queryset=queryset,
        expressions={
            "round": F("round_candidate__round_id"),
            "reviewer": Concat(
                Value(PSEUDONYM_PREFIX), Cast("reviewer_id", CharField()), output_field=CharField()
            ),
            "image": F("round_candidate__candidate__image__original_name"),
            "source": F("round_candidate__candidate__image__source__slug"),
            "wnid": F("round_candidate__candidate__synset__wnid"),
            "index": F("round_candidate__candidate__synset__class_index"),
            "verdict": F("verdict"),
            "candidate_origin": F("round_candidate__candidate__added_by"),
            "judged_at": F("updated_at"),
        },
        convert=_plain_row,
        text_columns=("image",),
    )


def rounds_table(*, kind: str | None = None, state: str | None = None) -> Table:
    queryset = Round.objects.annotate(labelers=Count("assignments"))
    if kind:
        queryset = queryset.filter(kind=kind)
    if state:
        queryset = queryset.filter(state=state)
    return Table(
        name="rounds",
        queryset=queryset,
        expressions={
            "id": F("id"),
            "name": F("name"),
            "kind": F("kind"),
            "state": F("state"),
            "seed": F("seed"),
            "image_count": F("image_count"),
            "labelers": F("labelers"),
            "created_at": F("created_at"),
            "opened_at": F("opened_at"),
            "closed_at": F("closed_at"),
        },
        convert=_plain_row,
        text_columns=("name",),
    )
