"""Which classes an image might show (candidates) and the multi-label state of each.

A candidate is a class worth asking about for an image: predicted by models, proposed by a
person, imported, or the original label (seed). An ImageLabel is the current verdict on one
(image, class) pair; every change to it is kept as a LabelChange.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from labeling.images.models import Image
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
