"""Shapes of the researchers' API (query parameters and documented payloads)."""

from __future__ import annotations

import base64

from rest_framework import serializers

from api.pagination import page_size_field
from labeling.research.selectors import PSEUDONYM_PREFIX
from labeling.review.models import CandidateOrigin, LabelState, Verdict
from labeling.rounds.models import RoundKind, RoundState
from labeling.rounds.selectors import MAX_ID
from labeling.taxonomy.models import ClassGroup

PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10_000


class ScoresQuerySerializer(serializers.Serializer):
    fast_threshold = serializers.FloatField(
        required=False,
        min_value=0,
        help_text="an image is fast if the median of its human active seconds is at most this "
        "(default 60)",
    )


class ScoreCellSerializer(serializers.Serializer):
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="a fraction; null if total is 0")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()


class ParticipantScoresSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="labeler-<id> for a human, the model's name")
    kind = serializers.CharField(help_text="human or model")
    scores = serializers.DictField(
        child=serializers.DictField(child=ScoreCellSerializer()),
        help_text="{source: {subset: score}}; subsets all, without_dogs, objects_only, fast",
    )


class ScoresSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    participants = ParticipantScoresSerializer(many=True)


class ListQuerySerializer(serializers.Serializer):
    """What every research list takes besides its filters."""

    format = serializers.ChoiceField(
        choices=["json", "csv", "jsonl"],
        required=False,
        help_text="json (pages, the default), or the whole list streamed as csv or jsonl",
    )
    cursor = serializers.CharField(
        required=False, help_text="from the previous page's `next`; absent for the first page"
    )
    page_size = page_size_field(maximum=MAX_PAGE_SIZE, default=PAGE_SIZE)

    def validate_cursor(self, value: str) -> int:
        try:
            return cursor_decode(value)
        except ValueError:
            raise serializers.ValidationError("Not a cursor this API gave out.") from None


def cursor_encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(cursor) from None
    prefix, _, number = text.partition(":")
    if prefix != "after" or not number.isdigit():
        raise ValueError(cursor)
    return int(number)


GROUP = serializers.ChoiceField(
    choices=ClassGroup.choices, required=False, help_text="the original label's class group"
)
SOURCE = serializers.CharField(
    required=False, help_text="image source, e.g. imagenet-val, imagenetv2-matched-frequency"
)


def round_field(help_text: str) -> serializers.IntegerField:
    # Bounded: an id no row can have would otherwise reach the database as a number it cannot
    # hold (a 500).
    return serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=help_text
    )


ROUND = round_field("only the images of this round")


class ImageQuerySerializer(ListQuerySerializer):
    round = ROUND
    source = SOURCE  # type: ignore[assignment]  # a field named like Field.source
    group = GROUP


class ClassQuerySerializer(ListQuerySerializer):
    group = serializers.ChoiceField(choices=ClassGroup.choices, required=False)


class LabelQuerySerializer(ImageQuerySerializer):
    state = serializers.ChoiceField(choices=LabelState.choices, required=False)


def pseudonym_user_id(value: str) -> int:
    """The user id behind a pseudonym (labeler-<id>), or a 400."""
    number = value.removeprefix(PSEUDONYM_PREFIX)
    if not (number.isdigit() and int(number) <= MAX_ID):
        raise serializers.ValidationError(f"A person is named {PSEUDONYM_PREFIX}<number>.")
    return int(number)


class HumanPredictionQuerySerializer(ImageQuerySerializer):
    round = round_field("answers given in this round")
    labeler = serializers.CharField(required=False, help_text="a pseudonym, e.g. labeler-12")

    def validate_labeler(self, value: str) -> int:
        return pseudonym_user_id(value)


class JudgmentQuerySerializer(ListQuerySerializer):
    round = round_field("verdicts given in this round")
    reviewer = serializers.CharField(
        required=False, help_text="a pseudonym, e.g. labeler-12 (the same as in predictions)"
    )
    image = serializers.CharField(
        required=False, help_text="ImageNet val file name or ImageNetV2 id"
    )
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)

    def validate_reviewer(self, value: str) -> int:
        return pseudonym_user_id(value)


class RoundHumanPredictionQuerySerializer(HumanPredictionQuerySerializer):
    round = None  # type: ignore[assignment]  # the round is in the address


class ModelPredictionQuerySerializer(ImageQuerySerializer):
    model = serializers.CharField(required=False, help_text="the model's name")


class RoundQuerySerializer(ListQuerySerializer):
    kind = serializers.ChoiceField(choices=RoundKind.choices, required=False)
    state = serializers.ChoiceField(choices=RoundState.choices, required=False)


class ImageRowSerializer(serializers.Serializer):
    image = serializers.CharField(help_text="ImageNet val file name or ImageNetV2 id")
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    original_label = serializers.CharField(help_text="wnid")
    original_index = serializers.IntegerField()
    group = serializers.CharField()
    problematic = serializers.BooleanField()
    problematic_reason = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()


class ClassRowSerializer(serializers.Serializer):
    wnid = serializers.CharField()
    index = serializers.IntegerField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    group = serializers.CharField()
    paths = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="every root-to-class path as wnids (CSV: wnids joined by >, paths by |)",
    )


class LabelRowSerializer(serializers.Serializer):
    image = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    wnid = serializers.CharField()
    index = serializers.IntegerField()
    state = serializers.CharField(help_text="correct, wrong or unclear")
    updated_at = serializers.DateTimeField()


class PredictionRowSerializer(serializers.Serializer):
    """A human's answer or a model's prediction: one shape for both."""

    round = serializers.IntegerField(allow_null=True)
    participant = serializers.CharField(help_text="labeler-<id> for a human, the model's name")
    kind = serializers.CharField(help_text="human or model")
    image = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    wnid = serializers.CharField()
    rank = serializers.IntegerField(help_text="1 for a human")
    score = serializers.FloatField(allow_null=True)
    served_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    active_seconds = serializers.FloatField(allow_null=True)
    picker = serializers.CharField(help_text="how a human found the class; empty for models")


class JudgmentRowSerializer(serializers.Serializer):
    round = serializers.IntegerField(help_text="the review round the verdict was given in")
    reviewer = serializers.CharField(help_text="labeler-<id>")
    image = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.source
    wnid = serializers.CharField(help_text="the candidate class")
    index = serializers.IntegerField()
    verdict = serializers.CharField(help_text=", ".join(Verdict.values))
    candidate_origin = serializers.CharField(
        help_text="where the candidate came from: " + ", ".join(CandidateOrigin.values)
    )
    judged_at = serializers.DateTimeField(help_text="when the reviewer last gave this verdict")


class RoundRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=", ".join(RoundKind.values))
    state = serializers.CharField(help_text=", ".join(RoundState.values))
    seed = serializers.IntegerField(allow_null=True)
    image_count = serializers.IntegerField()
    labelers = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class ExportQuerySerializer(serializers.Serializer):
    tables = serializers.ChoiceField(
        choices=["csv", "jsonl"], default="csv", help_text="the format of the tables in the zip"
    )
