"""Shapes of the rounds API. Rules (event types, limits, which item may be answered) are the
service's; these serializers check shape only and describe the payloads for the schema."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import StringField
from api.pagination import page_size_field
from labeling.review.models import Verdict
from labeling.review.services import REASON_MAX_LENGTH
from labeling.rounds.events import MAX_EVENTS, MAX_SEARCH_TEXT, EventType
from labeling.rounds.models import NOTE_MAX_LENGTH, Answer, Flag, Picker, RoundKind, RoundState
from labeling.rounds.selectors import Progress, RoundSummary


class RoundSerializer(serializers.Serializer):
    """A round with progress: the caller's own for an annotator; for admins and researchers,
    answers given out of images x labelers."""

    id = serializers.IntegerField(source="round.id")
    name = serializers.CharField(source="round.name")
    kind = serializers.ChoiceField(source="round.kind", choices=RoundKind.choices)
    state = serializers.ChoiceField(source="round.state", choices=RoundState.choices)
    done = serializers.IntegerField()
    total = serializers.IntegerField()

    def to_representation(self, summary: RoundSummary) -> dict:
        return {
            "id": summary.round.pk,
            "name": summary.round.name,
            "kind": summary.round.kind,
            "state": summary.round.state,
            "done": summary.done,
            "total": summary.total,
        }


class NextItemSerializer(serializers.Serializer):
    """The caller's current item. Once every image is answered only `done` (true), `total` and
    `can_change_previous` (whether the last answer may still be changed)."""

    item = serializers.CharField(required=False, help_text="opaque id of the item to answer")
    image = serializers.URLField(required=False)
    thumbnail = serializers.URLField(required=False)
    position = serializers.IntegerField(required=False, help_text="1-based")
    total = serializers.IntegerField()
    done = serializers.BooleanField()
    prefetch = serializers.URLField(
        required=False, allow_null=True, help_text="the following item's image, to load ahead"
    )
    can_change_previous = serializers.BooleanField(required=False)


class PreviousItemSerializer(serializers.Serializer):
    """The previous item, to answer again; never its earlier answer."""

    item = serializers.CharField()
    image = serializers.URLField()
    thumbnail = serializers.URLField()
    position = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    median_active_seconds = serializers.FloatField(
        allow_null=True, help_text="the caller's own median per image in this round"
    )
    eta_seconds = serializers.FloatField(
        allow_null=True, help_text="the images left at that median; null before the first answer"
    )

    def to_representation(self, progress: Progress) -> dict:
        return {
            "done": progress.done,
            "total": progress.total,
            "median_active_seconds": progress.median_active_seconds,
            "eta_seconds": progress.eta_seconds,
        }


class EventSerializer(serializers.Serializer):
    """One interaction event (documentation; the answer service checks them)."""

    t = serializers.IntegerField(min_value=0, help_text="milliseconds since the item was shown")
    type = serializers.ChoiceField(choices=EventType.choices)
    q = serializers.CharField(required=False, max_length=MAX_SEARCH_TEXT)
    wnid = serializers.CharField(required=False)
    picker = serializers.ChoiceField(required=False, choices=Picker.choices)


@extend_schema_field(EventSerializer(many=True))
class EventsField(serializers.ListField):
    """A list of event objects; their rules are the service's (labeling.rounds.events)."""

    child = serializers.DictField()

    def run_child_validation(self, data: list) -> list:
        # Shape only, and cheaply (every answer carries its events): each is an object. The
        # DictField child ran a field per key of every event, costing more than the service's
        # own checks of them.
        not_a_dict = serializers.DictField.default_error_messages["not_a_dict"]
        errors = {
            str(n): [not_a_dict.format(input_type=type(event).__name__)]
            for n, event in enumerate(data)
            if not isinstance(event, dict)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return list(data)


class AnswerRequestSerializer(serializers.Serializer):
    item = StringField(max_length=32)
    wnid = StringField(max_length=32)
    active_seconds = serializers.FloatField(
        help_text="the page's measure; clamped to [0, answered - served] by the server"
    )
    events = EventsField(max_length=MAX_EVENTS, allow_empty=True)
    picker = serializers.ChoiceField(choices=Picker.choices, required=False, default="")
    flag = serializers.ChoiceField(choices=Flag.choices, required=False, default="")
    note = StringField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
    )


class FeedbackSerializer(serializers.Serializer):
    correct = serializers.BooleanField()
    correct_wnids = serializers.ListField(
        child=serializers.CharField(),
        help_text="the image's correct classes: its multi-label correct set, else its original "
        "label",
    )
    chosen = serializers.CharField(help_text="the class this submission answered")


class AnswerResponseSerializer(serializers.Serializer):
    item = serializers.CharField()
    wnid = serializers.CharField()
    position = serializers.IntegerField()
    served_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField()
    active_seconds = serializers.FloatField()
    next = NextItemSerializer()
    feedback = FeedbackSerializer(
        required=False, help_text="training rounds only: right or wrong, revealed at once"
    )


def answer_response_data(log, answer: Answer, next_data: dict) -> dict:
    """The body of a submission's response, from its log: the same for a replay."""
    return {
        "item": answer.round_image.public_id,
        "wnid": log.synset_id,
        "position": answer.round_image.position,
        "served_at": serializers.DateTimeField().to_representation(answer.served_at)
        if answer.served_at
        else None,
        "answered_at": serializers.DateTimeField().to_representation(log.answered_at),
        "active_seconds": log.active_time.total_seconds(),
        "next": next_data,
    }


class AnswerQuerySerializer(serializers.Serializer):
    labeler = serializers.CharField(
        required=False, max_length=150, help_text="only this labeler's answers (username)"
    )
    cursor = serializers.CharField(required=False, help_text="from `next` / `previous`")
    page_size = page_size_field()


class AnswerSerializer(serializers.ModelSerializer):
    """One answer, for admins and researchers."""

    labeler = serializers.CharField(source="labeler.username")
    item = serializers.CharField(source="round_image.public_id")
    position = serializers.IntegerField(source="round_image.position")
    image = serializers.CharField(source="round_image.image.public_id")
    image_name = serializers.CharField(
        source="round_image.image.original_name",
        help_text="the image's name in its dataset (val file name or ImageNetV2 id)",
    )
    wnid = serializers.CharField(source="synset_id")
    active_seconds = serializers.FloatField(allow_null=True)

    class Meta:
        model = Answer
        fields = [
            "id",
            "labeler",
            "item",
            "position",
            "image",
            "image_name",
            "wnid",
            "served_at",
            "answered_at",
            "active_seconds",
            "picker",
            "flag",
            "note",
            "change_count",
        ]


class ReviewCandidateSerializer(serializers.Serializer):
    """A candidate as a reviewer sees it: never where it came from nor others' verdicts."""

    id = serializers.CharField(help_text="opaque id of the candidate in this round")
    wnid = serializers.CharField()
    name = serializers.CharField()
    gloss = serializers.CharField()
    model_count = serializers.IntegerField(
        required=False, help_text="how many models predicted it; absent when the round hides it"
    )
    verdict = serializers.ChoiceField(
        choices=Verdict.choices, allow_null=True, help_text="the caller's own verdict so far"
    )


class ReviewNextItemSerializer(NextItemSerializer):
    """In a review round the current item also lists its candidates."""

    candidates = ReviewCandidateSerializer(many=True, required=False)


class JudgmentRequestSerializer(serializers.Serializer):
    """One of: a verdict on a candidate; a class added to an item; an item flagged problematic."""

    candidate = StringField(max_length=32, required=False)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    item = StringField(max_length=32, required=False)
    add_wnid = StringField(max_length=32, required=False)
    problematic = StringField(
        max_length=REASON_MAX_LENGTH, required=False, help_text="why the item is problematic"
    )

    def validate(self, attrs: dict) -> dict:
        given = set(attrs)
        if given not in ({"candidate", "verdict"}, {"item", "add_wnid"}, {"item", "problematic"}):
            raise serializers.ValidationError(
                'Send {"candidate", "verdict"}, {"item", "add_wnid"} or {"item", "problematic"}.'
            )
        return attrs


class JudgmentResponseSerializer(serializers.Serializer):
    item = serializers.CharField()
    candidate = serializers.CharField(required=False)
    wnid = serializers.CharField(required=False, help_text="of an added class")
    name = serializers.CharField(required=False, help_text="of an added class")
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    problematic = serializers.CharField(required=False)
    next = ReviewNextItemSerializer()
