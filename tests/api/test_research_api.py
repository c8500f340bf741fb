"""The researchers' API: read-only lists with filters, cursor pages, CSV and JSON Lines streams,
and a round's export bundle."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from labeling.images.models import Image
from labeling.predictions.models import ClassifierModel
from labeling.research.selectors import PREDICTION_COLUMNS, labeler_pseudonym
from labeling.rounds.models import Round
from tests.helpers import api_client_for
from tests.review.factories import make_judged_final_review
from tests.scoring.factories import make_scored_round, wnid

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/research/images/",
    "/api/research/classes/",
    "/api/research/labels/",
    "/api/research/human-predictions/",
    "/api/research/model-predictions/",
    "/api/research/judgments/",
    "/api/research/rounds/",
]


@pytest.fixture
def scored(imagenet_classes):
    return make_scored_round()


@pytest.fixture
def judged(scored) -> Round:
    return make_judged_final_review(scored)


@pytest.fixture
def client(researcher) -> APIClient:
    return api_client_for(researcher)


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def results(client: APIClient, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("url", LISTS)
def test_every_list_needs_a_token_and_is_closed_to_annotators(url, scored, annotator):
    assert APIClient().get(url).status_code == 401
    assert api_client_for(annotator).get(url).status_code == 403
    assert api_client_for(annotator).get(url + "?format=csv").status_code == 403


@pytest.mark.parametrize("url", LISTS)
def test_researchers_and_admins_read_every_list(url, scored, researcher, study_admin):
    for user in (researcher, study_admin):
        assert api_client_for(user).get(url).status_code == 200


def test_images_filter_by_source_round_and_group(client, scored):
    v2 = results(client, "/api/research/images/?source=imagenetv2-matched-frequency")
    assert {row["image"] for row in v2} == {f"{n:040x}" for n in range(1, 4)}
    in_round = results(client, f"/api/research/images/?round={scored.round.pk}")
    assert len(in_round) == 8  # not the image of the model that takes no part
    dogs = results(client, "/api/research/images/?group=dog")
    assert {row["image"] for row in dogs} == {"ILSVRC2012_val_00000003.JPEG", f"{2:040x}"}
    problematic = [row for row in in_round if row["problematic"]]
    assert [row["image"] for row in problematic] == ["ILSVRC2012_val_00000005.JPEG"]


def test_humans_and_models_come_in_one_row_shape(client, scored):
    humans = results(client, "/api/research/human-predictions/")
    models = results(client, "/api/research/model-predictions/")
    assert all(tuple(row) == PREDICTION_COLUMNS for row in humans + models)
    alice = labeler_pseudonym(scored.labelers["alice"].pk)
    first = next(r for r in humans if r["image"] == "ILSVRC2012_val_00000001.JPEG")
    assert first["participant"] == alice and first["kind"] == "human"
    assert (first["rank"], first["score"], first["active_seconds"]) == (1, None, 10.0)
    assert first["round"] == scored.round.pk and first["source"] == "imagenet-val"
    assert {r["kind"] for r in models} == {"model"} and {r["participant"] for r in models} == {
        "resnet50",
        "absent",
    }


def test_human_predictions_filter_by_labeler_and_model_predictions_by_model_and_round(
    client, scored
):
    bob = labeler_pseudonym(scored.labelers["bob"].pk)
    rows = results(client, f"/api/research/human-predictions/?labeler={bob}")
    assert [(r["participant"], r["wnid"]) for r in rows] == [(bob, wnid(0)), (bob, wnid(6))]
    round_rows = results(client, f"/api/research/model-predictions/?round={scored.round.pk}")
    assert {r["participant"] for r in round_rows} == {"resnet50"}
    assert {r["round"] for r in round_rows} == {scored.round.pk}
    assert len(results(client, "/api/research/model-predictions/?model=absent")) == 1


def test_judgments_are_each_reviewers_own_verdicts_by_pseudonym(client, judged, scored):
    rows = results(client, "/api/research/judgments/")
    assert len(rows) == 4 and {r["round"] for r in rows} == {judged.pk}
    rev1 = labeler_pseudonym(User.objects.get(username="rev1").pk)
    rev2 = labeler_pseudonym(User.objects.get(username="rev2").pk)
    assert {(r["reviewer"], r["image"], r["verdict"]) for r in rows} == {
        (rev1, "ILSVRC2012_val_00000001.JPEG", "correct"),
        (rev1, "ILSVRC2012_val_00000002.JPEG", "correct"),
        (rev2, "ILSVRC2012_val_00000001.JPEG", "wrong"),
        (rev2, "ILSVRC2012_val_00000002.JPEG", "unclear"),
    }
    first = rows[0]
    assert first["wnid"] == scored.images["v1"].original_label_id
    assert (
        first["source"] == "imagenet-val" and first["candidate_origin"] == "import"
    )  # from the labels
    assert first["judged_at"].endswith("+00:00")
    assert "rev1" not in json.dumps(rows)  # usernames stay with admins


def test_judgments_filter_by_round_reviewer_image_and_verdict(client, judged, scored):
    rev2 = labeler_pseudonym(User.objects.get(username="rev2").pk)
    url = "/api/research/judgments/"
    assert len(results(client, f"{url}?round={judged.pk}")) == 4
    assert results(client, f"{url}?round={scored.round.pk}") == []
    assert {r["reviewer"] for r in results(client, f"{url}?reviewer={rev2}")} == {rev2}
    by_image = results(client, f"{url}?image=ILSVRC2012_val_00000002.JPEG")
    assert sorted(r["verdict"] for r in by_image) == ["correct", "unclear"]
    assert [r["reviewer"] for r in results(client, f"{url}?verdict=wrong")] == [rev2]
    assert client.get(f"{url}?reviewer=rev2").status_code == 400
    assert client.get(f"{url}?verdict=maybe").status_code == 400


def test_judgments_page_by_cursor_and_stream_as_csv_and_json_lines(client, judged):
    everything = results(client, "/api/research/judgments/")
    seen, url = [], "/api/research/judgments/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += page["results"]
        url = page["next"]
    assert seen == everything
    rows = list(
        csv.DictReader(
            io.StringIO(streamed(client.get(url_csv := "/api/research/judgments/?format=csv")))
        )
    )
    assert [row["verdict"] for row in rows] == [row["verdict"] for row in everything]
    assert client.get(url_csv)["Content-Type"].startswith("text/csv")
    lines = streamed(client.get("/api/research/judgments/?format=jsonl&verdict=correct"))
    objects = [json.loads(line) for line in lines.splitlines()]
    assert objects == [row for row in everything if row["verdict"] == "correct"]


def test_a_bad_filter_is_a_400(client, scored):
    assert client.get("/api/research/human-predictions/?labeler=alice").status_code == 400
    assert client.get("/api/research/images/?group=cats").status_code == 400


def test_cursor_pages_walk_the_whole_list_in_order(client, scored):
    everything = results(client, "/api/research/model-predictions/")
    seen, url = [], "/api/research/model-predictions/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += page["results"]
        url = page["next"]
    assert seen == everything and len(seen) == 10


def test_a_page_is_one_query(client, scored, django_assert_max_num_queries):
    client.get("/api/research/model-predictions/")  # the token is looked up once, then cached
    with django_assert_max_num_queries(4):
        assert client.get("/api/research/model-predictions/?page_size=2").status_code == 200


def test_a_forged_cursor_is_a_400(client, scored):
    assert client.get("/api/research/images/?cursor=bm9wZQ").status_code == 400


def test_csv_streams_the_whole_list_with_a_header(client, scored):
    response = client.get(f"/api/rounds/{scored.round.pk}/human-predictions/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(streamed(response))))
    assert tuple(rows[0]) == PREDICTION_COLUMNS
    assert len(rows) == 1 + 10


def test_json_lines_stream_one_object_a_line(client, scored):
    response = client.get("/api/research/human-predictions/?format=jsonl")
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in streamed(response).splitlines()]
    assert len(lines) == 10 and tuple(lines[0]) == PREDICTION_COLUMNS
    assert lines[0]["served_at"].endswith("+00:00")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, scored):
    ClassifierModel.objects.filter(name="absent").update(name='=HYPERLINK("http://x")')
    Image.objects.filter(problematic=True).update(problematic_reason="@SUM(1+1)")
    models = streamed(client.get("/api/research/model-predictions/?format=csv"))
    assert "'=HYPERLINK" in models and "\n=HYPERLINK" not in models
    images = list(
        csv.DictReader(io.StringIO(streamed(client.get("/api/research/images/?format=csv"))))
    )
    assert {row["problematic_reason"] for row in images} == {"", "'@SUM(1+1)"}
    jsonl = streamed(client.get("/api/research/model-predictions/?format=jsonl"))
    participants = {json.loads(line)["participant"] for line in jsonl.splitlines()}
    assert '=HYPERLINK("http://x")' in participants  # JSON is data, not a spreadsheet


def test_classes_have_their_group_and_paths(client, scored):
    rows = results(client, "/api/research/classes/?group=dog")
    assert [row["index"] for row in rows] == [1]
    assert rows[0]["paths"] == [[rows[0]["wnid"]]]  # no hierarchy loaded in this test
    text = streamed(client.get("/api/research/classes/?group=dog&format=csv"))
    assert text.splitlines()[1].endswith(rows[0]["wnid"])


def test_the_round_human_predictions_of_an_unknown_round_are_a_404(client, db):
    assert client.get("/api/rounds/999/human-predictions/?format=csv").status_code == 404


def test_the_export_bundle_has_every_list_and_checksums(client, scored, judged):
    response = client.get(f"/api/rounds/{scored.round.pk}/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(bundle.read("manifest.json"))
    names = [entry["name"] for entry in manifest["files"]]
    assert names == [
        "rounds.csv",
        "images.csv",
        "classes.csv",
        "labels.csv",
        "human-predictions.csv",
        "model-predictions.csv",
        "judgments.csv",
        "scores.json",
    ]
    for entry in manifest["files"]:
        data = bundle.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]
    assert len(bundle.read("model-predictions.csv").decode().splitlines()) == 1 + 9
    # The judgments of the round's final review come with the round.
    assert len(bundle.read("judgments.csv").decode().splitlines()) == 1 + 4
    assert json.loads(bundle.read("scores.json"))["round"] == scored.round.pk


def test_the_export_bundle_is_closed_to_annotators(scored, annotator):
    url = f"/api/rounds/{scored.round.pk}/export/"
    assert api_client_for(annotator).get(url).status_code == 403
    assert APIClient().get(url).status_code == 401
