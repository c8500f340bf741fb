"""Training pages: the feedback shown after each answer of a training round, the learning
dashboards, requests for practice and the group review."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from labeling.accounts.roles import Role, user_roles
from labeling.rounds.models import Answer, RoundKind
from labeling.taxonomy.models import Synset
from labeling.training.selectors import answer_feedback, notes_between


@require_safe
@login_required
def feedback_panel(request: HttpRequest, round_id: int, item: str) -> HttpResponse:
    """The feedback on the caller's own answer to an item of a training round, as a fragment the
    labeling screen shows after Confirm. Nothing before the answer: an item the caller has not
    answered (or of an evaluation round, or not theirs) is a 404."""
    answer = (
        Answer.objects.select_related("round_image")
        .filter(
            labeler=request.user,
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
