"""Which classes an image might show (candidates) and the multi-label state of each.

A candidate is a class worth asking about for an image: predicted by models, proposed by a
person, imported, or the original label (seed). An ImageLabel is the current verdict on one
(image, class) pair; every change to it is kept as a LabelChange.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from labeling.images.models import Image, new_public_id
from labeling.taxonomy.models import Synset


class CandidateOrigin(models.TextChoices):
    MODEL = "model", "model predictions"
    HUMAN = "human", "proposed by a person"
    IMPORT = "import", "imported annotations"
    SEED = "seed", "original label"


class Candidate(models.Model):
    # The unique (image, synset) index serves lookups by image: no separate index.
    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, related_name="candidates", db_index=False
    )
    synset = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+")
    model_count = models.PositiveIntegerField(
        default=0, help_text="how many classifier models predicted this class (at any rank)"
    )
    added_by = models.CharField(max_length=10, choices=CandidateOrigin.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "synset"], name="candidate_unique"),
            models.CheckConstraint(
                condition=Q(added_by__in=CandidateOrigin.values), name="candidate_added_by_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}:{self.synset_id} ({self.model_count} models)"


class LabelState(models.TextChoices):
    CORRECT = "correct", "correct"
    WRONG = "wrong", "wrong"
    UNCLEAR = "unclear", "unclear"


class ImageLabel(models.Model):
    """The current multi-label verdict on one class for one image."""

    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, related_name="labels", db_index=False
    )
    synset = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=LabelState.choices)
    source = models.CharField(
        max_length=255, help_text='what set it last: "import:<file name>", "review", …'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "synset"], name="image_label_unique"),
            models.CheckConstraint(
                condition=Q(state__in=LabelState.values), name="image_label_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}:{self.synset_id} {self.state}"


class LabelChange(models.Model):
    """Audit row: one (image, class) label went from `old_state` to `new_state` ("" = none)."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="label_changes")
    synset = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+")
    old_state = models.CharField(max_length=10, choices=LabelState.choices, blank=True)
    new_state = models.CharField(max_length=10, choices=LabelState.choices, blank=True)
    source = models.CharField(max_length=255, help_text='"import:<file name>", "review", …')
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the person, if a person made the change",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(old_state__in=[*LabelState.values, ""])
                & Q(new_state__in=[*LabelState.values, ""])
                & ~Q(old_state=models.F("new_state")),
                name="label_change_is_a_change",
            ),
        ]
        indexes = [models.Index(fields=["image", "created_at"], name="label_change_image_idx")]

    def __str__(self) -> str:
        return (
            f"{self.image_id}:{self.synset_id} {self.old_state or '-'} -> {self.new_state or '-'}"
        )


# --- Review rounds: people judging candidates ----------------------------------------------


class ConsensusRule(models.TextChoices):
    """How the reviewers' verdicts on a candidate become its label (skips never count)."""

    UNANIMOUS = "unanimous", "unanimous: every verdict the same, else adjudication"
    MAJORITY = "majority", "majority: more than half of the verdicts, else adjudication"


class ReviewRound(models.Model):
    """What a round of kind annotation review or final review adds to the round."""

    round = models.OneToOneField(
        "rounds.Round", on_delete=models.CASCADE, primary_key=True, related_name="review"
    )
    hide_model_counts = models.BooleanField(
        default=False, help_text="reviewers do not see how many models predicted a class"
    )
    consensus_rule = models.CharField(
        max_length=10, choices=ConsensusRule.choices, default=ConsensusRule.UNANIMOUS
    )
    source_round = models.ForeignKey(
        "rounds.Round",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="for a final review: the evaluation round whose answers are judged",
    )
    seed = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="the seed each image's candidates were listed with (and, in a final review, "
        "the model predictions mixed in were drawn with); empty if listed by model count",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(consensus_rule__in=ConsensusRule.values),
                name="review_round_rule_valid",
            ),
            models.CheckConstraint(
                condition=Q(seed__isnull=True) | Q(seed__gte=0), name="review_round_seed_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"review settings of round {self.round_id}"


class RoundCandidate(models.Model):
    """A candidate as the reviewers of one round see it: addressed by `public_id` only, which is
    random and says nothing about the class, the image or where the candidate came from."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    round_image = models.ForeignKey(
        "rounds.RoundImage", on_delete=models.CASCADE, related_name="candidates", db_index=False
    )
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(help_text="the item's position (copied: the hot path)")
    order = models.PositiveSmallIntegerField(help_text="where it is listed on its image")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the reviewer who added this class in this round",
    )

    class Meta:
        ordering = ["round_id", "position", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["round_image", "candidate"], name="round_candidate_unique"
            ),
            models.UniqueConstraint(
                fields=["round_image", "order"], name="round_candidate_unique_order"
            ),
        ]
        indexes = [
            # "the first candidate from position p on that this reviewer has not judged"
            models.Index(fields=["round", "position", "order"], name="round_candidate_pos_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} (round {self.round_id} #{self.position})"


class Verdict(models.TextChoices):
    CORRECT = "correct", "correct"
    WRONG = "wrong", "wrong"
    UNCLEAR = "unclear", "unclear"
    SKIP = "skip", "skip (don't know)"


class Judgment(models.Model):
    """One reviewer's verdict on one candidate in one round; a new verdict replaces it."""

    round_candidate = models.ForeignKey(
        RoundCandidate, on_delete=models.CASCADE, related_name="judgments", db_index=False
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    idempotency_key = models.CharField(
        max_length=100, help_text="the key of the request that set this verdict"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round_candidate_id", "reviewer_id"]
        constraints = [
            # Also the index of "has this reviewer judged this candidate" (the next query).
            models.UniqueConstraint(fields=["round_candidate", "reviewer"], name="judgment_unique"),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="judgment_verdict_valid"
            ),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="judgment_key_nonempty"),
        ]

    def __str__(self) -> str:
        return f"{self.round_candidate_id} by {self.reviewer_id}: {self.verdict}"


class ReviewSubmission(models.Model):
    """Every accepted judgments request, by its idempotency key: a retry is answered from here."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    result = models.JSONField(help_text="the response body, without the next item")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "idempotency_key"], name="review_submission_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}:{self.idempotency_key}"


class ReviewFlag(models.Model):
    """A reviewer marks an image of a review round problematic, saying why."""

    round_image = models.ForeignKey(
        "rounds.RoundImage", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round_image", "reviewer"], name="review_flag_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="review_flag_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.round_image_id} flagged by {self.reviewer_id}"


class DecisionHow(models.TextChoices):
    CONSENSUS = "consensus", "by the consensus rule"
    ADJUDICATION = "adjudication", "by an adjudicator"


class Decision(models.Model):
    """The label a round settled on for one of its candidates."""

    round_candidate = models.OneToOneField(
        RoundCandidate, on_delete=models.CASCADE, primary_key=True, related_name="decision"
    )
    state = models.CharField(max_length=10, choices=LabelState.choices)
    how = models.CharField(max_length=12, choices=DecisionHow.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=LabelState.values), name="decision_state_valid"
            ),
            models.CheckConstraint(condition=Q(how__in=DecisionHow.values), name="decision_how"),
        ]

    def __str__(self) -> str:
        return f"{self.round_candidate_id}: {self.state} ({self.how})"


class ReviewOutcome(models.Model):
    """An image's correct classes just before and just after a round set its labels: what the
    change report counts. Or, with a problematic reason, the image an adjudicator set aside."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    correct_before = models.JSONField(default=list, help_text="sorted wnids")
    correct_after = models.JSONField(default=list, help_text="sorted wnids")
    problematic_reason = models.TextField(
        blank=True,
        help_text="set when an adjudicator marked the image problematic instead of deciding its "
        "labels (they stay as they were; the image leaves scoring)",
    )
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "image"], name="review_outcome_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.image_id} in round {self.round_id}"
