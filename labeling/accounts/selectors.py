"""Reads for the home pages."""

from __future__ import annotations

from labeling.images.models import Image, ReferenceImage
from labeling.predictions.models import ClassifierModel
from labeling.taxonomy.models import Synset


def home_summary() -> dict[str, int]:
    """What the study holds, at a glance."""
    return {
        "classes": Synset.objects.classes().count(),
        "images": Image.objects.count(),
        "reference_images": ReferenceImage.objects.count(),
        "models": ClassifierModel.objects.count(),
    }
