"""Training: labelers' requests for practice, the per-answer statistics the workers compute from
training answers, and the group review's discussion threads.

An AnswerStat is derived from one training Answer (by a task enqueued when it is given, or by the
sweep): whether it was right, against which correct classes, the class it is counted under and
that class's group, and the answer's active time. Every accuracy, confusion and timing figure of
the dashboards is an aggregate of these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from labeling.rounds.models import Answer, Round, RoundImage
from labeling.taxonomy.models import ClassGroup, Synset

REQUEST_NOTE_MAX_LENGTH = 1000
COMMENT_MAX_LENGTH = 4000


class RequestState(models.TextChoices):
    OPEN = "open", "open"
    FULFILLED = "fulfilled", "turned into a round"
    DECLINED = "declined", "declined"


class TrainingRequest(models.Model):
    """A labeler asks for practice on some classes or whole subtrees of the class tree."""

    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_requests"
    )
    wnids = models.JSONField(
        default=list, help_text="classes, or tree nodes standing for every class under them"
    )
    note = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.OPEN)
    round = models.ForeignKey(
        Round, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RequestState.values), name="training_request_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state=RequestState.OPEN, round__isnull=True, closed_at__isnull=True)
                | (~Q(state=RequestState.OPEN) & Q(closed_at__isnull=False)),
                name="training_request_open_has_no_round",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), REQUEST_NOTE_MAX_LENGTH),
                name="training_request_note_length",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state=RequestState.OPEN),
                name="training_request_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.labeler_id}: {', '.join(self.wnids)} ({self.state})"


class AnswerStat(models.Model):
    """What one training answer counts for in its labeler's statistics."""

    answer = models.OneToOneField(
        Answer, on_delete=models.CASCADE, primary_key=True, related_name="training_stat"
    )
    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    chosen = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+", to_field="wnid")
    reference = models.ForeignKey(
        Synset,
        on_delete=models.PROTECT,
        related_name="+",
        to_field="wnid",
        help_text="the correct class it counts under: the chosen one when right, else the "
        "original label if correct, else the first correct class",
    )
    correct = models.BooleanField()
    correct_wnids = models.JSONField(default=list)
    group = models.CharField(max_length=10, choices=ClassGroup.choices)
    active_seconds = models.FloatField(null=True, blank=True)
    answered_at = models.DateTimeField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["answer_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(correct=False) | Q(chosen=F("reference")),
                name="answer_stat_right_counts_under_chosen",
            ),
            models.CheckConstraint(
                condition=Q(group__in=ClassGroup.values), name="answer_stat_group_valid"
            ),
            models.CheckConstraint(
                condition=Q(active_seconds__isnull=True) | Q(active_seconds__gte=0),
                name="answer_stat_active_nonnegative",
            ),
        ]
        indexes = [models.Index(fields=["labeler", "round"], name="answer_stat_labeler_round")]

    def __str__(self) -> str:
        return f"answer {self.answer_id}: {'right' if self.correct else 'wrong'}"


class ReviewComment(models.Model):
    """One message of the group review's discussion of an image of a training round."""

    round_image = models.ForeignKey(
        RoundImage, on_delete=models.CASCADE, related_name="training_comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round_image_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(~Q(text=""), LessThanOrEqual(Length("text"), COMMENT_MAX_LENGTH)),
                name="review_comment_text_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.round_image_id}"
