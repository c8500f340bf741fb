"""The review screen: a review round's page at /label/R/ (the labeling screen hands review rounds
over to it). The image with all its candidates at once; the reviewer judges each."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse

from labeling.review.payloads import review_next_item_data
from labeling.rounds.models import Assignment
from labeling.rounds.selectors import assignment_progress
from labeling.rounds.services import item_serve

GUIDE_PLACEHOLDER = "n00000000"  # the page fills in each candidate's class


def review_screen(request: HttpRequest, assignment: Assignment) -> HttpResponse:
    """The reviewer's current image (the first with a candidate they have not judged), its
    candidates and their own verdicts so far: reloading resumes where they were."""
    round = assignment.round
    # A RoundConflict (nothing to serve) goes up to label_screen, which answers it for every kind.
    item = review_next_item_data(
        item_serve(assignment=assignment), request, reviewer_id=assignment.user_id
    )
    progress = assignment_progress(assignment=assignment)
    config = {
        "round": {"id": round.pk, "name": round.name, "kind": round.kind},
        "csrf_token": get_token(request),
        "item": item,
        "urls": {
            "next": reverse("api:round-next", args=[round.pk]),
            "judgments": reverse("api:round-judgments", args=[round.pk]),
            "search": reverse("api:class-search"),
            "previews": reverse("api:reference-previews"),
            "guide": reverse("guide:entry", args=[GUIDE_PLACEHOLDER]),
            "login": reverse("login"),
        },
    }
    return render(
        request,
        "review/review.html",
        {"round": round, "item": item, "config": config, "progress": progress},
    )
