"""In a training round the answer is revealed only after the labeler confirms: nothing before
that (the screen, the next payload, the image bytes and headers, the feedback fragment) says it,
and the next item's payload never says the next image's answer."""

from __future__ import annotations

import pytest

from labeling.review.models import ImageLabel
from labeling.rounds.models import RoundKind
from tests.helpers import api_client_for, login
from tests.images.factories import make_probe_pair
from tests.rounds.factories import make_round
from tests.rounds.helpers import post_answer
from tests.rounds.test_leaks import assert_nothing_leaks

pytestmark = pytest.mark.django_db

LABEL, ALSO_CORRECT, SECOND = "n02094258", "n02094114", "n03642806"  # Norwich, Norfolk, laptop
NAME = "ILSVRC2012_val_00038768.JPEG"


@pytest.fixture
def practice(imagenet_classes, annotator):
    probe, second = make_probe_pair(
        label=imagenet_classes[LABEL],
        name=NAME,
        second_label=imagenet_classes[SECOND],
        second_name="ILSVRC2012_val_00038769.JPEG",
        seed=78,
    )
    for wnid in (LABEL, ALSO_CORRECT):
        ImageLabel.objects.create(
            image=probe, synset=imagenet_classes[wnid], state="correct", source="import:x"
        )
    return make_round([probe, second], [annotator], name="Practice", kind=RoundKind.TRAINING)


def secrets(classes, *wnids: str) -> list[str]:
    words = [NAME, "ILSVRC2012", "00038768", "imagenet-val"]
    for wnid in wnids:
        words += [wnid, classes[wnid].name, classes[wnid].display_name]
    return sorted({word.lower() for word in words})


def test_nothing_reveals_the_answer_before_confirm(practice, annotator, imagenet_classes):
    hidden = secrets(imagenet_classes, LABEL, ALSO_CORRECT, SECOND)
    browser, script = login(annotator), api_client_for(annotator)
    screen = browser.get(f"/label/{practice.pk}/")
    assert_nothing_leaks(screen, hidden, "the labeling screen")
    body = script.get(f"/api/rounds/{practice.pk}/next/")
    assert_nothing_leaks(body, hidden, "next")
    item = body.json()
    for name in ("image", "thumbnail", "prefetch"):
        assert_nothing_leaks(browser.get(item[name], HTTP_ACCEPT="image/*"), hidden, name)
    early = browser.get(f"/training/rounds/{practice.pk}/feedback/{item['item']}/")
    assert early.status_code == 404
    assert_nothing_leaks(early, hidden, "feedback before the answer")

    response = post_answer(script, practice, item["item"], wnid=ALSO_CORRECT)
    assert response.json()["feedback"]["correct"] is True  # now it is revealed
    following = response.json()["next"]
    assert_nothing_leaks(
        script.get(f"/api/rounds/{practice.pk}/next/"), secrets(imagenet_classes, SECOND), "next"
    )
    assert SECOND not in str(following) and "laptop" not in str(following).lower()
    ahead = browser.get(f"/training/rounds/{practice.pk}/feedback/{following['item']}/")
    assert ahead.status_code == 404
    assert_nothing_leaks(ahead, secrets(imagenet_classes, SECOND), "feedback on the next item")
