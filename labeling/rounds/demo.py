"""The demo study's rounds: an open evaluation round and an open training round, both assigned to
the demo annotators, so the first command shows the labeling screen working.

The two rounds take different images (the study never trained on evaluation images): training
gets the third ImageNet val image of each demo class, evaluation the first two val images and the
first two ImageNetV2 images of each class, shuffled together with a fixed seed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from labeling.accounts.roles import Role
from labeling.images.selectors import image_resolve_names
from labeling.rounds.models import Round, RoundKind
from labeling.rounds.services import round_assign, round_create, round_open

DEMO_EVALUATION_ROUND = "Demo evaluation"
DEMO_TRAINING_ROUND = "Demo training"
DEMO_SEED = 20191218  # the day the study sampled its evaluation images


def demo_rounds_create() -> int:
    """Create the demo rounds if missing (and assign the demo annotators); returns how many
    rounds were created. Running it again changes nothing."""
    from labeling.demo import DEMO_CLASSES, DEMO_USERS  # labeling.demo calls this function

    evaluation_names: list[str] = []
    training_names: list[str] = []
    for _, _, val_names, v2_names in DEMO_CLASSES:
        evaluation_names += [*val_names[:2], *v2_names[:2]]
        training_names.append(val_names[2])
    annotators = list(
        get_user_model().objects.filter(
            username__in=[name for name, _, roles in DEMO_USERS if Role.ANNOTATOR in roles]
        )
    )
    created = 0
    for name, kind, names in (
        (DEMO_EVALUATION_ROUND, RoundKind.EVALUATION, evaluation_names),
        (DEMO_TRAINING_ROUND, RoundKind.TRAINING, training_names),
    ):
        round = Round.objects.filter(name=name, kind=kind).order_by("pk").first()
        if round is None:
            found = image_resolve_names(names=names)
            missing = [n for n in names if n not in found]
            if missing:
                raise RuntimeError(f"the demo images {', '.join(missing[:5])} are missing")
            round = round_create(
                name=name,
                kind=kind,
                image_ids=[found[n] for n in names],
                seed=DEMO_SEED,
            )
            round = round_open(round=round)
            created += 1
        if round.state != "closed":
            round_assign(round=round, users=annotators)
    return created
