"""On PostgreSQL the server writes the export lines: they must be the Python path's lines."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from django.db import connection

from labeling.images.models import Image
from labeling.predictions.models import ModelPrediction
from labeling.research.exports import csv_chunks, jsonl_chunks
from labeling.research.postgres import postgres_line_chunks
from labeling.research.selectors import (
    human_predictions_table,
    images_table,
    judgments_table,
    labels_table,
    model_predictions_table,
    rounds_table,
)
from tests.review.factories import make_judged_final_review
from tests.scoring.factories import make_scored_round

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]
TABLES = [
    human_predictions_table,
    images_table,
    judgments_table,
    labels_table,
    model_predictions_table,
    rounds_table,
]


@pytest.fixture
def scored(imagenet_classes):
    scored = make_scored_round()
    Image.objects.filter(problematic=True).update(problematic_reason='-1, "quoted"\nnext line')
    ModelPrediction.objects.filter(rank=2).update(score=2.0)
    ModelPrediction.objects.filter(rank=1).update(score=0.25)
    make_judged_final_review(scored)
    return scored


@pytest.mark.parametrize("make", TABLES)
def test_the_servers_csv_is_the_python_csv(scored, make):
    table = make()
    assert b"".join(postgres_line_chunks(table, "csv")) == b"".join(csv_chunks(table))
    rows = list(csv.reader(io.StringIO(b"".join(csv_chunks(table)).decode())))
    assert len(rows) == 1 + table.queryset.count()


@pytest.mark.parametrize("make", TABLES)
def test_the_servers_json_lines_are_the_python_json_lines(scored, make):
    table = make()
    server = b"".join(postgres_line_chunks(table, "jsonl"))
    assert server == b"".join(jsonl_chunks(table))
    objects = [json.loads(line) for line in server.decode().splitlines()]
    assert len(objects) == table.queryset.count()
    assert all(list(o) == list(table.columns) for o in objects)


def test_text_with_quotes_control_characters_and_percent_signs_comes_out_alike(scored):
    Image.objects.filter(problematic=True).update(
        problematic_reason='tab\there, 100% "sure"\\ \x01\x02 é'
    )
    table = images_table()
    for python, server in [
        (csv_chunks(table), postgres_line_chunks(table, "csv")),
        (jsonl_chunks(table), postgres_line_chunks(table, "jsonl")),
    ]:
        assert b"".join(server) == b"".join(python)


def test_the_stream_comes_in_small_chunks_and_a_client_may_leave_midway(scored):
    table = model_predictions_table()
    chunks = postgres_line_chunks(table, "csv", chunk_bytes=64)
    next(chunks), next(chunks)  # the header, then the first bytes COPY wrote
    chunks.close()  # the client went away: the COPY is stopped, its thread ends
    assert not [t for t in threading.enumerate() if t.name == "research-export-copy"]
