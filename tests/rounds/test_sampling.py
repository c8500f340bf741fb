"""Evaluation rounds by sampling: K images per class from each source, eligible images only."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.guide.models import GuideFreeze
from labeling.guide.selectors import guide_active_freeze
from labeling.images.models import Image
from labeling.rounds.models import Round, RoundImage, RoundKind
from labeling.rounds.sampling import evaluation_sample
from labeling.rounds.services import round_close
from tests.rounds.helpers import GOLDFISH, TENCH

pytestmark = pytest.mark.django_db
SOURCES = ["imagenet-val", "imagenetv2-matched-frequency"]


def test_k_images_per_class_from_each_source_only_eligible_ones(sampling_pool):
    sample = evaluation_sample(per_class=2, sources=SOURCES, seed=5)
    assert sample.problems == []
    chosen = Image.objects.filter(pk__in=sample.image_ids)
    assert Counter(chosen.values_list("source__slug", "original_label_id")) == {
        (source, wnid): 2 for source in SOURCES for wnid in (TENCH, GOLDFISH)
    }
    assert not {i.pk for i in sampling_pool["ineligible"]} & set(sample.image_ids)


def test_the_same_seed_draws_the_same_sample_and_another_seed_may_not(sampling_pool):
    first = evaluation_sample(per_class=1, sources=SOURCES, seed=5).image_ids
    assert evaluation_sample(per_class=1, sources=SOURCES, seed=5).image_ids == first
    others = {
        tuple(evaluation_sample(per_class=1, sources=SOURCES, seed=s).image_ids) for s in range(20)
    }
    assert len(others) > 1


def test_a_class_a_source_cannot_supply_is_a_problem(sampling_pool):
    sample = evaluation_sample(per_class=4, sources=SOURCES, seed=1)
    assert sample.image_ids == []
    assert len(sample.problems) == 4
    assert "imagenet-val has 3 eligible image(s) of n01440764, fewer than 4" in sample.problems


def test_unknown_sources_and_a_k_below_one_are_problems(sampling_pool):
    sample = evaluation_sample(per_class=0, sources=["imagenet-val", "nowhere"], seed=1)
    assert sample.problems == [
        "--per-class: at least 1 image per class",
        "--sources: no image source 'nowhere'",
    ]


def sample_round(*args: str) -> tuple[Round, str]:
    out = io.StringIO()
    call_command(
        "create_evaluation_round", "--name", "Sampled", *args, stdout=out, stderr=io.StringIO()
    )
    return Round.objects.get(pk=int(out.getvalue().split()[-1])), out.getvalue()


def test_the_command_samples_shuffles_together_and_records_the_seed(sampling_pool):
    round, out = sample_round("--per-class", "1", "--seed", "7")
    assert round.seed == 7 and round.image_count == 4
    assert "4 images shuffled with seed 7" in out
    images = RoundImage.objects.filter(round=round).order_by("position")
    expected = evaluation_sample(per_class=1, sources=SOURCES, seed=7).image_ids
    assert sorted(images.values_list("image_id", flat=True)) == sorted(expected)


def test_without_a_seed_one_is_drawn_and_recorded_and_rebuilds_the_sample(sampling_pool):
    round, _ = sample_round("--per-class", "1", "--sources", "imagenet-val")
    assert round.seed is not None
    again = evaluation_sample(per_class=1, sources=["imagenet-val"], seed=round.seed).image_ids
    assert sorted(RoundImage.objects.filter(round=round).values_list("image_id", flat=True)) == (
        sorted(again)
    )


def test_the_guide_can_be_frozen_for_the_round_and_closing_the_round_releases_it(sampling_pool):
    round, out = sample_round("--per-class", "1", "--freeze-guide")
    freeze = GuideFreeze.objects.get(released_at__isnull=True)
    assert freeze.name == f"Evaluation round {round.pk}: Sampled"
    assert round.guide_freeze == freeze
    assert "guide frozen" in out

    round_close(round=round)

    freeze.refresh_from_db()
    assert freeze.released_at is not None and guide_active_freeze() is None


def test_a_guide_already_frozen_creates_no_round(sampling_pool):
    sample_round("--per-class", "1", "--freeze-guide")
    with pytest.raises(CommandError, match="already frozen"):
        sample_round("--per-class", "1", "--freeze-guide")
    assert Round.objects.filter(kind=RoundKind.EVALUATION).count() == 1


def test_sampling_problems_create_nothing(sampling_pool):
    with pytest.raises(CommandError, match="4 problem"):
        sample_round("--per-class", "5")
    assert not Round.objects.filter(kind=RoundKind.EVALUATION).exists()
