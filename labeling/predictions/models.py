"""Classifier models and their predictions on images (millions of narrow rows)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from labeling.images.models import Image
from labeling.taxonomy.models import Synset


class ClassifierModel(models.Model):
    name = models.CharField(max_length=200, unique=True)
    metadata = models.JSONField(
        default=dict, blank=True, help_text="year, paper, top-1 accuracy, extra training data…"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelPrediction(models.Model):
    # No single-column indexes on model and image: the unique (model, image, rank) and the
    # (image, synset) index start with them, and every extra index slows the 2.9M-row loads.
    model = models.ForeignKey(
        ClassifierModel, on_delete=models.CASCADE, related_name="predictions", db_index=False
    )
    image = models.ForeignKey(
        Image, on_delete=models.CASCADE, related_name="model_predictions", db_index=False
    )
    synset = models.ForeignKey(Synset, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(default=1, help_text="1 = top-1")
    score = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "image", "rank"], name="prediction_unique_rank"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="prediction_rank_positive"),
        ]
        indexes = [models.Index(fields=["image", "synset"], name="prediction_image_idx")]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.image_id}:{self.rank}"
