"""Reads for the home pages, and the people a round can be given to."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from labeling.accounts.roles import Role
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


def token_get(*, user: User) -> Token | None:
    """The user's own API token, or None if they have none yet. Only ever for its owner."""
    return Token.objects.filter(user=user).first()


def annotators() -> QuerySet[User]:
    """Everyone with the annotator role, by username: who may label or review in a round."""
    return User.objects.filter(groups__name=Role.ANNOTATOR).order_by("username")
