"""Rounds of labeling work: which images, in which order, for whom; the answers and their timing.

A round's images are answered strictly in order, so a labeler's answers in a round are always the
positions 1..k and their current item is position k + 1 (`Assignment.answered` is that k). Every
answer is submitted with an interaction log, stored raw in the same transaction; a Celery task
turns each log into an AnswerTiming row.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from labeling.images.models import Image, new_public_id
from labeling.taxonomy.models import Synset

NOTE_MAX_LENGTH = 2000
IDEMPOTENCY_KEY_MAX_LENGTH = 100
IDLE_LIMIT_MAX_SECONDS = 24 * 3600
# Where the study drew its evaluation images from: 1,000 of each, one per class.
EVALUATION_SOURCES = ("imagenet-val", "imagenetv2-matched-frequency")


class RoundKind(models.TextChoices):
    TRAINING = "training", "training"
    EVALUATION = "evaluation", "evaluation"
    ANNOTATION_REVIEW = "annotation_review", "annotation review"
    FINAL_REVIEW = "final_review", "final review"


class RoundState(models.TextChoices):
    DRAFT = "draft", "draft"
    OPEN = "open", "open"
    CLOSED = "closed", "closed"


class Picker(models.TextChoices):
    """How the labeler found the class they confirmed."""

    SEARCH = "search", "search"
    HIERARCHY = "hierarchy", "hierarchy"
    COMPARE = "compare", "compare"
    OTHER = "other", "other"


class Flag(models.TextChoices):
    UNCLEAR = "unclear", "unclear"
    PROBLEMATIC = "problematic", "problematic"


class Round(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=RoundKind.choices)
    state = models.CharField(max_length=10, choices=RoundState.choices, default=RoundState.DRAFT)
    seed = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="the seed the image order was shuffled with; empty if the given order was kept",
    )
    allow_change_previous = models.BooleanField(
        default=True,
        help_text="a labeler may change their previous answer until they confirm the next one",
    )
    idle_limit_seconds = models.PositiveIntegerField(
        default=120, help_text="longer pauses without interaction do not count as active time"
    )
    image_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="how many images the round has; kept by round_images_add (the list only "
        "changes while the round is a draft)",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    guide_freeze = models.OneToOneField(
        "guide.GuideFreeze",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="round",
        help_text="the guide freeze made for this round, released when the round closes",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RoundKind.values), name="round_kind_valid"),
            models.CheckConstraint(
                condition=Q(state__in=RoundState.values), name="round_state_valid"
            ),
            # Each state carries exactly the timestamps of the transitions that led to it.
            models.CheckConstraint(
                condition=(
                    Q(state=RoundState.DRAFT, opened_at__isnull=True, closed_at__isnull=True)
                    | Q(state=RoundState.OPEN, opened_at__isnull=False, closed_at__isnull=True)
                    | Q(
                        state=RoundState.CLOSED,
                        opened_at__isnull=False,
                        closed_at__gte=F("opened_at"),
                    )
                ),
                name="round_state_timestamps",
            ),
            models.CheckConstraint(
                condition=Q(
                    idle_limit_seconds__gte=1, idle_limit_seconds__lte=IDLE_LIMIT_MAX_SECONDS
                ),
                name="round_idle_limit_range",
            ),
            models.CheckConstraint(
                condition=Q(seed__isnull=True) | Q(seed__gte=0), name="round_seed_nonnegative"
            ),
            # Labelers only ever see a round with images.
            models.CheckConstraint(
                condition=Q(state=RoundState.DRAFT) | Q(image_count__gte=1),
                name="round_images_once_opened",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="round_name_nonempty"),
            models.CheckConstraint(
                condition=~Q(kind=RoundKind.TRAINING, allow_change_previous=True),
                name="round_training_answers_final",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == RoundState.OPEN


# Default orderings name columns, not relations: ordering by a relation would join its table
# (and its own ordering) into every query, the hot ones included.


class RoundImage(models.Model):
    """An image at its position in a round. Labelers address it by `public_id` only, which is
    random and says nothing about the image, its class or its position."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="items", db_index=False)
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="round_items")
    position = models.PositiveIntegerField(help_text="1-based; the order labelers see")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)

    class Meta:
        ordering = ["round_id", "position"]
        constraints = [
            # Also the index for "the item at position n of round r" (the labeling hot path).
            models.UniqueConstraint(
                fields=["round", "position"], name="round_image_unique_position"
            ),
            models.UniqueConstraint(fields=["round", "image"], name="round_image_unique_image"),
            models.CheckConstraint(condition=Q(position__gte=1), name="round_image_position_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} #{self.position}"


class Assignment(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="round_assignments"
    )
    answered = models.PositiveIntegerField(
        default=0,
        help_text="how many of the round's images this labeler has answered; the current item is "
        "the next position. Kept by answer_submit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round_id", "user_id"]
        constraints = [
            # Its index also serves image_visible_to's join from the round to the user.
            models.UniqueConstraint(fields=["round", "user"], name="assignment_unique"),
            models.CheckConstraint(condition=Q(answered__gte=0), name="assignment_answered_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.round_id}"


class Serving(models.Model):
    """When a labeler was first shown an item (never moves) and last shown it (a reload, or
    going back to change the answer)."""

    round_image = models.ForeignKey(
        RoundImage, on_delete=models.CASCADE, related_name="servings", db_index=False
    )
    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    served_at = models.DateTimeField()
    last_served_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round_image", "labeler"], name="serving_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round_image_id} to {self.labeler_id} at {self.served_at:%Y-%m-%d %H:%M:%S}"


class Answer(models.Model):
    """A labeler's class for one image of a round: one per (item, labeler); a change replaces it
    and leaves an AnswerChange behind."""

    round_image = models.ForeignKey(
        RoundImage, on_delete=models.PROTECT, related_name="answers", db_index=False
    )
    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="round_answers"
    )
    # to_field: the column holds the wnid itself, so reading an answer's class needs no join.
    synset = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+", to_field="wnid")
    # Always set for answers given here; empty only for answers imported without their times
    # (human predictions from another tool). The checks below hold whenever they are set.
    served_at = models.DateTimeField(
        null=True, blank=True, help_text="when the item was first shown to the labeler"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    active_time = models.DurationField(
        null=True,
        blank=True,
        help_text="time the page was visible, focused and not idle; at most answered - served",
    )
    picker = models.CharField(max_length=10, choices=Picker.choices, blank=True)
    flag = models.CharField(max_length=12, choices=Flag.choices, blank=True)
    note = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    change_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round_image_id", "labeler_id"]
        constraints = [
            models.UniqueConstraint(fields=["round_image", "labeler"], name="answer_unique"),
            models.UniqueConstraint(
                fields=["labeler", "idempotency_key"], name="answer_unique_idempotency_key"
            ),
            models.CheckConstraint(
                condition=Q(answered_at__gte=F("served_at")), name="answer_answered_after_served"
            ),
            models.CheckConstraint(
                condition=Q(active_time__gte=timedelta(0)), name="answer_active_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(active_time__lte=F("answered_at") - F("served_at")),
                name="answer_active_within_wall",
            ),
            models.CheckConstraint(
                condition=Q(picker__in=["", *Picker.values]), name="answer_picker_valid"
            ),
            models.CheckConstraint(
                condition=Q(flag__in=["", *Flag.values]), name="answer_flag_valid"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("note"), NOTE_MAX_LENGTH),
                name="answer_note_length",
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("idempotency_key"), 1),
                name="answer_key_nonempty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_image_id} by {self.labeler_id}: {self.synset_id}"

    @property
    def active_seconds(self) -> float | None:
        return None if self.active_time is None else self.active_time.total_seconds()


class AnswerChange(models.Model):
    """The answer as it was before its labeler replaced it (the previous-item rule)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="changes")
    old_synset = models.ForeignKey(
        Synset, on_delete=models.PROTECT, related_name="+", to_field="wnid"
    )
    new_synset = models.ForeignKey(
        Synset, on_delete=models.PROTECT, related_name="+", to_field="wnid"
    )
    old_answered_at = models.DateTimeField()
    old_active_time = models.DurationField()
    old_picker = models.CharField(max_length=10, choices=Picker.choices, blank=True)
    old_flag = models.CharField(max_length=12, choices=Flag.choices, blank=True)
    old_note = models.TextField(blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["answer_id", "changed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(changed_at__gte=F("old_answered_at")), name="answer_change_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.old_synset_id} → {self.new_synset_id}"


class LogKind(models.TextChoices):
    ANSWER = "answer", "first answer"
    CHANGE = "change", "changed answer"


class InteractionLog(models.Model):
    """One submission of an answer, exactly as the page sent it, stored with the answer.

    It is also the idempotency record: a request repeated with the same key is answered from
    here. `window_start` is when the item was shown for this submission (first served, or shown
    again to be changed); `active_time` is the answer's active time once this submission was
    applied. A task turns it into an AnswerTiming and sets `processed_at`.
    """

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="logs")
    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical request")
    kind = models.CharField(max_length=10, choices=LogKind.choices)
    synset = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+", to_field="wnid")
    picker = models.CharField(max_length=10, choices=Picker.choices, blank=True)
    flag = models.CharField(max_length=12, choices=Flag.choices, blank=True)
    window_start = models.DateTimeField()
    answered_at = models.DateTimeField()
    client_active_seconds = models.FloatField(help_text="as the page sent it, before clamping")
    active_time = models.DurationField()
    idle_limit_seconds = models.PositiveIntegerField(
        help_text="the round's idle limit when the answer was given (timing uses it)"
    )
    events = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["labeler", "idempotency_key"], name="interaction_log_unique_key"
            ),
            models.CheckConstraint(condition=Q(kind__in=LogKind.values), name="log_kind_valid"),
            models.CheckConstraint(
                condition=Q(answered_at__gte=F("window_start")), name="log_answered_after_start"
            ),
            models.CheckConstraint(
                condition=Q(request_hash__regex=r"^[0-9a-f]{64}$"), name="log_request_hash_hex"
            ),
            models.CheckConstraint(
                condition=Q(active_time__gte=timedelta(0)), name="log_active_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(idle_limit_seconds__gte=1), name="log_idle_limit_positive"
            ),
        ]
        indexes = [
            # The sweep's "unprocessed and older than a minute": small, as most logs are done.
            models.Index(
                fields=["created_at"],
                condition=Q(processed_at__isnull=True),
                name="interaction_log_unprocessed",
            ),
        ]

    def __str__(self) -> str:
        return f"log {self.pk} of answer {self.answer_id}"


class AnswerTiming(models.Model):
    """Per-submission timing derived from an InteractionLog by the timing task.

    `active_seconds` is the page's own figure as counted (clamped to the window);
    `events_active_seconds` is the same measured again from the events with the round's idle
    limit, as a cross-check. hidden + idle + events_active = wall.
    """

    log = models.OneToOneField(
        InteractionLog, on_delete=models.CASCADE, primary_key=True, related_name="timing"
    )
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="timings")
    wall_seconds = models.FloatField(help_text="from showing the item to the answer, server time")
    client_active_seconds = models.FloatField()
    active_seconds = models.FloatField()
    events_active_seconds = models.FloatField()
    hidden_seconds = models.FloatField(help_text="tab hidden or window not focused")
    idle_seconds = models.FloatField(help_text="visible, but no interaction within the idle limit")
    first_interaction_seconds = models.FloatField(null=True, blank=True)
    event_count = models.PositiveIntegerField()
    searches = models.PositiveIntegerField()
    nodes_opened = models.PositiveIntegerField()
    candidates_viewed = models.PositiveIntegerField()
    pins = models.PositiveIntegerField()
    compares = models.PositiveIntegerField()
    guide_opens = models.PositiveIntegerField()
    zooms = models.PositiveIntegerField()
    picker = models.CharField(max_length=10, choices=Picker.choices, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["answer_id", "log_id"]
        constraints = [
            models.CheckConstraint(condition=Q(wall_seconds__gte=0), name="timing_wall_nonneg"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0, f"{name}__lte": F("wall_seconds")}),
                    name=f"timing_{name}_within_wall",
                )
                for name in (
                    "active_seconds",
                    "events_active_seconds",
                    "hidden_seconds",
                    "idle_seconds",
                )
            ),
            models.CheckConstraint(
                condition=Q(first_interaction_seconds__isnull=True)
                | Q(first_interaction_seconds__gte=0),
                name="timing_first_interaction_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(picker__in=["", *Picker.values]), name="timing_picker_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"timing of log {self.log_id}"
