from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from labeling.research.selectors import labeler_pseudonym
from labeling.scoring.selectors import round_scores
from tests.scoring.factories import make_scored_round

pytestmark = pytest.mark.django_db


def score(*args: str) -> str:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return out.getvalue()


def test_score_prints_the_scores_json(imagenet_classes):
    scored = make_scored_round()
    printed = json.loads(score("--round", str(scored.round.pk)))
    assert printed == json.loads(json.dumps(round_scores(round=scored.round)))


def test_score_as_a_table_has_a_line_per_participant_source_and_subset(imagenet_classes):
    scored = make_scored_round()
    table = score("--round", str(scored.round.pk), "--format", "table")
    alice = labeler_pseudonym(scored.labelers["alice"].pk)
    rows = [line.split() for line in table.splitlines()[2:]]
    assert len(rows) == 3 * 2 * 4
    assert [alice, "human", "imagenet-val", "all", "3", "4", "75.0%"] in [row[:7] for row in rows]


def test_score_takes_the_fast_threshold(imagenet_classes):
    scored = make_scored_round()
    printed = json.loads(score("--round", str(scored.round.pk), "--fast-threshold", "59"))
    alice = printed["participants"][0]
    assert alice["scores"]["imagenet-val"]["fast"]["total"] == 2


def test_score_of_an_unknown_round_is_an_error(db):
    with pytest.raises(CommandError, match="No round with id 999"):
        score("--round", "999")
