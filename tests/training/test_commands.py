"""`manage.py create_training_round`: images drawn from subtrees, classes and sources."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.rounds.models import Round, RoundImage, RoundKind
from tests.training.conftest import TERRIER, TERRIERS

pytestmark = pytest.mark.django_db


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_training_round", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_round_under_the_terrier_subtree_holds_only_terrier_images(labeled, annotator):
    out = create(
        "--name", "Terriers", "--under", TERRIER, "--count", "6", "--seed", "5",
        "--sources", "imagenet-val", "--labelers", "anna",
    )  # fmt: skip
    round = Round.objects.get()
    assert out.strip().splitlines()[-1] == str(round.pk)
    assert round.kind == RoundKind.TRAINING and round.seed == 5
    labels = set(
        RoundImage.objects.filter(round=round).values_list("image__original_label_id", flat=True)
    )
    assert labels <= set(TERRIERS) and round.image_count == 6
    assert list(round.assignments.values_list("user__username", flat=True)) == ["anna"]


def test_every_problem_is_listed_and_nothing_is_written(labeled):
    err = io.StringIO()
    with pytest.raises(CommandError, match="no round was created"):
        call_command(
            "create_training_round", "--name", "x", "--under", "n99999999", "--count", "3",
            "--labelers", "nobody", stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert "nobody" in err.getvalue()
    with pytest.raises(CommandError):
        create("--name", "x", "--under", "n99999999", "--count", "3")
    with pytest.raises(CommandError):
        create("--name", "x", "--count", "3")
    assert not Round.objects.exists()
