"""Agreement between reviewers: Fleiss' kappa on hand-computed examples, pairwise agreement and
the kappa of a round; labels made by review survive an export and an import."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command

from labeling.review.models import ImageLabel, Judgment, RoundCandidate
from labeling.review.selectors import fleiss_kappa, review_agreement
from labeling.review.services import review_consensus_apply
from tests.review.conftest import GOLDFISH, SHARK, TENCH
from tests.review.factories import make_review_round
from tests.review.test_services import judge_all

pytestmark = pytest.mark.django_db

# Items x (correct, wrong, unclear), three raters each. By hand: P_i = 1, 1, 1/3, 0, so
# P = 7/12; p = 6/12, 5/12, 1/12, so Pe = 62/144; kappa = (84 - 62) / (144 - 62) = 22/82.
HAND = [[3, 0, 0], [0, 3, 0], [2, 1, 0], [1, 1, 1]]


def test_fleiss_kappa_of_a_hand_computed_example():
    assert fleiss_kappa(HAND) == pytest.approx(22 / 82)


def test_fleiss_kappa_of_the_textbook_example():
    """Fleiss (1971) as on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa 0.210."""
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    assert fleiss_kappa(table) == pytest.approx(0.2099, abs=1e-4)


def test_fleiss_kappa_is_undefined_with_one_category_used():
    assert fleiss_kappa([[3, 0, 0], [3, 0, 0]]) is None
    assert fleiss_kappa([]) is None


def test_a_rounds_agreement_matches_the_hand_computed_example(images, reviewers):
    """The round's four candidates (image 0: goldfish, shark, tench; image 1: goldfish) judged
    as HAND's rows; a fifth candidate with a skip is left out of kappa."""
    round = make_review_round(images, reviewers)
    rows = {
        (1, GOLDFISH): ["correct"] * 3,
        (1, SHARK): ["wrong"] * 3,
        (1, TENCH): ["correct", "correct", "wrong"],
        (2, GOLDFISH): ["correct", "wrong", "unclear"],
        (2, TENCH): ["correct", "skip", "correct"],
    }
    for rc in RoundCandidate.objects.filter(round=round, position__lte=2).select_related(
        "candidate__synset"
    ):
        for reviewer, verdict in zip(
            reviewers, rows[(rc.position, rc.candidate.synset.wnid)], strict=True
        ):
            Judgment.objects.create(
                round_candidate=rc,
                reviewer=reviewer,
                verdict=verdict,
                idempotency_key=str(uuid.uuid4()),
            )
    agreement = review_agreement(round=round)
    assert agreement.kappa == pytest.approx(22 / 82)
    assert agreement.kappa_items == 4
    # Shared non-skip verdicts: rev1/rev2 agree on goldfish, shark and tench of image 1 (3 of
    # 4); rev1/rev3 on goldfish, shark and tench of image 2 (3 of 5); rev2/rev3 on goldfish and
    # shark (2 of 4).
    assert agreement.pairs == [
        ("rev1", "rev2", 4, 0.75),
        ("rev1", "rev3", 5, 0.6),
        ("rev2", "rev3", 4, 0.5),
    ]


def test_labels_made_by_review_come_back_the_same_after_export_and_import(
    images, reviewers, tmp_path
):
    round = make_review_round(images, reviewers)
    for reviewer in reviewers:
        judge_all(round, reviewer, {TENCH: "correct", GOLDFISH: "correct", SHARK: "unclear"})
    review_consensus_apply(round=round)

    def label_sets() -> dict[tuple[str, str], str]:
        return {
            (name, wnid): state
            for name, wnid, state in ImageLabel.objects.values_list(
                "image__original_name", "synset__wnid", "state"
            )
        }

    made = label_sets()
    assert len(made) == 6
    path = tmp_path / "labels.json"
    call_command("export_annotations", str(path), stdout=io.StringIO())
    ImageLabel.objects.all().delete()
    call_command("import_annotations", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert label_sets() == made
