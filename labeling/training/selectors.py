"""Reads for training: which images a training round may use, the correct classes an answer is
judged against (its immediate feedback), and the learning statistics built from AnswerStat rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from labeling.guide.models import DistinctionNote
from labeling.images.models import Image, ImageSource
from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import RoundImage, RoundKind
from labeling.scoring.stats import clopper_pearson
from labeling.taxonomy.models import ClassGroup, Synset
from labeling.training.models import AnswerStat, RequestState, TrainingRequest

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
    found |= {w for w in classes if known.get(w) is not None}
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
        images = images.filter(original_label_id__in=wnids)
    if sources:
        images = images.filter(source__slug__in=sources)
    return images


# --- Correct classes and feedback -------------------------------------------------------------


def correct_classes(*, image_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each image's correct classes: its multi-label correct set where review gave it one, else
    its original label. The original label comes first when it is correct, then by wnid."""
    ids = list(image_ids)
    originals = dict(Image.objects.filter(pk__in=ids).values_list("pk", "original_label_id"))
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


def _with_intervals(
    rows: list[tuple[str, str, int, int]], medians: dict[str, float | None] | None = None
) -> list[Accuracy]:
    if not rows:
        return []
    low, high = clopper_pearson([r[2] for r in rows], [r[3] for r in rows])
    return [
        Accuracy(key, label, right, total, float(lo), float(hi), (medians or {}).get(key))
        for (key, label, right, total), lo, hi in zip(rows, low, high, strict=True)
    ]


def _stats(labeler: AbstractBaseUser | None = None) -> QuerySet[AnswerStat]:
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


def accuracy_by_class(*, labeler: AbstractBaseUser) -> list[Accuracy]:
    counts = _counts(_stats(labeler), "reference")
    names = dict(
        Synset.objects.filter(wnid__in=[c[0] for c in counts]).values_list("wnid", "display_name")
    )
    return _with_intervals([(k, names.get(k, k), r, t) for k, r, t in counts])


def accuracy_by_group(*, labeler: AbstractBaseUser) -> list[Accuracy]:
    labels = dict(ClassGroup.choices)
    return _with_intervals([(k, labels[k], r, t) for k, r, t in _counts(_stats(labeler), "group")])


def accuracy_by_round(*, labeler: AbstractBaseUser) -> list[Accuracy]:
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


def median_active_seconds(*, labeler: AbstractBaseUser) -> float | None:
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


def confused_pairs(*, labeler: AbstractBaseUser | None = None, limit: int = 10) -> list[Confusion]:
    """The (correct class, chosen class) pairs answered wrongly most often, by one labeler or
    all of them, with how many labelers made each mistake."""
    rows = list(
        _stats(labeler)
        .filter(correct=False)
        .values("reference", "chosen")
        .annotate(n=Count("pk"), people=Count("labeler", distinct=True))
        .values_list("reference", "chosen", "n", "people")
        .order_by("-n", "-people", "reference", "chosen")[:limit]
    )
    names = dict(
        Synset.objects.filter(wnid__in={w for r in rows for w in r[:2]}).values_list(
            "wnid", "display_name"
        )
    )
    return [Confusion(a, names.get(a, a), b, names.get(b, b), n, p) for a, b, n, p in rows]


def learning_curve(*, labeler: AbstractBaseUser) -> dict[str, list[tuple[str, float, int]]]:
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


def training_suggestions(*, labeler: AbstractBaseUser, limit: int = 3) -> list[Confusion]:
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
        seconds[(user, round_id)].append(active)
    table: dict[str, dict[int, Accuracy]] = defaultdict(dict)
    if counts:
        low, high = clopper_pearson([c[2] for c in counts], [c[3] for c in counts])
        for (user, round_id, right, total), lo, hi in zip(counts, low, high, strict=True):
            active = seconds.get((user, round_id))
            table[user][round_id] = Accuracy(
                str(round_id),
                "",
                right,
                total,
                float(lo),
                float(hi),
                median(active) if active else None,
            )
    return rounds, [LabelerRounds(user, cells) for user, cells in table.items()]


# --- Requests ---------------------------------------------------------------------------------


def training_requests_open() -> QuerySet[TrainingRequest]:
    return TrainingRequest.objects.filter(state=RequestState.OPEN).select_related("labeler")


def training_requests_of(*, labeler: AbstractBaseUser) -> QuerySet[TrainingRequest]:
    return TrainingRequest.objects.filter(labeler=labeler).select_related("round")
