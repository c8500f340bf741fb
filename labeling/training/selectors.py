"""Reads for training: which images a training round may use, the correct classes an answer is
judged against (its immediate feedback), and the learning statistics built from AnswerStat rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from labeling.accounts.roles import Role, user_roles
from labeling.guide.models import DistinctionNote
from labeling.images.models import Image, ImageSource
from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import Answer, Assignment, Round, RoundImage, RoundKind, RoundState
from labeling.taxonomy.models import ClassGroup, Synset
from labeling.training.models import AnswerStat, RequestState, ReviewComment, TrainingRequest

# --- The training pool ------------------------------------------------------------------------


def _classes_of(*, under: Sequence[str], classes: Sequence[str]) -> tuple[set[str], list[str]]:
    """The class wnids at or below the `under` nodes plus the explicit `classes`, and a problem
    for each wnid that is not a node (for `under`) or not a class (for `classes`)."""
    problems: list[str] = []
    known = dict(
        Synset.objects.filter(wnid__in=[*under, *classes]).values_list("wnid", "class_index")
    )
    for wnid in under:
        if wnid not in known:
            problems.append(f"--under {wnid}: no such node in the class tree")
    for wnid in classes:
        if wnid not in known:
            problems.append(f"--classes {wnid}: no such class")
        elif known[wnid] is None:
            problems.append(f"--classes {wnid}: a tree node, not a class (use --under)")
    found = set(
        Synset.objects.classes()
        .filter(ancestor_rows__ancestor__wnid__in=[w for w in under if w in known])
        .values_list("wnid", flat=True)
    )
    # A class named as a node stands for itself (the closure has it too, when the tree is loaded).
    found |= {w for w in [*under, *classes] if known.get(w) is not None}
    return found, problems


def training_pool(
    *, under: Sequence[str] = (), classes: Sequence[str] = (), sources: Sequence[str] = ()
) -> QuerySet[Image]:
    """The images a training round may take: originally labeled with a class at or below one
    of the `under` nodes or one of the `classes` (all classes if neither is given), from the
    given sources (all if none), neither problematic nor ever in an evaluation round.

    Raises ValidationError naming every unknown node, class or source."""
    wnids, problems = _classes_of(under=under, classes=classes)
    known_sources = set(ImageSource.objects.filter(slug__in=sources).values_list("slug", flat=True))
    problems += [
        f"--sources {slug}: no such image source" for slug in sources if slug not in known_sources
    ]
    if problems:
        raise ValidationError(problems)
    images = Image.objects.filter(problematic=False).exclude(
        pk__in=RoundImage.objects.filter(round__kind=RoundKind.EVALUATION).values("image_id")
    )
    if under or classes:
        images = images.filter(original_label__wnid__in=wnids)
    if sources:
        images = images.filter(source__slug__in=sources)
    return images


# --- Correct classes and feedback -------------------------------------------------------------


def correct_classes(*, image_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each image's correct classes: its multi-label correct set where review gave it one, else
    its original label. The original label comes first when it is correct, then by wnid."""
    ids = list(image_ids)
    originals = dict(Image.objects.filter(pk__in=ids).values_list("pk", "original_label__wnid"))
    labeled: dict[int, set[str]] = defaultdict(set)
    for image_id, wnid in ImageLabel.objects.filter(
        image_id__in=ids, state=LabelState.CORRECT
    ).values_list("image_id", "synset__wnid"):
        labeled[image_id].add(wnid)
    result: dict[int, list[str]] = {}
    for image_id, original in originals.items():
        wnids = labeled.get(image_id) or {original}
        result[image_id] = sorted(wnids, key=lambda w: (w != original, w))
    return result


@dataclass(frozen=True)
class Feedback:
    correct: bool
    correct_wnids: list[str]
    chosen: str
    reference: str  # the correct class to put beside the chosen one (the chosen one when right)

    def as_dict(self) -> dict[str, object]:
        """The shape the answer's response carries."""
        return {"correct": self.correct, "correct_wnids": self.correct_wnids, "chosen": self.chosen}


def answer_feedback(*, image_id: int, chosen: str) -> Feedback:
    """Right or wrong for `chosen` on this image, computed now (two indexed queries)."""
    wnids = correct_classes(image_ids=[image_id])[image_id]
    right = chosen in wnids
    return Feedback(
        correct=right, correct_wnids=wnids, chosen=chosen, reference=chosen if right else wnids[0]
    )


def notes_between(*, wnids: Sequence[str]) -> QuerySet[DistinctionNote]:
    """The distinction notes that cover every one of these classes."""
    notes = DistinctionNote.objects.all()
    for wnid in wnids:
        notes = notes.filter(synsets__wnid=wnid)
    return notes.order_by("title", "id")


# --- Learning statistics ----------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    key: str
    label: str
    right: int
    total: int
    low: float
    high: float
    median_active_seconds: float | None = None

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def _intervals(right: list[int], total: list[int]) -> tuple[Any, Any]:
    """Clopper-Pearson bounds of each right / total. Imported here: numpy and scipy cost a web
    process 60 MB, which only the dashboards need."""
    import numpy as np

    from labeling.scoring.stats import clopper_pearson

    return clopper_pearson(np.array(right), np.array(total))


def _with_intervals(
    rows: list[tuple[str, str, int, int]], medians: dict[str, float | None] | None = None
) -> list[Accuracy]:
    if not rows:
        return []
    low, high = _intervals([r[2] for r in rows], [r[3] for r in rows])
    return [
        Accuracy(key, label, right, total, float(lo), float(hi), (medians or {}).get(key))
        for (key, label, right, total), lo, hi in zip(rows, low, high, strict=True)
    ]


def _stats(labeler: User | None = None) -> QuerySet[AnswerStat]:
    stats = AnswerStat.objects.all()
    return stats if labeler is None else stats.filter(labeler=labeler)


def _counts(stats: QuerySet[AnswerStat], field: str) -> list[tuple[str, int, int]]:
    return [
        (str(key), right or 0, total)
        for key, right, total in stats.values(field)
        .annotate(right=Count("pk", filter=Q(correct=True)), total=Count("pk"))
        .values_list(field, "right", "total")
        .order_by(field)
    ]


def accuracy_by_class(*, labeler: User) -> list[Accuracy]:
    counts = _counts(_stats(labeler), "reference")
    names = dict(
        Synset.objects.filter(wnid__in=[c[0] for c in counts]).values_list("wnid", "display_name")
    )
    return _with_intervals([(k, names.get(k, k), r, t) for k, r, t in counts])


def accuracy_by_group(*, labeler: User) -> list[Accuracy]:
    labels = {value: str(label) for value, label in ClassGroup.choices}
    return _with_intervals([(k, labels[k], r, t) for k, r, t in _counts(_stats(labeler), "group")])


def accuracy_by_round(*, labeler: User) -> list[Accuracy]:
    stats = _stats(labeler)
    names = dict(stats.values_list("round_id", "round__name").distinct())
    medians = _median_active(stats, "round_id")
    rows = [(k, names[int(k)], r, t) for k, r, t in _counts(stats, "round_id")]
    return _with_intervals(sorted(rows, key=lambda row: int(row[0])), medians)


def _median_active(stats: QuerySet[AnswerStat], field: str) -> dict[str, float | None]:
    seconds: dict[str, list[float]] = defaultdict(list)
    for key, active in stats.exclude(active_seconds=None).values_list(field, "active_seconds"):
        seconds[str(key)].append(active)
    return {key: median(values) for key, values in seconds.items()}


def median_active_seconds(*, labeler: User) -> float | None:
    """The labeler's median active time per training image."""
    return _median_active(_stats(labeler), "labeler_id").get(str(labeler.pk))


@dataclass(frozen=True)
class Confusion:
    correct: str
    correct_name: str
    chosen: str
    chosen_name: str
    count: int
    labelers: int


def confused_pairs(*, labeler: User | None = None, limit: int = 10) -> list[Confusion]:
    """The (correct class, chosen class) pairs answered wrongly most often, by one labeler or
    all of them, with how many labelers made each mistake."""
    rows = list(
        _stats(labeler)
        .filter(correct=False)
        .values("reference__wnid", "chosen__wnid")
        .annotate(n=Count("pk"), people=Count("labeler", distinct=True))
        .values_list("reference__wnid", "chosen__wnid", "n", "people")
        .order_by("-n", "-people", "reference__wnid", "chosen__wnid")[:limit]
    )
    names = dict(
        Synset.objects.filter(wnid__in={w for r in rows for w in r[:2]}).values_list(
            "wnid", "display_name"
        )
    )
    return [Confusion(a, names.get(a, a), b, names.get(b, b), n, p) for a, b, n, p in rows]


def learning_curve(*, labeler: User) -> dict[str, list[tuple[str, float, int]]]:
    """Per group, the labeler's accuracy in each training round in the order they took them:
    (round name, accuracy, answers)."""
    rows = (
        _stats(labeler)
        .values("group", "round_id", "round__name")
        .annotate(right=Count("pk", filter=Q(correct=True)), total=Count("pk"))
        .values_list("group", "round_id", "round__name", "right", "total")
        .order_by("round_id", "group")
    )
    curve: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for group, _round_id, name, right, total in rows:
        curve[group].append((name, int(right or 0) / total, total))
    return dict(curve)


def training_suggestions(*, labeler: User, limit: int = 3) -> list[Confusion]:
    """What to practise next: the labeler's most frequent confusions, each suggesting a round on
    the two classes they mixed up."""
    return confused_pairs(labeler=labeler, limit=limit)


@dataclass(frozen=True)
class LabelerRounds:
    username: str
    cells: dict[int, Accuracy]  # by round id


def labelers_by_rounds() -> tuple[list[tuple[int, str]], list[LabelerRounds]]:
    """The admins' table: the training rounds (id, name) as columns and, for each labeler, their
    accuracy with its 95% Clopper-Pearson interval and median active time in each round."""
    stats = AnswerStat.objects.all()
    rounds = sorted(set(stats.values_list("round_id", "round__name")))
    counts = list(
        stats.values("labeler__username", "round_id")
        .annotate(right=Count("pk", filter=Q(correct=True)), total=Count("pk"))
        .values_list("labeler__username", "round_id", "right", "total")
        .order_by("labeler__username", "round_id")
    )
    seconds: dict[tuple[str, int], list[float]] = defaultdict(list)
    for user, round_id, active in stats.exclude(active_seconds=None).values_list(
        "labeler__username", "round_id", "active_seconds"
    ):
        if active is not None:  # excluded above; the types cannot know it
            seconds[(user, round_id)].append(active)
    table: dict[str, dict[int, Accuracy]] = defaultdict(dict)
    if counts:
        low, high = _intervals([c[2] for c in counts], [c[3] for c in counts])
        for (user, round_id, right, total), lo, hi in zip(counts, low, high, strict=True):
            times = seconds.get((user, round_id))
            table[user][round_id] = Accuracy(
                str(round_id),
                "",
                right,
                total,
                float(lo),
                float(hi),
                median(times) if times else None,
            )
    return rounds, [LabelerRounds(user, cells) for user, cells in table.items()]


def synsets_resolve(*, texts: Sequence[str]) -> tuple[list[str], list[str]]:
    """Wnids for what a labeler typed: each a wnid, or a class or node name matched exactly
    (case aside). Returns the wnids and a problem for each text that names none or several."""
    wnids: list[str] = []
    problems: list[str] = []
    for text in texts:
        found = list(
            Synset.objects.filter(
                Q(wnid=text) | Q(name__iexact=text) | Q(display_name__iexact=text)
            ).values_list("wnid", flat=True)[:5]
        )
        if len(found) == 1:
            wnids.append(found[0])
        elif found:
            problems.append(f"{text!r} names several classes ({', '.join(found)}): give the wnid.")
        else:
            problems.append(f"No class or group named {text!r}.")
    return wnids, problems


# --- Requests ---------------------------------------------------------------------------------


def training_requests_open() -> QuerySet[TrainingRequest]:
    return TrainingRequest.objects.filter(state=RequestState.OPEN).select_related("labeler")


def training_requests_of(*, labeler: User) -> QuerySet[TrainingRequest]:
    return TrainingRequest.objects.filter(labeler=labeler).select_related("round")


# --- Group review -----------------------------------------------------------------------------


def review_allowed(*, user: User, round: Round) -> bool:
    """May this user see the group review of a training round (every answer and the correct
    classes)? Admins and researchers always; a labeler of the round once they have answered all
    of it or it is closed, so nobody sees an answer before giving their own."""
    if round.kind != RoundKind.TRAINING:
        return False
    roles = user_roles(user)
    if roles & {Role.ADMIN, Role.RESEARCHER}:
        return True
    if Role.ANNOTATOR not in roles:
        return False
    answered = Assignment.objects.filter(round=round, user=user).values_list("answered", flat=True)
    done = next(iter(answered), None)
    return done is not None and (round.state == RoundState.CLOSED or done >= round.image_count)


@dataclass(frozen=True)
class ReviewAnswer:
    username: str
    wnid: str
    name: str
    correct: bool
    notes: list[DistinctionNote]  # when wrong: the notes on this class and the first correct one
    pair: str  # when wrong: "chosen,correct", for a new note about the two


@dataclass(frozen=True)
class ReviewItem:
    item: RoundImage
    correct: list[tuple[str, str]]  # (wnid, name)
    answers: list[ReviewAnswer]
    comments: list[ReviewComment]

    @property
    def someone_wrong(self) -> bool:
        return any(not answer.correct for answer in self.answers)


def round_review(*, round: Round, wrong_only: bool = False) -> list[ReviewItem]:
    """Every image of a training round with each labeler's answer, the correct classes and the
    discussion; with `wrong_only`, only the images someone got wrong. A fixed number of queries."""
    items = list(
        RoundImage.objects.filter(round=round).select_related("image").order_by("position")
    )
    correct = correct_classes(image_ids=[item.image_id for item in items])
    answers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for item_id, username, wnid in (
        Answer.objects.filter(round_image__round=round)
        .order_by("labeler__username")
        .values_list("round_image_id", "labeler__username", "synset__wnid")
    ):
        answers[item_id].append((username, wnid))
    comments: dict[int, list[ReviewComment]] = defaultdict(list)
    for comment in ReviewComment.objects.filter(round_image__round=round).select_related("author"):
        comments[comment.round_image_id].append(comment)
    wnids = {w for ws in correct.values() for w in ws} | {
        w for rows in answers.values() for _, w in rows
    }
    names = dict(Synset.objects.filter(wnid__in=wnids).values_list("wnid", "display_name"))
    notes_by_class: dict[str, set[int]] = defaultdict(set)
    note_rows = DistinctionNote.objects.filter(synsets__wnid__in=wnids).distinct()
    by_id = {note.pk: note for note in note_rows}
    for note_id, wnid in DistinctionNote.synsets.through.objects.filter(
        distinctionnote_id__in=by_id, synset__wnid__in=wnids
    ).values_list("distinctionnote_id", "synset__wnid"):
        notes_by_class[wnid].add(note_id)
    review = []
    for item in items:
        right = correct[item.image_id]
        given = [
            ReviewAnswer(
                user,
                wnid,
                names.get(wnid, wnid),
                wnid in right,
                []
                if wnid in right
                else [by_id[pk] for pk in sorted(notes_by_class[wnid] & notes_by_class[right[0]])],
                f"{wnid},{right[0]}",
            )
            for user, wnid in answers[item.pk]
        ]
        entry = ReviewItem(item, [(w, names.get(w, w)) for w in right], given, comments[item.pk])
        if entry.someone_wrong or not wrong_only:
            review.append(entry)
    return review
