"""Shapes of the researchers' API (query parameters and documented payloads)."""

from __future__ import annotations

from rest_framework import serializers

from labeling.scoring.grading import FAST_SECONDS


class ScoresQuerySerializer(serializers.Serializer):
    fast_threshold = serializers.FloatField(
        required=False,
        default=FAST_SECONDS,
        min_value=0,
        help_text="an image is fast if the median of its human active seconds is at most this",
    )


class ScoreCellSerializer(serializers.Serializer):
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="a fraction; null if total is 0")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()


class ParticipantScoresSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="labeler-<id> for a human, the model's name")
    kind = serializers.ChoiceField(choices=["human", "model"])
    scores = serializers.DictField(
        child=serializers.DictField(child=ScoreCellSerializer()),
        help_text="{source: {subset: score}}; subsets all, without_dogs, objects_only, fast",
    )


class ScoresSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    participants = ParticipantScoresSerializer(many=True)
