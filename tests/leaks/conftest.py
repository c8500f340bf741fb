"""One study per round kind with everything an answer could leak through, for the leak suite.

The probe image's file hides its wnid, file name and class name in EXIF, a JPEG comment, XMP and
bytes appended after the image (tests.images.factories.probe_picture), and it is stored under a
path naming them. It has imported annotations (one class correct, one more correct, one wrong),
a model's prediction, and another person's answer; in the review kinds another reviewer has
judged and flagged it too. The participant (anna) is assigned to a round of each kind holding it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User

from labeling.accounts.roles import Role
from labeling.images.models import Image
from labeling.predictions.models import ClassifierModel
from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from labeling.review.models import Candidate, ImageLabel, RoundCandidate
from labeling.review.services import (
    final_review_create,
    judgment_record,
    review_flag_record,
    review_round_create,
)
from labeling.rounds.models import Answer, Assignment, Round, RoundKind
from labeling.taxonomy.models import Synset
from tests.helpers import make_user
from tests.images.factories import make_probe_pair, make_references
from tests.rounds.factories import make_round

LABEL = "n02094258"  # Norwich terrier: the original label
ALSO_CORRECT = "n02094114"  # Norfolk terrier: a multi-label annotation
WRONG = "n02012849"  # crane (bird): annotated wrong
PREDICTED = "n03126707"  # crane (machine): a model's prediction
OTHERS_ANSWER = "n02123045"  # tabby: what another labeler answered
OWN_ANSWER = "n03642806"  # laptop: what the participant answers (theirs to see)
SECOND_LABEL = "n04591713"  # wine bottle: the second image's label
SECOND_PREDICTED = "n07920052"  # espresso: a model's prediction for the second image
NAME = "ILSVRC2012_val_00038768.JPEG"
SECOND_NAME = "ILSVRC2012_val_00038769.JPEG"
ANNOTATION_SOURCE = "import:leaky-annotations.json"
MODEL_NAME = "resnet50-leaky"
OTHER_LABELER = "bertrand"  # answered the probe in an evaluation round
OTHER_REVIEWER = "dorothea"  # the participant's fellow labeler or reviewer

KINDS = [kind.value for kind in RoundKind]
REVIEW_KINDS = (RoundKind.ANNOTATION_REVIEW, RoundKind.FINAL_REVIEW)


@dataclass
class Study:
    kind: str
    round: Round
    probe: Image
    second: Image
    classes: dict[str, Synset]
    model: ClassifierModel
    participant: User
    # Classes of the probe the participant is meant to see: the candidates of a review round.
    shown: set[str] = field(default_factory=set)

    @property
    def is_review(self) -> bool:
        return self.kind in REVIEW_KINDS

    def names(self) -> list[str]:
        """What must reach no one of the round on any page: where the images come from, what
        they are called, their hashes, who else worked on them, which model predicted what."""
        words = [
            NAME,
            SECOND_NAME,
            "ILSVRC2012",
            "00038768",
            "00038769",
            self.probe.sha256,
            self.second.sha256,
            self.probe.source.slug,
            self.probe.source.name,
            MODEL_NAME,
            "resnet",
            ANNOTATION_SOURCE,
            "leaky-annotations",
            OTHER_LABELER,
            OTHER_REVIEWER,
        ]
        return sorted({word.lower() for word in words})

    def hidden_classes(self, *wnids: str) -> list[str]:
        """Wnids and names of these classes, less the classes the round shows for the probe."""
        shown_names = {self.classes[w].name.lower() for w in self.shown}
        words: list[str] = []
        for wnid in wnids:
            if wnid in self.shown:
                continue
            words.append(wnid)
            words += [
                name
                for name in (self.classes[wnid].name, self.classes[wnid].display_name)
                if name.lower() not in shown_names
            ]
        return sorted({word.lower() for word in words})

    def secrets(self) -> list[str]:
        """Everything that must not reach the participant before they answer the probe."""
        return sorted(
            {
                *self.names(),
                *self.hidden_classes(
                    LABEL,
                    ALSO_CORRECT,
                    WRONG,
                    PREDICTED,
                    OTHERS_ANSWER,
                    SECOND_LABEL,
                    SECOND_PREDICTED,
                ),
            }
        )

    def file_secrets(self) -> list[str]:
        """What the probe's file carries: no byte or header of any image may say it, whatever
        the round shows."""
        label = self.classes[LABEL]
        return sorted(
            {*self.names(), LABEL, label.name.lower(), label.display_name.lower(), "imagenet"}
        )


def _annotate(probe: Image, classes: dict[str, Synset]) -> None:
    for wnid, state in ((LABEL, "correct"), (ALSO_CORRECT, "correct"), (WRONG, "wrong")):
        ImageLabel.objects.create(
            image=probe, synset=classes[wnid], state=state, source=ANNOTATION_SOURCE
        )
        Candidate.objects.create(image=probe, synset=classes[wnid], added_by="import")


def _answer(round: Round, image: Image, labeler: User, wnid: str) -> None:
    Answer.objects.create(
        round_image=round.items.get(image=image),
        labeler=labeler,
        synset_id=wnid,
        idempotency_key=str(uuid.uuid4()),
    )


@pytest.fixture(params=KINDS)
def study(request, imagenet_classes, annotator) -> Study:
    """A round of the fixture's kind holding the probe (first) and a plain second image, the
    participant anna and a fellow labeler or reviewer, with every secret in place."""
    kind = request.param
    classes = imagenet_classes
    probe, second = make_probe_pair(
        label=classes[LABEL],
        name=NAME,
        second_label=classes[SECOND_LABEL],
        second_name=SECOND_NAME,
    )
    _annotate(probe, classes)
    model = classifier_model_get_or_create(name=MODEL_NAME, metadata={})
    predictions_bulk_create(
        rows=[
            (model.pk, probe.pk, classes[PREDICTED].pk, 1, 0.9),
            (model.pk, second.pk, classes[SECOND_PREDICTED].pk, 1, 0.8),
        ]
    )
    make_references(classes[LABEL], [1])
    labeler = make_user(OTHER_LABELER, Role.ANNOTATOR)
    fellow = make_user(OTHER_REVIEWER, Role.ANNOTATOR)
    # What another person answered for both images, in an evaluation round anna is not in.
    # (A training round's images are kept out of evaluation rounds: then it is a training one.)
    elsewhere = make_round(
        [probe, second],
        [labeler],
        name="Elsewhere",
        kind=RoundKind.TRAINING if kind == RoundKind.TRAINING else RoundKind.EVALUATION,
    )
    _answer(elsewhere, probe, labeler, OTHERS_ANSWER)
    _answer(elsewhere, second, labeler, SECOND_LABEL)
    shown: set[str] = set()
    if kind in (RoundKind.TRAINING, RoundKind.EVALUATION):
        round = make_round([probe, second], [annotator, fellow], name="Round", kind=kind)
        # The fellow labeler answered the probe in the same round.
        _answer(round, probe, fellow, OTHERS_ANSWER)
    elif kind == RoundKind.ANNOTATION_REVIEW:
        round = review_round_create(
            name="Review",
            kind=kind,
            image_ids=[probe.pk, second.pk],
            reviewers=[annotator, fellow],
        )
        shown = {LABEL, ALSO_CORRECT, WRONG, PREDICTED}
    else:
        round = final_review_create(
            source_round=elsewhere, name="Final", reviewers=[annotator, fellow], seed=5
        )
        shown = {OTHERS_ANSWER, PREDICTED}
    if kind in REVIEW_KINDS:
        assert {
            wnid
            for wnid in RoundCandidate.objects.filter(round=round, position=1).values_list(
                "candidate__synset__wnid", flat=True
            )
        } == shown
        # The fellow reviewer has judged the probe's candidates already.
        assignment = Assignment.objects.select_related("round").get(round=round, user=fellow)
        for n, candidate in enumerate(RoundCandidate.objects.filter(round=round, position=1)):
            judgment_record(
                assignment=assignment,
                candidate=candidate.public_id,
                verdict="wrong" if n % 2 else "correct",
                idempotency_key=f"fellow-{n}",
            )
        review_flag_record(  # and flagged it, naming themself in the reason
            assignment=assignment,
            item=round.items.get(position=1).public_id,
            reason=f"blurry, says {OTHER_REVIEWER}",
            idempotency_key="fellow-flag",
        )
    return Study(
        kind=kind,
        round=round,
        probe=probe,
        second=second,
        classes=classes,
        model=model,
        participant=annotator,
        shown=shown,
    )
