"""The labeling screen's pages: the screen at /label/R/ and the class panel it loads beside the
image (guide entry, distinction notes, reference images) when a candidate is viewed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import Role, user_roles
from labeling.guide.selectors import guide_for_class
from labeling.images.gallery import gallery_for_class
from labeling.images.selectors import reference_count_for_class
from labeling.review.pages import review_screen
from labeling.review.services import REVIEW_KINDS
from labeling.rounds.models import RoundKind
from labeling.rounds.payloads import next_item_data
from labeling.rounds.selectors import assignment_for, assignment_progress
from labeling.rounds.services import RoundConflict, item_serve
from labeling.taxonomy.selectors import class_get_or_404
from labeling.taxonomy.snapshot import PATH_SEPARATOR, short_path_names, taxonomy_snapshot

WNID_PLACEHOLDER = "n00000000"  # the page fills in the class of the panel it loads
PANEL_REFERENCES = 24  # enough to judge a class by; the class page has all of them
COMPARE_REFERENCES = 8  # per column when up to four classes stand side by side


@require_safe
@login_required
@never_cache
def label_screen(request: HttpRequest, round_id: int) -> HttpResponse:
    """The labeling screen of one of the annotator's rounds, at the image the server says is
    current (serving it records when it was first shown, as GET next does). Anyone the round is
    not assigned to gets a 404, as from the API: the round's existence is not revealed."""
    assignment = None
    if Role.ANNOTATOR in user_roles(request.user):
        assignment = assignment_for(round_id=round_id, user=request.user)
    if assignment is None:
        raise Http404("No such round among yours.")
    round = assignment.round
    try:
        if round.kind in REVIEW_KINDS:
            return review_screen(request, assignment)
        item = next_item_data(item_serve(assignment=assignment), request)
    except RoundConflict as conflict:  # nothing to serve (the round is not open): for every kind
        return render(
            request,
            "rounds/label_unavailable.html",
            {"round": round, "message": " ".join(conflict.messages)},
            status=409,
        )
    progress = assignment_progress(assignment=assignment)
    api = {name: reverse(f"api:round-{name}", args=[round.pk]) for name in _ROUND_ENDPOINTS}
    urls = {
        **api,
        "search": reverse("api:class-search"),
        "previews": reverse("api:reference-previews"),
        "taxonomy": reverse("api:taxonomy-root"),
        "candidate": reverse("label:candidate", args=[WNID_PLACEHOLDER]),
        "login": reverse("login"),
    }
    if round.kind == RoundKind.TRAINING:
        urls["feedback"] = reverse("training:feedback", args=[round.pk, "ITEM"])
    config = {
        "round": {"id": round.pk, "name": round.name, "kind": round.kind},
        "idle_limit_seconds": round.idle_limit_seconds,
        "median_active_seconds": progress.median_active_seconds,
        "csrf_token": get_token(request),
        "item": item,
        "urls": urls,
    }
    return render(
        request,
        "rounds/label.html",
        {
            "round": round,
            "item": item,
            "config": config,
            "progress": {
                "done": progress.done,
                "total": progress.total,
            },
        },
    )


_ROUND_ENDPOINTS = ("next", "previous", "answers", "progress")


@require_safe
@role_required(Role.ANNOTATOR, Role.ADMIN, Role.RESEARCHER)
def candidate_panel(request: HttpRequest, wnid: str) -> HttpResponse:
    """A class as a fragment of HTML for the labeling screen; `?compact=1` for a compare column.
    It says nothing about the image being labeled, so it is the same for every round."""
    synset = class_get_or_404(wnid=wnid)
    compact = request.GET.get("compact") == "1"
    path = taxonomy_snapshot().short_path(synset.wnid)
    response = render(
        request,
        "rounds/_candidate.html",
        {
            "synset": synset,
            "compact": compact,
            "short_path": PATH_SEPARATOR.join(short_path_names(path)),
            "gallery": gallery_for_class(
                synset=synset, limit=COMPARE_REFERENCES if compact else PANEL_REFERENCES
            ),
            "reference_count": reference_count_for_class(synset=synset),
            **guide_for_class(synset=synset),
        },
    )
    # Guide edits must show up on the next view; the browser keeps it only for this page's life.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
