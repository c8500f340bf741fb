"""Nothing an annotator can load in an evaluation round reveals the answer: not the JSON, not a
header, not a byte of an image.

The image is a probe whose EXIF, JPEG comment, XMP and appended bytes carry its wnid and val file
name; it has annotations, model predictions and another labeler's answer. Every endpoint the
annotator can reach is called, and every response is searched for all of it.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.http import FileResponse

from labeling.images.models import Image
from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from labeling.review.models import Candidate, ImageLabel
from labeling.rounds.models import Round
from tests.helpers import api_client_for, login, make_user
from tests.images.factories import make_probe_pair
from tests.rounds.factories import make_round

pytestmark = pytest.mark.django_db

LABEL = "n02094258"  # Norwich terrier: the original label
ALSO_CORRECT = "n02094114"  # Norfolk terrier: a multi-label annotation
WRONG = "n02012849"  # crane (bird): annotated wrong
PREDICTED = "n03126707"  # crane (machine): a model's prediction
OTHERS_ANSWER = "n02123045"  # tabby: what another labeler answered
OWN_ANSWER = "n03642806"  # laptop: what this annotator answers (theirs to see)
NAME = "ILSVRC2012_val_00038768.JPEG"


@pytest.fixture
def study(imagenet_classes, annotator):
    """An evaluation round of the probe and one more image, with everything one could leak."""
    probe, second = make_probe_pair(
        label=imagenet_classes[LABEL],
        name=NAME,
        second_label=imagenet_classes[LABEL],
        second_name="ILSVRC2012_val_00038769.JPEG",
    )
    for wnid, state in ((LABEL, "correct"), (ALSO_CORRECT, "correct"), (WRONG, "wrong")):
        ImageLabel.objects.create(
            image=probe, synset=imagenet_classes[wnid], state=state, source="import:x"
        )
        Candidate.objects.create(image=probe, synset=imagenet_classes[wnid], added_by="import")
    model = classifier_model_get_or_create(name="resnet50-leaky", metadata={})
    predictions_bulk_create(rows=[(model.pk, probe.pk, imagenet_classes[PREDICTED].pk, 1, 0.9)])
    other = make_user("bert", "annotator")
    round = make_round([probe, second], [annotator, other], name="Evaluation")
    bert = api_client_for(other)
    item = bert.get(f"/api/rounds/{round.pk}/next/").json()["item"]
    bert.post(
        f"/api/rounds/{round.pk}/answers/",
        {"item": item, "wnid": OTHERS_ANSWER, "active_seconds": 3, "events": []},
        format="json",
        HTTP_IDEMPOTENCY_KEY="bert-1",
    )
    return {"round": round, "probe": probe, "classes": imagenet_classes, "model": model}


def secrets_of(study) -> list[str]:
    probe: Image = study["probe"]
    classes = study["classes"]
    words = [
        probe.original_name,
        "ILSVRC2012",
        "00038768",
        probe.sha256,
        probe.source.slug,
        probe.source.name,
        "imagenet",
        study["model"].name,
    ]
    for wnid in (LABEL, ALSO_CORRECT, WRONG, PREDICTED, OTHERS_ANSWER):
        words += [wnid, classes[wnid].name, classes[wnid].display_name]
    return sorted({word.lower() for word in words})


def exposed(response) -> bytes:
    """Everything the browser gets: status line, every header and the whole body."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return f"{response.status_code}\n{headers}\n".encode() + content


def assert_nothing_leaks(response, secrets: list[str], what: str) -> None:
    seen = exposed(response).lower()
    leaked = [secret for secret in secrets if secret.encode() in seen]
    assert not leaked, f"{what} reveals {leaked}"


def test_no_endpoint_an_annotator_reaches_reveals_the_answer(study, annotator):
    round: Round = study["round"]
    secrets = secrets_of(study)
    for client in (api_client_for(annotator), login(annotator)):  # scripts and the browser
        calls = []
        calls.append(("list", client.get("/api/rounds/")))
        first = client.get(f"/api/rounds/{round.pk}/next/")
        calls.append(("next", first))
        calls.append(("next again", client.get(f"/api/rounds/{round.pk}/next/")))
        calls.append(("progress", client.get(f"/api/rounds/{round.pk}/progress/")))
        calls.append(("no previous yet", client.get(f"/api/rounds/{round.pk}/previous/")))
        calls.append(("answers list", client.get(f"/api/rounds/{round.pk}/answers/")))
        body = first.json()
        for name in ("image", "thumbnail", "prefetch"):
            if body[name] is not None:  # no prefetch at the last item
                calls.append((name, client.get(body[name], HTTP_ACCEPT="image/*")))
        if client.__class__.__name__ == "APIClient":
            key = str(uuid.uuid4())
            answer = {"item": body["item"], "wnid": OWN_ANSWER, "active_seconds": 4, "events": []}
            url = f"/api/rounds/{round.pk}/answers/"
            calls.append(
                ("answer", client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY=key))
            )
            calls.append(
                ("replay", client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY=key))
            )
            calls.append(
                (
                    "conflict",
                    client.post(
                        url,
                        {**answer, "wnid": "n01440764"},
                        format="json",
                        HTTP_IDEMPOTENCY_KEY=key,
                    ),
                )
            )
            calls.append(
                (
                    "bad wnid",
                    client.post(
                        url,
                        {**answer, "wnid": "n00000001"},
                        format="json",
                        HTTP_IDEMPOTENCY_KEY="k2",
                    ),
                )
            )
            previous = client.get(f"/api/rounds/{round.pk}/previous/")
            calls.append(("previous", previous))
            calls.append(("previous image", client.get(previous.json()["image"])))
            calls.append(
                (
                    "change",
                    client.post(
                        url,
                        {**answer, "wnid": "n01443537"},
                        format="json",
                        HTTP_IDEMPOTENCY_KEY="k3",
                    ),
                )
            )
            calls.append(("done", client.get(f"/api/rounds/{round.pk}/next/")))
        for what, response in calls:
            assert response.status_code < 500, what
            assert_nothing_leaks(response, secrets, what)


def test_image_headers_are_the_same_whatever_the_source_or_name(study, annotator):
    """Only the ETag and length may differ between two images: nothing that follows the source,
    the file name or the original format."""
    round: Round = study["round"]
    client = login(annotator)
    body = client.get(f"/api/rounds/{round.pk}/next/").json()
    headers: list[dict[str, str]] = []
    for url in (body["image"], body["prefetch"]):
        response = client.get(url, HTTP_ACCEPT="image/*")
        assert isinstance(response, FileResponse)
        served = b"".join(response.streaming_content)
        etag = response["ETag"].strip('"')
        assert etag not in (hashlib.sha256(served).hexdigest(), hashlib.md5(served).hexdigest())
        headers.append({k: v for k, v in response.items() if k not in ("ETag", "Content-Length")})
    assert headers[0] == headers[1]
    assert headers[0]["Content-Type"] == "image/jpeg"
    assert headers[0]["Content-Disposition"] == "inline"
    assert "Last-Modified" not in headers[0]


def test_annotator_payloads_name_images_only_by_opaque_ids(study, annotator):
    round: Round = study["round"]
    client = api_client_for(annotator)
    body = client.get(f"/api/rounds/{round.pk}/next/").json()
    assert set(body) == {
        "item",
        "image",
        "thumbnail",
        "position",
        "total",
        "done",
        "prefetch",
        "can_change_previous",
    }
    assert len(body["item"]) == 16 and body["item"] not in body["image"]
