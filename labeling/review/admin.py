"""Admin for candidates and multi-labels: read-only here (imports and reviews write them). A
review round's page shows its change report and agreement and links to its adjudication page,
where an admin decides what the consensus rule left open, seeing every judgment, or marks an
image problematic instead."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from labeling.accounts.roles import signed_in
from labeling.admin_mixins import ReadOnlyAdmin
from labeling.review.models import (
    Candidate,
    ImageLabel,
    LabelChange,
    LabelState,
    ReviewRound,
    RoundCandidate,
)
from labeling.review.selectors import adjudication_queue, review_agreement, review_change_report
from labeling.review.services import (
    adjudication_decide,
    adjudication_mark_problematic,
    review_consensus_apply,
)
from labeling.rounds.models import RoundImage


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ["image", "synset", "model_count", "added_by", "created_at"]
    list_filter = ["added_by"]
    search_fields = ["image__public_id", "image__original_name", "synset__wnid"]
    list_select_related = ["image", "synset"]
    show_full_result_count = False


@admin.register(ImageLabel)
class ImageLabelAdmin(ReadOnlyAdmin):
    list_display = ["image", "synset", "state", "source", "updated_at"]
    list_filter = ["state"]
    search_fields = ["image__public_id", "image__original_name", "synset__wnid", "source"]
    list_select_related = ["image", "synset"]
    show_full_result_count = False


@admin.register(LabelChange)
class LabelChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "image",
        "synset",
        "old_state",
        "new_state",
        "source",
        "changed_by",
    ]
    list_filter = ["new_state"]
    search_fields = ["image__public_id", "image__original_name", "synset__wnid", "source"]
    list_select_related = ["image", "synset", "changed_by"]
    show_full_result_count = False


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@admin.register(ReviewRound)
class ReviewRoundAdmin(admin.ModelAdmin):
    """A review round's settings, change report and agreement; its adjudication page."""

    list_display = ["round", "consensus_rule", "hide_model_counts", "source_round", "seed"]
    list_filter = ["round__kind", "round__state", "consensus_rule"]
    search_fields = ["round__name"]
    fields = readonly_fields = (
        "round",
        "consensus_rule",
        "hide_model_counts",
        "source_round",
        "seed",
        "change_report",
        "agreement",
        "adjudication",
    )
    list_select_related = ["round", "source_round"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by create_review_round / create_final_review

    @admin.display(description="change report")
    def change_report(self, obj: ReviewRound) -> str:
        r = review_change_report(round=obj.round)
        return format_html(
            "{} images labeled: {} unchanged, {} with labels added, {} with labels modified; "
            "{} with more than one correct class, {} correct classes on average among those; "
            "{} marked problematic in adjudication",
            r.images,
            r.unchanged,
            r.labels_added,
            r.labels_modified,
            _share(r.multi_label_share),
            _share(r.mean_correct_of_multi),
            r.problematic,
        )

    @admin.display(description="agreement")
    def agreement(self, obj: ReviewRound) -> str:
        a = review_agreement(round=obj.round)
        pairs = format_html_join(
            "",
            "<li>{} / {}: {} over {} candidates</li>",
            ((x, y, _share(s), n) for x, y, n, s in a.pairs),
        )
        return format_html(
            "Fleiss' kappa {} over {} candidates every reviewer judged<ul>{}</ul>",
            _share(a.kappa),
            a.kappa_items,
            pairs,
        )

    @admin.display(description="adjudication")
    def adjudication(self, obj: ReviewRound) -> str:
        url = reverse("admin:review_reviewround_adjudicate", args=[obj.pk])
        return format_html('<a href="{}">Apply the consensus rule and adjudicate</a>', url)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:round_id>/adjudicate/",
                self.admin_site.admin_view(self.adjudicate_view),
                name="review_reviewround_adjudicate",
            ),
            *super().get_urls(),
        ]

    def adjudicate_view(self, request: HttpRequest, round_id: int) -> HttpResponse:
        """GET: the candidates waiting for a decision with every judgment. POST: apply the
        consensus rule, decide one candidate, or mark an image problematic instead."""
        review = get_object_or_404(ReviewRound.objects.select_related("round"), pk=round_id)
        if not self.has_change_permission(request, review):
            return HttpResponse(status=403)
        if request.method == "POST":
            try:
                self._adjudicate_post(request, review)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjudication: {review.round.name}",
            "review": review,
            "queue": adjudication_queue(round=review.round),
            "states": LabelState.values,
            "opts": self.model._meta,
        }
        return render(request, "review/adjudicate.html", context)

    def _adjudicate_post(self, request: HttpRequest, review: ReviewRound) -> None:
        if "apply" in request.POST:
            counts = review_consensus_apply(round=review.round, by=signed_in(request.user))
            self.message_user(
                request,
                f"{counts['decided']} decided by the rule, {counts['adjudication']} waiting; "
                f"labels set for {counts['images_labeled']} images.",
                messages.SUCCESS,
            )
            return
        if "problematic" in request.POST:
            item = get_object_or_404(
                RoundImage.objects.select_related("round"),
                public_id=request.POST.get("item", ""),
                round=review.round,
            )
            adjudication_mark_problematic(
                round_image=item,
                reason=request.POST.get("reason", ""),
                by=signed_in(request.user),
            )
            self.message_user(request, "Marked the image problematic.", messages.SUCCESS)
            return
        candidate = get_object_or_404(
            RoundCandidate.objects.select_related("round", "candidate"),
            public_id=request.POST.get("candidate", ""),
            round=review.round,
        )
        adjudication_decide(
            round_candidate=candidate,
            state=request.POST.get("state", ""),
            by=signed_in(request.user),
            note=request.POST.get("note", ""),
        )
        self.message_user(request, "Decided.", messages.SUCCESS)
