"""On PostgreSQL the server writes the export lines: they must be the Python path's lines."""

from __future__ import annotations

import csv
import io
import json

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
def test_the_servers_json_lines_hold_the_python_objects(scored, make):
    table = make()

    def objects(chunks) -> list[dict]:
        return [json.loads(line) for line in b"".join(chunks).decode().splitlines()]

    server, python = objects(postgres_line_chunks(table, "jsonl")), objects(jsonl_chunks(table))
    assert server == python and [list(o) for o in server] == [list(o) for o in python]
