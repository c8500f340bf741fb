"""Training pages: the feedback shown after each answer of a training round, the learning
dashboards, requests for practice and the group review."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import Role, signed_in, user_roles
from labeling.rounds.models import Answer, Round, RoundImage, RoundKind
from labeling.taxonomy.models import Synset
from labeling.training.models import TrainingRequest
from labeling.training.selectors import (
    accuracy_by_class,
    accuracy_by_group,
    accuracy_by_round,
    answer_feedback,
    confused_pairs,
    labelers_by_rounds,
    learning_curve,
    median_active_seconds,
    notes_between,
    review_allowed,
    round_review,
    synsets_resolve,
    training_requests_of,
    training_requests_open,
    training_suggestions,
)
from labeling.training.services import (
    DEFAULT_REQUEST_COUNT,
    review_comment_add,
    training_request_create,
    training_request_fulfil,
)


@require_safe
@login_required
def feedback_panel(request: HttpRequest, round_id: int, item: str) -> HttpResponse:
    """The feedback on the caller's own answer to an item of a training round, as a fragment the
    labeling screen shows after Confirm. Nothing before the answer: an item the caller has not
    answered (or of an evaluation round, or not theirs) is a 404."""
    answer = (
        Answer.objects.select_related("round_image")
        .filter(
            labeler=signed_in(request.user),
            round_image__public_id=item,
            round_image__round_id=round_id,
            round_image__round__kind=RoundKind.TRAINING,
        )
        .first()
    )
    if answer is None or Role.ANNOTATOR not in user_roles(request.user):
        raise Http404("No answer of yours to give feedback on.")
    feedback = answer_feedback(image_id=answer.round_image.image_id, chosen=answer.synset_id)
    synsets = Synset.objects.in_bulk([*feedback.correct_wnids, feedback.chosen], field_name="wnid")
    pair = [feedback.chosen, feedback.reference]
    response = render(
        request,
        "training/_feedback.html",
        {
            "feedback": feedback,
            "chosen": synsets[feedback.chosen],
            "reference": synsets[feedback.reference],
            "correct_classes": [synsets[w] for w in feedback.correct_wnids],
            "notes": [] if feedback.correct else list(notes_between(wnids=pair)),
            "pair": ",".join(pair),
        },
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Requests ---------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@role_required(Role.ANNOTATOR)
def request_create(request: HttpRequest) -> HttpResponse:
    """A labeler asks for practice: `classes` (wnids or exact names, one per line or separated
    by commas) and a `note`. The feedback screen sends it with fetch and gets JSON back; the
    home page and the dashboard get a redirect with a message."""
    texts = [t.strip() for t in re.split(r"[,\n]", request.POST.get("classes", "")) if t.strip()]
    wnids, problems = synsets_resolve(texts=texts)
    try:
        if problems:
            raise ValidationError(problems)
        training_request_create(
            labeler=signed_in(request.user), wnids=wnids, note=request.POST.get("note", "")[:1000]
        )
    except ValidationError as error:
        if _wants_json(request):
            return JsonResponse({"detail": " ".join(error.messages)}, status=400)
        messages.error(request, " ".join(error.messages))
    else:
        if _wants_json(request):
            return JsonResponse({"detail": "Asked for practice."}, status=201)
        messages.success(request, "Asked for practice: an admin will make you a training round.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("training:me")
    return redirect(target)


@require_POST
@role_required(Role.ADMIN)
def request_fulfil(request: HttpRequest, request_id: int) -> HttpResponse:
    """Turn an open request into an open training round in one step."""
    training_request = get_object_or_404(TrainingRequest, pk=request_id)
    try:
        count = int(request.POST.get("count") or DEFAULT_REQUEST_COUNT)
        round = training_request_fulfil(
            request=training_request, count=count, created_by=signed_in(request.user)
        )
    except (ValidationError, ValueError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, f"Created and opened {round.name} ({round.image_count} images).")
    return redirect("training:overview")


# --- Dashboards -------------------------------------------------------------------------------


@require_safe
@role_required(Role.ANNOTATOR)
def my_dashboard(request: HttpRequest) -> HttpResponse:
    """The labeler's learning: curve per group, accuracy per round, group and class, their most
    confused pairs and what to practise next (one click asks for it)."""
    user = signed_in(request.user)
    return render(
        request,
        "training/me.html",
        {
            "by_round": accuracy_by_round(labeler=user),
            "by_group": accuracy_by_group(labeler=user),
            "by_class": accuracy_by_class(labeler=user),
            "median_active": median_active_seconds(labeler=user),
            "confusions": confused_pairs(labeler=user),
            "suggestions": training_suggestions(labeler=user),
            "requests": training_requests_of(labeler=user)[:20],
        },
    )


@require_safe
@role_required(Role.ANNOTATOR)
def my_curve(request: HttpRequest) -> HttpResponse:
    # Imported here: matplotlib costs a web process 60 MB, which only this figure needs.
    from labeling.training.figures import learning_curve_svg

    svg = learning_curve_svg(learning_curve(labeler=signed_in(request.user)))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@require_safe
@role_required(Role.ADMIN, Role.RESEARCHER)
def overview(request: HttpRequest) -> HttpResponse:
    """Admins' view: labelers by training rounds (accuracy, 95% Clopper-Pearson interval, median
    active time), the class pairs most confused across labelers, and open requests."""
    rounds, rows = labelers_by_rounds()
    return render(
        request,
        "training/overview.html",
        {
            "rounds": rounds,
            "rows": [(row, [row.cells.get(pk) for pk, _ in rounds]) for row in rows],
            "confusions": confused_pairs(limit=20),
            "requests": training_requests_open(),
            "can_fulfil": Role.ADMIN in user_roles(request.user),
            "default_count": DEFAULT_REQUEST_COUNT,
        },
    )


# --- Group review -----------------------------------------------------------------------------


def _reviewable_round(request: HttpRequest, round_id: int) -> Round:
    round = get_object_or_404(Round, pk=round_id)
    if not review_allowed(user=signed_in(request.user), round=round):
        raise Http404("No group review of this round for you (yet).")
    return round


@require_safe
@login_required
def review(request: HttpRequest, round_id: int) -> HttpResponse:
    """The group review of a training round: every image with each labeler's answer and the
    correct classes, a discussion per image, `?wrong=1` for the images someone got wrong."""
    round = _reviewable_round(request, round_id)
    wrong_only = request.GET.get("wrong") == "1"
    return render(
        request,
        "training/review.html",
        {
            "round": round,
            "items": round_review(round=round, wrong_only=wrong_only),
            "wrong_only": wrong_only,
        },
    )


@require_POST
@login_required
def review_comment(request: HttpRequest, round_id: int, item: str) -> HttpResponse:
    round = _reviewable_round(request, round_id)
    round_image = get_object_or_404(RoundImage, round=round, public_id=item)
    try:
        review_comment_add(
            round_image=round_image,
            author=signed_in(request.user),
            text=request.POST.get("text", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('training:review', args=[round.pk])}#item-{item}")
