"""Review rounds: candidates, judgments, added classes, flags, consensus and adjudication, the
label history of every change, the blind final review and the change report."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from labeling.audit.models import AuditEntry
from labeling.research.selectors import labeler_pseudonym
from labeling.review.models import (
    Candidate,
    CandidateOrigin,
    Decision,
    ImageLabel,
    Judgment,
    LabelChange,
    ReviewOutcome,
    RoundCandidate,
)
from labeling.review.selectors import adjudication_queue, review_change_report
from labeling.review.services import (
    adjudication_decide,
    adjudication_mark_problematic,
    candidate_add,
    consensus_of,
    final_review_create,
    image_labels_replace,
    judgment_record,
    review_consensus_apply,
    review_flag_record,
)
from labeling.rounds.models import Answer, Assignment, Round, RoundKind
from labeling.rounds.services import RoundConflict
from labeling.scoring.selectors import round_scores
from labeling.taxonomy.models import Synset
from tests.images.factories import make_images
from tests.review.conftest import GOLDFISH, SHARK, TENCH, TIGER_SHARK
from tests.review.factories import assignment_of, make_review_round, predict
from tests.rounds.factories import make_round

pytestmark = pytest.mark.django_db


def key() -> str:
    return str(uuid.uuid4())


def wnids_of(round, image) -> dict[str, int]:
    return dict(
        RoundCandidate.objects.filter(round=round, round_image__image=image)
        .order_by("order")
        .values_list("candidate__synset__wnid", "candidate__model_count")
    )


def judge_all(round, reviewer, verdicts: dict[str, str]) -> None:
    """The reviewer judges every candidate of the round: by wnid from `verdicts`, else wrong."""
    assignment = assignment_of(round, reviewer)
    for rc in RoundCandidate.objects.filter(round=round).select_related("candidate__synset"):
        judgment_record(
            assignment=assignment,
            candidate=rc.public_id,
            verdict=verdicts.get(rc.candidate.synset.wnid, "wrong"),
            idempotency_key=key(),
        )


def test_candidates_are_the_original_label_and_every_predicted_class_with_counts(images, reviewers):
    round = make_review_round(images, reviewers)
    assert wnids_of(round, images[0]) == {GOLDFISH: 2, SHARK: 1, TENCH: 0}
    assert wnids_of(round, images[2]) == {TENCH: 0}
    assert Candidate.objects.get(image=images[2]).added_by == CandidateOrigin.SEED


def test_an_image_is_done_when_every_candidate_has_a_verdict(images, reviewers):
    round = make_review_round(images, reviewers)
    assignment = assignment_of(round, reviewers[0])
    first = RoundCandidate.objects.filter(round=round, position=1).order_by("order")
    for n, rc in enumerate(first):
        outcome = judgment_record(
            assignment=assignment, candidate=rc.public_id, verdict="skip", idempotency_key=key()
        )
        assert outcome.next.position == (2 if n == 2 else 1)
    assert Assignment.objects.get(pk=assignment.pk).answered == 1


def test_a_repeated_request_is_answered_from_the_first_and_a_reused_key_conflicts(
    images, reviewers
):
    round = make_review_round(images, reviewers)
    assignment = assignment_of(round, reviewers[0])
    rc = RoundCandidate.objects.filter(round=round, position=1)[0]
    first = judgment_record(
        assignment=assignment, candidate=rc.public_id, verdict="correct", idempotency_key="k1"
    )
    again = judgment_record(
        assignment=assignment, candidate=rc.public_id, verdict="correct", idempotency_key="k1"
    )
    assert (first.status, again.status) == ("created", "replayed")
    assert again.result == first.result
    with pytest.raises(RoundConflict):
        judgment_record(
            assignment=assignment, candidate=rc.public_id, verdict="wrong", idempotency_key="k1"
        )
    assert Judgment.objects.get().verdict == "correct"


def test_a_reviewer_cannot_judge_an_image_ahead_of_their_current_one(images, reviewers):
    round = make_review_round(images, reviewers)
    later = RoundCandidate.objects.filter(round=round, position=2)[0]
    with pytest.raises(RoundConflict, match="not one of your items"):
        judgment_record(
            assignment=assignment_of(round, reviewers[0]),
            candidate=later.public_id,
            verdict="correct",
            idempotency_key=key(),
        )


def test_an_unknown_verdict_is_refused(images, reviewers):
    round = make_review_round(images, reviewers)
    rc = RoundCandidate.objects.filter(round=round)[0]
    with pytest.raises(ValidationError):
        judgment_record(
            assignment=assignment_of(round, reviewers[0]),
            candidate=rc.public_id,
            verdict="maybe",
            idempotency_key=key(),
        )


def test_an_added_class_is_judged_correct_by_its_adder_and_sent_back_to_the_others(
    images, reviewers
):
    round = make_review_round(images, reviewers)
    judge_all(round, reviewers[1], {})  # rev2 is done with every image
    adder = assignment_of(round, reviewers[0])
    item = round.items.get(position=1).public_id
    outcome = candidate_add(assignment=adder, item=item, wnid=TIGER_SHARK, idempotency_key=key())
    added = RoundCandidate.objects.get(public_id=outcome.result["candidate"])
    assert added.added_by == reviewers[0]
    assert added.candidate.added_by == CandidateOrigin.HUMAN
    assert Judgment.objects.get(round_candidate=added).verdict == "correct"
    assert Assignment.objects.get(round=round, user=reviewers[1]).answered == 0
    with pytest.raises(ValidationError):
        candidate_add(assignment=adder, item=item, wnid="n99999999", idempotency_key=key())


def test_a_flag_needs_a_reason(images, reviewers):
    round = make_review_round(images, reviewers)
    item = round.items.get(position=1).public_id
    with pytest.raises(ValidationError):
        review_flag_record(
            assignment=assignment_of(round, reviewers[0]),
            item=item,
            reason=" ",
            idempotency_key=key(),
        )


@pytest.mark.parametrize(
    ("verdicts", "rule", "expected"),
    [
        (["correct", "correct", "correct"], "unanimous", "correct"),
        (["correct", "correct", "skip"], "unanimous", "correct"),
        (["correct", "wrong", "correct"], "unanimous", None),
        (["skip", "skip", "skip"], "unanimous", None),
        (["correct", "wrong", "correct"], "majority", "correct"),
        (["correct", "wrong", "unclear"], "majority", None),
    ],
)
def test_the_consensus_rule(verdicts, rule, expected):
    assert consensus_of(verdicts, rule=rule) == expected


def test_unanimous_verdicts_become_labels_and_splits_wait_for_adjudication(
    images, reviewers, study_admin
):
    round = make_review_round(images, reviewers)
    judge_all(round, reviewers[0], {TENCH: "correct", GOLDFISH: "correct"})
    judge_all(round, reviewers[1], {TENCH: "correct", GOLDFISH: "correct"})
    judge_all(round, reviewers[2], {TENCH: "correct"})  # goldfish: wrong, a split

    counts = review_consensus_apply(round=round)
    assert counts == {"decided": 4, "adjudication": 2, "images_labeled": 1}
    assert dict(
        ImageLabel.objects.filter(image=images[2]).values_list("synset__wnid", "state")
    ) == {TENCH: "correct"}
    assert not ImageLabel.objects.filter(image=images[0]).exists()  # waits for goldfish
    assert review_consensus_apply(round=round)["decided"] == 0

    goldfish = RoundCandidate.objects.get(
        round=round, round_image__image=images[0], candidate__synset__wnid=GOLDFISH
    )
    adjudication_decide(round_candidate=goldfish, state="correct", by=study_admin, note="fins")
    assert dict(
        ImageLabel.objects.filter(image=images[0]).values_list("synset__wnid", "state")
    ) == {
        TENCH: "correct",
        GOLDFISH: "correct",
        SHARK: "wrong",
    }
    history = LabelChange.objects.filter(image=images[0])
    assert {(c.synset.wnid, c.old_state, c.new_state) for c in history} == {
        (TENCH, "", "correct"),
        (GOLDFISH, "", "correct"),
        (SHARK, "", "wrong"),
    }
    assert {c.changed_by for c in history} == {study_admin}
    assert all("adjudication by adam: fins" in c.source for c in history)
    assert Decision.objects.get(round_candidate=goldfish).how == "adjudication"
    with pytest.raises(ValidationError, match="already set"):
        adjudication_decide(round_candidate=goldfish, state="wrong", by=study_admin)


def test_an_image_every_reviewer_flagged_is_problematic_once_labeled(images, reviewers):
    round = make_review_round(images[2:], reviewers)
    item = round.items.get().public_id
    for reviewer in reviewers:
        review_flag_record(
            assignment=assignment_of(round, reviewer),
            item=item,
            reason=f"blurry ({reviewer.username})",
            idempotency_key=key(),
        )
        judge_all(round, reviewer, {TENCH: "correct"})
    review_consensus_apply(round=round)
    images[2].refresh_from_db()
    assert images[2].problematic
    assert "blurry (rev1)" in images[2].problematic_reason


def test_the_change_report_counts_a_constructed_example(images, reviewers, imagenet_classes):
    """Before: image 0 tench; image 1 tench; image 2 tench. The review keeps image 2, adds
    goldfish to image 1 and replaces tench by goldfish and shark on image 0."""
    ids = {wnid: imagenet_classes[wnid].pk for wnid in (TENCH, GOLDFISH, SHARK)}
    image_labels_replace(
        labels={image.pk: {ids[TENCH]: "correct"} for image in images}, source="import:x"
    )
    round = make_review_round(images, reviewers)
    verdicts = {
        images[0].pk: {TENCH: "wrong", GOLDFISH: "correct", SHARK: "correct"},
        images[1].pk: {TENCH: "correct", GOLDFISH: "correct"},
        images[2].pk: {TENCH: "correct"},
    }
    for reviewer in reviewers:
        assignment = assignment_of(round, reviewer)
        for rc in RoundCandidate.objects.filter(round=round).select_related(
            "candidate__synset", "round_image"
        ):
            judgment_record(
                assignment=assignment,
                candidate=rc.public_id,
                verdict=verdicts[rc.round_image.image_id][rc.candidate.synset.wnid],
                idempotency_key=key(),
            )
    review_consensus_apply(round=round)
    report = review_change_report(round=round)
    assert (report.images, report.unchanged, report.labels_added, report.labels_modified) == (
        3,
        1,
        1,
        1,
    )
    assert report.multi_label_share == pytest.approx(2 / 3)
    assert report.mean_correct_of_multi == 2.0
    assert ReviewOutcome.objects.get(round=round, image=images[0]).correct_before == [TENCH]


@pytest.fixture
def evaluation(images, reviewers):
    """An evaluation round of the three images where two labelers answered: image 0 goldfish
    and shark (shark labeled wrong already), image 1 tench, image 2 tench (labeled already)."""
    labelers = reviewers[:2]
    round = make_round(images, labelers, kind=RoundKind.EVALUATION)
    answers = [(0, 0, GOLDFISH), (0, 1, SHARK), (1, 0, TENCH), (2, 0, TENCH)]
    for position, labeler, wnid in answers:
        Answer.objects.create(
            round_image=round.items.get(position=position + 1),
            labeler=labelers[labeler],
            synset_id=wnid,
            idempotency_key=key(),
        )
    shark, tench = Synset.objects.get(wnid=SHARK), Synset.objects.get(wnid=TENCH)
    image_labels_replace(
        labels={images[0].pk: {shark.pk: "wrong"}, images[2].pk: {tench.pk: "correct"}},
        source="import:x",
    )
    return round


def test_a_final_review_judges_unjudged_answers_mixed_with_seeded_model_predictions(
    evaluation, images, reviewers
):
    round = final_review_create(
        source_round=evaluation, name="Final", reviewers=reviewers[2:], seed=7
    )
    assert round.kind == RoundKind.FINAL_REVIEW
    assert round.review.hide_model_counts
    assert [item.image for item in round.items.order_by("position")] == images[:2]
    # Goldfish, answered, and shark, a model's class (already judged: it only blinds).
    assert set(wnids_of(round, images[0])) == {GOLDFISH, SHARK}
    assert set(wnids_of(round, images[1])) == {TENCH, GOLDFISH}  # tench answered, goldfish a model
    again = final_review_create(
        source_round=evaluation, name="Final", reviewers=reviewers[2:], seed=7
    )
    assert list(wnids_of(again, images[1])) == list(wnids_of(round, images[1]))
    assert again.review.seed == round.review.seed == 7


def listing(round: Round) -> list[tuple[int, int, str]]:
    """Every candidate of the round: (position, listed order, wnid)."""
    return list(
        RoundCandidate.objects.filter(round=round)
        .order_by("position", "order")
        .values_list("position", "order", "candidate__synset__wnid")
    )


@pytest.fixture
def many_predictions(imagenet_classes, reviewers) -> Round:
    """An evaluation round of two images a labeler answered goldfish, each with six classes
    models predicted: a final review draws two of them per image."""
    names = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in (301, 302)]
    found = make_images(names, label=TENCH)
    wnids = sorted(imagenet_classes)[10:16]
    for image in found.values():
        predict(image, {f"model-{n}": [wnid] for n, wnid in enumerate(wnids)})
    round = make_round([found[name] for name in names], reviewers[:1])
    for item in round.items.all():
        Answer.objects.create(
            round_image=item, labeler=reviewers[0], synset_id=GOLDFISH, idempotency_key=key()
        )
    return round


def test_a_final_review_records_its_seed_and_the_same_seed_rebuilds_the_same_candidates(
    many_predictions, reviewers
):
    def build(seed: int | None) -> Round:
        return final_review_create(
            source_round=many_predictions, name="Final", reviewers=reviewers[1:], seed=seed
        )

    first = build(1234)
    assert first.review.seed == 1234
    assert len(listing(first)) == 6  # goldfish and two models' classes per image
    assert listing(build(first.review.seed)) == listing(first)
    assert any(listing(build(seed)) != listing(first) for seed in (1, 2, 3))
    drawn = build(None)
    assert drawn.review.seed is not None  # drawn, and recorded: the round can be made again
    assert listing(build(drawn.review.seed)) == listing(drawn)


@pytest.fixture
def split(images, reviewers) -> Round:
    """Everyone agrees except on goldfish of images 0 and 1 (rev3 says wrong); the rule is
    applied: image 2 is labeled, images 0 and 1 wait for adjudication."""
    round = make_review_round(images, reviewers)
    for reviewer in reviewers[:2]:
        judge_all(round, reviewer, {TENCH: "correct", GOLDFISH: "correct"})
    judge_all(round, reviewers[2], {TENCH: "correct"})
    assert review_consensus_apply(round=round)["adjudication"] == 2
    return round


def test_an_adjudicator_marks_an_image_problematic_instead_of_choosing_its_labels(
    split, images, study_admin
):
    item = split.items.get(image=images[0])
    outcome = adjudication_mark_problematic(
        round_image=item, reason="  two fish, one cut off ", by=study_admin
    )
    assert outcome.problematic_reason == "two fish, one cut off"
    images[0].refresh_from_db()
    assert images[0].problematic
    assert images[0].problematic_reason == (
        f"review:{split.pk} adjudication by adam: two fish, one cut off"
    )
    assert not ImageLabel.objects.filter(image=images[0]).exists()  # its labels stay as they were
    # Nothing of it waits any more; image 1's goldfish still does.
    queued = {entry.round_candidate.round_image_id for entry in adjudication_queue(round=split)}
    assert queued == {split.items.get(image=images[1]).pk}
    assert review_consensus_apply(round=split)["adjudication"] == 1
    entry = AuditEntry.objects.get(action="adjudication.problematic")
    assert (entry.actor, entry.target_id) == (study_admin, str(images[0].pk))
    assert entry.details == {
        "round": split.pk,
        "item": item.public_id,
        "reason": "two fish, one cut off",
    }
    report = review_change_report(round=split)
    assert (report.images, report.problematic) == (1, 1)  # image 2 labeled, image 0 set aside
    goldfish = RoundCandidate.objects.get(
        round=split, round_image=item, candidate__synset__wnid=GOLDFISH
    )
    with pytest.raises(ValidationError, match="already set"):
        adjudication_decide(round_candidate=goldfish, state="correct", by=study_admin)
    with pytest.raises(ValidationError, match="already set"):
        adjudication_mark_problematic(round_image=item, reason="again", by=study_admin)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_marking_problematic_needs_a_reason(split, images, study_admin, reason):
    with pytest.raises(ValidationError, match="Say why"):
        adjudication_mark_problematic(
            round_image=split.items.get(image=images[0]), reason=reason, by=study_admin
        )
    images[0].refresh_from_db()
    assert not images[0].problematic


def test_an_image_marked_problematic_in_adjudication_leaves_the_scores(
    evaluation, images, reviewers, study_admin
):
    labeler = labeler_pseudonym(reviewers[0].pk)

    def answered_and_scored() -> int:
        scores = round_scores(round=evaluation)
        participant = next(p for p in scores["participants"] if p["name"] == labeler)
        return participant["scores"]["imagenet-val"]["all"]["total"]

    assert answered_and_scored() == 3
    final = final_review_create(
        source_round=evaluation, name="Final", reviewers=reviewers[2:], seed=1
    )
    adjudication_mark_problematic(
        round_image=final.items.get(image=images[0]), reason="not a photo", by=study_admin
    )
    assert answered_and_scored() == 2
