"""Reads for review rounds: an item's candidates as a reviewer sees them, the adjudication
queue, agreement between reviewers and the change report."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef

from labeling.images.models import Image
from labeling.predictions.models import ModelPrediction
from labeling.review.models import (
    Candidate,
    ImageLabel,
    Judgment,
    ReviewFlag,
    ReviewOutcome,
    ReviewRound,
    RoundCandidate,
    Verdict,
)
from labeling.rounds.models import Round, RoundImage, RoundKind
from labeling.taxonomy.models import Synset

JUDGED_VERDICTS = (Verdict.CORRECT, Verdict.WRONG, Verdict.UNCLEAR)  # what agreement counts


def item_candidates(*, round_image_id: int, reviewer_id: int) -> list[dict[str, Any]]:
    """The item's candidates as its reviewer sees them, in their listed order: opaque id, class
    (wnid, name, gloss), the reviewer's own verdict so far, and how many models predicted it
    unless the round hides that. Nothing else: not where a candidate came from, nor anyone
    else's verdict. One query, written out: it runs on every `next` of a review round."""
    q = connection.ops.quote_name
    sql = (
        f"SELECT rc.public_id, s.wnid, s.display_name, s.gloss, c.model_count, j.verdict, "
        f"rr.hide_model_counts FROM {q(RoundCandidate._meta.db_table)} rc "
        f"JOIN {q(Candidate._meta.db_table)} c ON c.id = rc.candidate_id "
        f"JOIN {q(Synset._meta.db_table)} s ON s.id = c.synset_id "
        f"JOIN {q(ReviewRound._meta.db_table)} rr ON rr.round_id = rc.round_id "
        f"LEFT JOIN {q(Judgment._meta.db_table)} j "
        "ON j.round_candidate_id = rc.id AND j.reviewer_id = %s "
        f"WHERE rc.round_image_id = %s ORDER BY rc.{q('order')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [reviewer_id, round_image_id])
        rows = cursor.fetchall()
    found = []
    for public_id, wnid, name, gloss, model_count, verdict, hide in rows:
        entry: dict[str, Any] = {
            "id": public_id,
            "wnid": wnid,
            "name": name,
            "gloss": gloss,
            "verdict": verdict,
        }
        if not hide:
            entry["model_count"] = model_count
        found.append(entry)
    return found


@dataclass(frozen=True)
class QueueEntry:
    round_candidate: RoundCandidate
    judgments: list[tuple[str, str]]  # (reviewer username, verdict)
    flags: list[tuple[str, str]]  # (reviewer username, reason) on its image


def adjudication_queue(*, round: Round) -> list[QueueEntry]:
    """The round's candidates every reviewer judged that no rule or adjudicator decided yet,
    on images not settled otherwise (marked problematic), with every judgment (for the admin:
    names and sources are shown here)."""
    reviewers = round.assignments.count()
    candidates = list(
        RoundCandidate.objects.filter(round=round, decision__isnull=True)
        .exclude(
            round_image__image_id__in=ReviewOutcome.objects.filter(round=round).values("image_id")
        )
        .select_related("candidate__synset", "candidate__image", "round_image")
        .order_by("position", "order")
    )
    judged: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for rc_id, username, verdict in Judgment.objects.filter(
        round_candidate__round=round, round_candidate__decision__isnull=True
    ).values_list("round_candidate_id", "reviewer__username", "verdict"):
        judged[rc_id].append((username, verdict))
    flags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for item_id, username, reason in ReviewFlag.objects.filter(
        round_image__round=round
    ).values_list("round_image_id", "reviewer__username", "reason"):
        flags[item_id].append((username, reason))
    return [
        QueueEntry(rc, sorted(judged[rc.pk]), flags[rc.round_image_id])
        for rc in candidates
        if reviewers and len(judged[rc.pk]) >= reviewers
    ]


def fleiss_kappa(counts: list[list[int]]) -> float | None:
    """Fleiss' kappa of items x categories counts, every item rated by the same number of
    raters (at least two); None when it is undefined (one category only, or no items)."""
    if not counts:
        return None
    raters = sum(counts[0])
    if raters < 2 or any(sum(row) != raters for row in counts):
        raise ValueError("every item needs the same number (>= 2) of ratings")
    items = len(counts)
    p_items = [(sum(n * n for n in row) - raters) / (raters * (raters - 1)) for row in counts]
    p_mean = sum(p_items) / items
    shares = [sum(row[j] for row in counts) / (items * raters) for j in range(len(counts[0]))]
    p_chance = sum(p * p for p in shares)
    if p_chance == 1:
        return None
    return (p_mean - p_chance) / (1 - p_chance)


@dataclass(frozen=True)
class Agreement:
    pairs: list[tuple[str, str, int, float | None]]  # reviewer, reviewer, shared, agreement
    kappa: float | None
    kappa_items: int  # candidates every reviewer judged (skips left out)
    reviewers: int


def review_agreement(*, round: Round) -> Agreement:
    """Pairwise agreement (share of commonly judged candidates given the same verdict) and Fleiss'
    kappa over the candidates every reviewer judged correct, wrong or unclear."""
    names = dict(round.assignments.values_list("user_id", "user__username"))
    verdicts: dict[int, dict[int, str]] = defaultdict(dict)
    for rc_id, reviewer_id, verdict in Judgment.objects.filter(
        round_candidate__round=round, verdict__in=JUDGED_VERDICTS
    ).values_list("round_candidate_id", "reviewer_id", "verdict"):
        verdicts[rc_id][reviewer_id] = verdict
    pairs = []
    for a, b in itertools.combinations(sorted(names, key=names.__getitem__), 2):
        shared = [v for v in verdicts.values() if a in v and b in v]
        same = sum(v[a] == v[b] for v in shared)
        pairs.append((names[a], names[b], len(shared), same / len(shared) if shared else None))
    complete = [v for v in verdicts.values() if len(names) >= 2 and len(v) == len(names)]
    counts = [[list(v.values()).count(c) for c in JUDGED_VERDICTS] for v in complete]
    return Agreement(
        pairs=pairs, kappa=fleiss_kappa(counts), kappa_items=len(counts), reviewers=len(names)
    )


@dataclass(frozen=True)
class ChangeReport:
    images: int  # images whose labels the round set
    problematic: int  # images an adjudicator marked problematic instead (not in the counts)
    unchanged: int
    labels_added: int  # correct classes only added
    labels_modified: int  # some correct class taken away
    multi_label_share: float | None  # of the images, share with more than one correct class
    mean_correct_of_multi: float | None  # mean number of correct classes among those

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def review_change_report(*, round: Round) -> ChangeReport:
    """How the round changed the correct classes of the images it labeled, relative to the
    labels before it; images an adjudicator marked problematic are counted apart."""
    unchanged = added = modified = 0
    multi: list[int] = []
    outcomes = ReviewOutcome.objects.filter(round=round, problematic_reason="").values_list(
        "correct_before", "correct_after"
    )
    for before, after in outcomes:
        old, new = set(before), set(after)
        if old == new:
            unchanged += 1
        elif old < new:
            added += 1
        else:
            modified += 1
        if len(new) > 1:
            multi.append(len(new))
    images = unchanged + added + modified
    return ChangeReport(
        images=images,
        problematic=ReviewOutcome.objects.filter(round=round)
        .exclude(problematic_reason="")
        .count(),
        unchanged=unchanged,
        labels_added=added,
        labels_modified=modified,
        multi_label_share=len(multi) / images if images else None,
        mean_correct_of_multi=sum(multi) / len(multi) if multi else None,
    )


def review_candidate_count(*, round: Round) -> int:
    """How many candidates the round asks its reviewers to judge (every image's, together)."""
    return RoundCandidate.objects.filter(round=round).count()


def images_awaiting_review(*, sources: Sequence[str], limit: int | None = None) -> list[int]:
    """Ids of the images of these sources that an annotation review is still to judge: they
    have model predictions or candidates, no final labels, are not problematic and are in
    no annotation review round yet. By source and name, so the same call picks the same images;
    the first `limit` if given."""
    reviewed = RoundImage.objects.filter(round__kind=RoundKind.ANNOTATION_REVIEW).values("image_id")
    images = (
        Image.objects.filter(source__slug__in=list(sources), problematic=False)
        .filter(
            Exists(ModelPrediction.objects.filter(image=OuterRef("pk")))
            | Exists(Candidate.objects.filter(image=OuterRef("pk")))
        )
        .exclude(Exists(ImageLabel.objects.filter(image=OuterRef("pk"))))
        .exclude(pk__in=reviewed)
        .order_by("source__slug", "original_name")
        .values_list("pk", flat=True)
    )
    return list(images if limit is None else images[:limit])
