"""A small scored round of known counts, built in the database as the app builds one: images,
final labels, answers and model predictions.

Classes (by ImageNet index): 1 is a dog, 2 an organism, every other an object.

| image | source | label | correct | alice (s)  | bob (s)    | resnet |
|-------|--------|-------|---------|------------|------------|--------|
| v1    | val    | 0     | 0       | 0 (10)     | 0 (20)     | 0      |
| v2    | val    | 0     | 0, 5    | 5 (30)     | 6* (50)    | 0      |
| v3    | val    | 1     | 1       | 7 (90)     | -          | 1      |
| v4    | val    | 2     | 2       | 2 (60)     | -          | 3      |
| v5    | val    | 0     | 0 (problematic) | 0 (1) | -     | 0      |
| w1    | V2     | 0     | 0       | 0 (5)      | -          | 0      |
| w2    | V2     | 1     | 1       | 1 (70)     | -          | 2      |
| w3    | V2     | 3     | 3       | 9 (20)     | -          | 3      |

(* class 6 is marked unclear for v2.) Median human seconds: v1 15, v2 40, v3 90, v4 60, w1 5,
w2 70, w3 20, v5 1: with the 60 s rule v3 and w2 are the only slow images.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from labeling.accounts.roles import Role
from labeling.images.models import Image
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.review.services import image_labels_replace
from labeling.rounds.models import Answer, Round, RoundImage
from labeling.taxonomy.models import ClassGroup, Synset
from tests.helpers import make_user
from tests.images.factories import make_images
from tests.rounds.factories import make_round

VAL = {f"v{n}": f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(1, 6)}
V2 = {f"w{n}": f"{n:040x}" for n in range(1, 4)}
LABELS = {"v1": 0, "v2": 0, "v3": 1, "v4": 2, "v5": 0, "w1": 0, "w2": 1, "w3": 3}
CORRECT = {
    "v1": {0},
    "v2": {0, 5},
    "v3": {1},
    "v4": {2},
    "v5": {0},
    "w1": {0},
    "w2": {1},
    "w3": {3},
}
UNCLEAR = {"v2": {6}}
ANSWERS = {
    "alice": {
        "v1": (0, 10), "v2": (5, 30), "v3": (7, 90), "v4": (2, 60),
        "v5": (0, 1), "w1": (0, 5), "w2": (1, 70), "w3": (9, 20),
    },
    "bob": {"v1": (0, 20), "v2": (6, 50)},
}  # fmt: skip
MODEL_TOP1 = {"v1": 0, "v2": 0, "v3": 1, "v4": 3, "v5": 0, "w1": 0, "w2": 2, "w3": 3}


def wnid(index: int) -> str:
    return Synset.objects.get(class_index=index).wnid


def answer_create(
    round: Round, labeler: User, image: Image, index: int, seconds: float | None
) -> Answer:
    """An answer as an imported one is stored (no interaction log)."""
    now = timezone.now()
    active = None if seconds is None else timedelta(seconds=seconds)
    return Answer.objects.create(
        round_image=RoundImage.objects.get(round=round, image=image),
        labeler=labeler,
        synset_id=wnid(index),
        served_at=None if active is None else now - active,
        answered_at=None if active is None else now,
        active_time=active,
        idempotency_key=f"test-{image.pk}",
    )


@dataclass
class ScoredRound:
    round: Round
    images: dict[str, Image]
    labelers: dict[str, User]
    model: ClassifierModel


def make_scored_round() -> ScoredRound:
    """The round of the table above (needs the `imagenet_classes` fixture)."""
    Synset.objects.filter(class_index=1).update(group=ClassGroup.DOG)
    Synset.objects.filter(class_index=2).update(group=ClassGroup.ORGANISM)
    by_name = make_images([*VAL.values(), *V2.values()])
    images = {key: by_name[name] for key, name in {**VAL, **V2}.items()}
    for key, image in images.items():
        image.original_label_id = wnid(LABELS[key])
        image.problematic = key == "v5"
        image.problematic_reason = "test" if key == "v5" else ""
        image.save()
    synset_ids = dict(Synset.objects.classes().values_list("class_index", "pk"))
    image_labels_replace(
        labels={
            images[key].pk: {
                **{synset_ids[c]: "correct" for c in CORRECT[key]},
                **{synset_ids[c]: "unclear" for c in UNCLEAR.get(key, ())},
            }
            for key in images
        },
        source="test",
    )
    labelers = {name: make_user(name, Role.ANNOTATOR) for name in ANSWERS}
    round = make_round(images.values(), labelers.values())
    for name, answers in ANSWERS.items():
        for key, (index, seconds) in answers.items():
            answer_create(round, labelers[name], images[key], index, seconds)
    model = ClassifierModel.objects.create(name="resnet50")
    ModelPrediction.objects.bulk_create(
        [
            ModelPrediction(model=model, image=images[key], synset_id=synset_ids[index], rank=1)
            for key, index in MODEL_TOP1.items()
        ]
        + [ModelPrediction(model=model, image=images["v4"], synset_id=synset_ids[2], rank=2)]
    )
    # A model with predictions on other images only takes no part.
    other = make_images(["ILSVRC2012_val_00000099.JPEG"])["ILSVRC2012_val_00000099.JPEG"]
    ModelPrediction.objects.create(
        model=ClassifierModel.objects.create(name="absent"),
        image=other,
        synset_id=synset_ids[0],
        rank=1,
    )
    return ScoredRound(round=round, images=images, labelers=labelers, model=model)
