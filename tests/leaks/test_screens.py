"""Nothing a labeler or reviewer can load reveals what they are asked, in every round kind:
not a page, not a JSON payload, not a header, not a byte of an image, not an ETag.

Each test runs once per round kind (the `study` fixture, tests/leaks/conftest.py). Before the
participant answers, every page and endpoint of their round is called (the screen, next,
previous, progress, answers, the images, the class panel, reference images, the guide, search
and the hierarchy) and searched for the probe's labels, file name, source, hash, model
predictions and other people's work; then again with what answering and judging return.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

import pytest
from django.http import FileResponse, HttpResponseBase

from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from labeling.review.models import Judgment, ReviewRound, RoundCandidate
from labeling.review.services import review_round_create
from labeling.rounds.models import RoundKind
from tests.helpers import api_client_for, login
from tests.leaks.conftest import (
    ALSO_CORRECT,
    LABEL,
    OTHERS_ANSWER,
    OWN_ANSWER,
    PREDICTED,
    SECOND_LABEL,
    SECOND_PREDICTED,
    WRONG,
    Study,
)
from tests.leaks.helpers import assert_nothing_leaks, assert_pixels_only, content_of
from tests.rounds.helpers import post_answer

pytestmark = pytest.mark.django_db

ITEM_KEYS = {"item", "image", "thumbnail", "position", "total", "done", "prefetch"}
CANDIDATE_KEYS = {"id", "wnid", "name", "gloss", "verdict"}


def round_url(study: Study, what: str) -> str:
    return f"/api/rounds/{study.round.pk}/{what}/"


def screen_config(page: str) -> dict:
    found = re.search(
        r'<script id="(?:label|review)-config" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, page[:2000]
    return json.loads(found.group(1))


def reads_before_answering(study: Study) -> list[tuple[str, object]]:
    """(what, response) of every read the participant's screen and scripts can make."""
    calls: list[tuple[str, object]] = []
    browser, script = login(study.participant), api_client_for(study.participant)
    calls.append(("home page", browser.get("/")))
    calls.append(("the screen", browser.get(f"/label/{study.round.pk}/")))
    for client in (script, browser):
        first = client.get(round_url(study, "next"))
        calls.append(("next", first))
        calls.append(("next again", client.get(round_url(study, "next"))))
        calls.append(("rounds", client.get("/api/rounds/")))
        for what in ("progress", "previous", "answers", "judgments"):
            calls.append((what, client.get(round_url(study, what))))
        body = first.json()
        for name in ("image", "thumbnail", "prefetch"):
            calls.append((name, client.get(body[name], HTTP_ACCEPT="image/*")))
    return calls


def general_reads(study: Study) -> list[tuple[str, object]]:
    """Pages and endpoints about classes, the same whatever image is on screen: they may name
    any class, and must name nothing else of the study."""
    browser = login(study.participant)
    calls: list[tuple[str, object]] = [
        ("class panel", browser.get(f"/label/classes/{LABEL}/")),
        ("compact class panel", browser.get(f"/label/classes/{LABEL}/?compact=1")),
        ("previews", browser.get(f"/api/references/?wnids={LABEL},{OWN_ANSWER}")),
        ("class references", browser.get(f"/api/classes/{LABEL}/references/")),
        ("search", browser.get("/api/classes/search/?q=terrier")),
        ("class", browser.get(f"/api/classes/{LABEL}/")),
        ("hierarchy", browser.get("/api/taxonomy/")),
        ("guide", browser.get("/guide/")),
        ("guide entry", browser.get(f"/guide/entries/{LABEL}/")),
        ("class pages", browser.get("/classes/")),
        ("class page", browser.get(f"/classes/{LABEL}/")),
        ("compare page", browser.get(f"/classes/compare/?wnids={LABEL},{ALSO_CORRECT}")),
        ("my training", browser.get("/training/me/")),
    ]
    references = calls[3][1].json()  # type: ignore[attr-defined]
    for reference in references["results"]:
        calls.append(("reference", browser.get(reference["url"], HTTP_ACCEPT="image/*")))
        calls.append(
            ("reference thumbnail", browser.get(reference["thumbnail_url"], HTTP_ACCEPT="image/*"))
        )
    return calls


def with_dataset_name(response: HttpResponseBase, secrets: list[str]) -> list[str]:
    """The dataset's name too, in anything but an HTML page (whose title names the study)."""
    if response.get("Content-Type", "").startswith("text/html"):
        return secrets
    return [*secrets, "imagenet"]


def test_nothing_the_participant_loads_before_answering_reveals_anything(study: Study):
    secrets = study.secrets()
    for what, response in reads_before_answering(study):
        hidden = with_dataset_name(response, secrets)  # type: ignore[arg-type]
        assert_nothing_leaks(response, hidden, f"{study.kind}: {what}")  # type: ignore[arg-type]
    for what, response in general_reads(study):
        assert_nothing_leaks(response, study.names(), f"{study.kind}: {what}")  # type: ignore[arg-type]


def test_no_image_byte_header_or_etag_reveals_the_file(study: Study):
    """The probe's file hides its wnid and name in EXIF, a comment, XMP and appended bytes; the
    participant gets pixels only, under a random ETag, with the same headers as any image."""
    client = login(study.participant)
    body = client.get(round_url(study, "next")).json()
    headers: list[dict[str, str]] = []
    for what in ("image", "thumbnail", "prefetch"):
        response = client.get(body[what], HTTP_ACCEPT="image/*")
        assert isinstance(response, FileResponse), what
        assert_nothing_leaks(response, study.file_secrets(), f"{study.kind}: {what}")
        served = content_of(response)
        assert_pixels_only(served, what)
        etag = response["ETag"].strip('"')
        assert etag not in (
            study.probe.sha256,
            study.second.sha256,
            hashlib.sha256(served).hexdigest(),
            hashlib.md5(served).hexdigest(),
        ), what
        if what != "thumbnail":
            headers.append(
                {k: v for k, v in response.items() if k not in ("ETag", "Content-Length")}
            )
    # Only the ETag and length differ between two images: nothing that follows the source, the
    # file name or the original format.
    assert headers[0] == headers[1]
    assert headers[0]["Content-Type"] == "image/jpeg"
    assert headers[0]["Content-Disposition"] == "inline"
    assert "Last-Modified" not in headers[0]


def test_behind_the_web_server_the_handed_path_and_headers_reveal_nothing(study: Study, settings):
    """With X-Accel-Redirect the app answers headers only (the web server sends the bytes):
    the internal path it hands over names the copy by its random token, and the ETag is that
    token, whatever the kind."""
    settings.FILES_X_ACCEL_REDIRECT_PREFIX = "/protected-files/"
    client = login(study.participant)
    body = client.get(round_url(study, "next")).json()
    for what in ("image", "thumbnail", "prefetch"):
        response = client.get(body[what], HTTP_ACCEPT="image/*")
        assert response.status_code == 200, what
        assert response["X-Accel-Redirect"].startswith("/protected-files/copies/"), what
        assert_nothing_leaks(response, study.file_secrets(), f"{study.kind}: {what}")
        assert response["ETag"].strip('"') not in (study.probe.sha256, study.second.sha256)


def test_payloads_name_images_and_candidates_only_by_opaque_ids(study: Study):
    body = api_client_for(study.participant).get(round_url(study, "next")).json()
    extra = {"candidates"} if study.is_review else set()
    assert set(body) == ITEM_KEYS | {"can_change_previous"} | extra
    assert len(body["item"]) == 16 and body["item"] not in body["image"]
    if not study.is_review:
        return
    database_ids = {str(pk) for pk in RoundCandidate.objects.values_list("pk", flat=True)}
    counts = study.kind == RoundKind.ANNOTATION_REVIEW
    for candidate in body["candidates"]:
        assert set(candidate) == CANDIDATE_KEYS | ({"model_count"} if counts else set())
        assert candidate["id"] not in database_ids
        # The fellow reviewer's verdicts are theirs: the participant has given none yet.
        assert candidate["verdict"] is None
    assert {c["wnid"] for c in body["candidates"]} == study.shown


def test_what_answering_returns_reveals_nothing_more(study: Study):
    """Answers (evaluation, training) and judgments (reviews) with their replays, conflicts and
    refusals, then the previous item and the next: only the participant's own work comes back.
    (A training round's feedback on the probe is the one thing revealed: its labels.)"""
    client = api_client_for(study.participant)
    body = client.get(round_url(study, "next")).json()
    calls: list[tuple[str, object]] = []
    if study.is_review:
        url = round_url(study, "judgments")
        for n, candidate in enumerate(body["candidates"]):
            judgment = {"candidate": candidate["id"], "verdict": "unclear"}
            key = f"judge-{n}"
            calls.append(
                ("judgment", client.post(url, judgment, format="json", HTTP_IDEMPOTENCY_KEY=key))
            )
            calls.append(
                ("replay", client.post(url, judgment, format="json", HTTP_IDEMPOTENCY_KEY=key))
            )
            calls.append(
                (
                    "conflict",
                    client.post(
                        url,
                        {**judgment, "verdict": "wrong"},
                        format="json",
                        HTTP_IDEMPOTENCY_KEY=key,
                    ),
                )
            )
        item = body["item"]
        for what, posted in (
            ("added class", {"item": item, "add_wnid": OWN_ANSWER}),
            ("unknown class", {"item": item, "add_wnid": "n00000001"}),
            ("flag", {"item": item, "problematic": "blurry"}),
            ("malformed", {"candidate": "x", "verdict": "maybe"}),
        ):
            calls.append((what, client.post(url, posted, format="json", HTTP_IDEMPOTENCY_KEY=what)))
        calls.append(("answer refused", post_answer(client, study.round, item, wnid=OWN_ANSWER)))
        # Once the probe is judged the second image's candidates are shown, and the added class.
        study.shown |= {OWN_ANSWER, SECOND_LABEL, SECOND_PREDICTED}
        secrets = study.secrets()
        assert (
            Judgment.objects.filter(reviewer=study.participant).count()
            == len(body["candidates"]) + 1
        )
    else:
        url = round_url(study, "answers")
        key = str(uuid.uuid4())
        answer = {"item": body["item"], "wnid": OWN_ANSWER, "active_seconds": 4, "events": []}
        calls.append(("answer", client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY=key)))
        calls.append(("replay", client.post(url, answer, format="json", HTTP_IDEMPOTENCY_KEY=key)))
        calls.append(
            (
                "conflict",
                client.post(
                    url, {**answer, "wnid": "n01440764"}, format="json", HTTP_IDEMPOTENCY_KEY=key
                ),
            )
        )
        calls.append(
            (
                "bad wnid",
                client.post(
                    url, {**answer, "wnid": "n00000001"}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
                ),
            )
        )
        if study.kind == RoundKind.TRAINING:
            # The feedback reveals the probe's correct classes, and nothing else.
            secrets = sorted(
                {
                    *study.names(),
                    *study.hidden_classes(
                        WRONG, PREDICTED, OTHERS_ANSWER, SECOND_LABEL, SECOND_PREDICTED
                    ),
                }
                - {"crane"}  # the name of the wrong class (a bird) and of the predicted (a machine)
            )
        else:
            secrets = study.secrets()
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
        previous = client.get(round_url(study, "previous"))
        calls.append(("previous", previous))
        if previous.status_code == 200:
            calls.append(("previous image", client.get(previous.json()["image"])))
    calls.append(("next", client.get(round_url(study, "next"))))
    calls.append(("progress", client.get(round_url(study, "progress"))))
    calls.append(("answers", client.get(round_url(study, "answers"))))
    calls.append(("the screen", login(study.participant).get(f"/label/{study.round.pk}/")))
    for what, response in calls:
        hidden = with_dataset_name(response, secrets)  # type: ignore[arg-type]
        assert_nothing_leaks(response, hidden, f"{study.kind}: {what}")  # type: ignore[arg-type]


def test_a_training_round_reveals_the_answer_only_after_confirm(study: Study):
    """The feedback on an item is a 404 until the participant answered it (in any other kind it
    is a 404 always), and the next item's payload never says the next image's answer."""
    client, browser = api_client_for(study.participant), login(study.participant)
    item = client.get(round_url(study, "next")).json()
    feedback = f"/training/rounds/{study.round.pk}/feedback/"
    early = browser.get(f"{feedback}{item['item']}/")
    assert early.status_code == 404
    assert_nothing_leaks(early, study.secrets(), "feedback before the answer")
    if study.kind != RoundKind.TRAINING:
        return
    response = post_answer(client, study.round, item["item"], wnid=ALSO_CORRECT)
    assert response.json()["feedback"]["correct"] is True  # now it is revealed
    assert browser.get(f"{feedback}{item['item']}/").status_code == 200
    following = response.json()["next"]
    second = study.hidden_classes(SECOND_LABEL, SECOND_PREDICTED)
    assert not [word for word in second if word in json.dumps(following).lower()]
    assert_nothing_leaks(client.get(round_url(study, "next")), second, "next")
    ahead = browser.get(f"{feedback}{following['item']}/")
    assert ahead.status_code == 404
    assert_nothing_leaks(ahead, second, "feedback on the next item")


def test_a_review_round_tells_no_ones_candidate_from_anothers(study: Study):
    """In a final review nothing tells a person's candidate from a model's: no count, no
    origin, no labeler, no seed, in any payload or on the screen. An annotation review shows
    model counts (unless hidden) but no origin, no label state and no one else's verdict."""
    if not study.is_review:
        pytest.skip("a labeling round has no candidates")
    client = api_client_for(study.participant)
    page = login(study.participant).get(f"/label/{study.round.pk}/").content.decode()
    texts = [json.dumps(screen_config(page))]
    for position in (1, 2):  # both images, judged to the end
        body = client.get(round_url(study, "next")).json()
        assert body["position"] == position
        texts.append(json.dumps(body))
        assert len(body["candidates"]) >= 2  # in a final review: a person's class and a model's
        for candidate in body["candidates"]:
            response = client.post(
                round_url(study, "judgments"),
                {"candidate": candidate["id"], "verdict": "unclear"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
            assert response.status_code == 201, response.content
            texts.append(response.content.decode())
    texts.append(client.get(round_url(study, "progress")).content.decode())
    text = "\n".join(texts)
    forbidden = ["added_by", '"human"', '"seed"', '"import"', "origin", "state"]
    if study.kind == RoundKind.FINAL_REVIEW:
        forbidden += ["model", "human", "seed", "import"]
    assert not [word for word in forbidden if word in text]
    assert not [word for word in ("added_by", '"human"') if word in page]
    assert "model_count" not in page or study.kind == RoundKind.ANNOTATION_REVIEW


def test_hidden_model_counts_are_not_given_away_by_the_order(imagenet_classes, annotator):
    """Candidates listed by model count would tell the counts the round hides: such a round
    lists them in a seeded random order, its seed recorded."""
    from tests.images.factories import make_images

    image = next(iter(make_images(["ILSVRC2012_val_00000001.JPEG"]).values()))
    wnids = [w for w in sorted(imagenet_classes) if w != image.original_label_id][:8]
    # The class at index k is predicted by 8 - k models (model m predicts the first 8 - m).
    for m in range(8):
        model = classifier_model_get_or_create(name=f"model-{m}", metadata={})
        predictions_bulk_create(
            rows=[
                (model.pk, image.pk, imagenet_classes[wnid].pk, rank, None)
                for rank, wnid in enumerate(wnids[: 8 - m], start=1)
            ]
        )
    round = review_round_create(
        name="Blind counts",
        kind=RoundKind.ANNOTATION_REVIEW,
        image_ids=[image.pk],
        reviewers=[annotator],
        hide_model_counts=True,
    )
    assert ReviewRound.objects.get(round=round).seed is not None
    listed = api_client_for(annotator).get(f"/api/rounds/{round.pk}/next/").json()["candidates"]
    assert all("model_count" not in candidate for candidate in listed)
    assert [c["wnid"] for c in listed if c["wnid"] in wnids] != wnids  # 1 chance in 40,320
