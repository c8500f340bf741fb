"""Writes for classifier models and their predictions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from labeling.importing.batch import chunked
from labeling.predictions.models import ClassifierModel, ModelPrediction

# (model_id, image_id, synset_id, rank, score): ids are primary keys; score may be None.
PredictionRow = tuple[int, int, int, int, float | None]


@transaction.atomic
def classifier_model_get_or_create(*, name: str, metadata: dict | None = None) -> ClassifierModel:
    """The model with this name, created if missing; `metadata`, when given, replaces the stored."""
    name = name.strip()
    if not name:
        raise ValueError("A classifier model needs a name.")
    model, created = ClassifierModel.objects.get_or_create(
        name=name, defaults={"metadata": metadata or {}}
    )
    if not created and metadata is not None and model.metadata != metadata:
        model.metadata = metadata
        model.save(update_fields=["metadata"])
    return model


def predictions_bulk_create(*, rows: Iterable[PredictionRow], batch_size: int = 5000) -> int:
    """Insert predictions, skipping those already stored (same model, image and rank).

    Safe to run again on the same rows. Streams `rows`, so millions can come from a generator.
    Returns how many rows were new.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    seen_models: set[int] = set()
    before = 0
    for batch in chunked(rows, batch_size):
        objects = []
        for model_id, image_id, synset_id, rank, score in batch:
            if rank < 1:
                raise ValueError(f"rank must be 1 or more (1 = top-1), got {rank}")
            objects.append(
                ModelPrediction(
                    model_id=model_id,
                    image_id=image_id,
                    synset_id=synset_id,
                    rank=rank,
                    score=score,
                )
            )
        new_models = {obj.model_id for obj in objects} - seen_models
        if new_models:
            # Count what each model had before its first batch, to report how many rows were new.
            before += ModelPrediction.objects.filter(model_id__in=new_models).count()
            seen_models |= new_models
        # ignore_conflicts: rows already stored (a re-run, an overlapping file) are skipped.
        ModelPrediction.objects.bulk_create(objects, ignore_conflicts=True)
    if not seen_models:
        return 0
    return ModelPrediction.objects.filter(model_id__in=seen_models).count() - before
