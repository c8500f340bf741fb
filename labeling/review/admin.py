"""Admin for candidates and multi-labels: read-only here (imports and reviews write them). A
review round's page shows its change report and agreement and links to its adjudication page,
where an admin decides what the consensus rule left open, seeing every judgment, or marks an
image problematic instead. Two pages create review rounds as create_review_round and
create_final_review do, through the same services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from labeling.accounts.roles import signed_in
from labeling.accounts.selectors import annotators
from labeling.admin_mixins import ReadOnlyAdmin
from labeling.images.selectors import image_source_choices
from labeling.review.models import (
    Candidate,
    ConsensusRule,
    ImageLabel,
    LabelChange,
    LabelState,
    ReviewRound,
    RoundCandidate,
)
from labeling.review.selectors import (
    adjudication_queue,
    images_awaiting_review,
    review_agreement,
    review_candidate_count,
    review_change_report,
)
from labeling.review.services import (
    adjudication_decide,
    adjudication_mark_problematic,
    final_review_create,
    review_consensus_apply,
    review_round_create,
)
from labeling.rounds.image_lists import image_list_parse, image_list_resolve
from labeling.rounds.models import Round, RoundImage, RoundKind


class _ReviewRoundForm(forms.Form):
    """What both kinds of review round ask for. The forms check the shape of what is typed;
    the services decide whether it makes a round (their refusals are shown on the form)."""

    kind: str  # in the success message
    title: str  # of the page

    name = forms.CharField(max_length=Round._meta.get_field("name").max_length)
    reviewers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="annotators who judge the candidates (more can be assigned on the round's page)",
    )
    consensus_rule = forms.ChoiceField(
        choices=ConsensusRule.choices,
        initial=ConsensusRule.UNANIMOUS,
        label="Consensus rule",
        help_text="how the reviewers' verdicts become labels",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reviewers = self.fields["reviewers"]
        assert isinstance(reviewers, forms.ModelMultipleChoiceField)
        reviewers.queryset = annotators()  # users added since start-up

    def create(self, *, by: User) -> Round:
        """The round, made of the cleaned data by the service its command uses."""
        raise NotImplementedError

    def refused(self, error: ValidationError) -> None:
        """Show a service's refusal: on the field it names where the form has one."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class AnnotationReviewForm(_ReviewRoundForm):
    kind, title = "annotation review round", "Create an annotation review round"
    field_order = [
        "name",
        "images",
        "awaiting_sources",
        "awaiting_limit",
        "reviewers",
        "hide_model_counts",
        "consensus_rule",
    ]

    images = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Image names, one per line, as in the annotation files (ImageNet val file "
        "name or ImageNetV2 id); # starts a comment. Reviewed in this order. Each image's "
        "candidates: its original label, every class a model predicted and every class "
        "already a candidate.",
    )
    hide_model_counts = forms.BooleanField(
        required=False,
        help_text="reviewers do not see how many models predicted each class (against "
        "anchoring); the candidates are then listed in an order shuffled with a recorded seed",
    )

    awaiting_sources = forms.MultipleChoiceField(
        required=False,
        label="Or every image awaiting review from",
        widget=forms.CheckboxSelectMultiple,
        help_text="instead of names: the images of these sources with model predictions, no "
        "final labels, not problematic and in no annotation review round yet (by source and name)",
    )
    awaiting_limit = forms.IntegerField(
        required=False, min_value=1, label="At most", help_text="the first this many of them"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = self.fields["awaiting_sources"]
        assert isinstance(sources, forms.MultipleChoiceField)
        sources.choices = image_source_choices()

    def clean_images(self) -> list[int]:
        image_ids, problems = image_list_resolve(image_list_parse(self.cleaned_data["images"]))
        if problems:
            raise forms.ValidationError(problems)
        return image_ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        listed, sources = data.get("images"), data.get("awaiting_sources")
        if "images" not in data:
            return data  # the list's problems are shown already
        if listed and sources:
            self.add_error("awaiting_sources", "Either list the images or take those awaiting.")
        elif sources:
            data["images"] = images_awaiting_review(
                sources=sources, limit=data.get("awaiting_limit")
            )
            if not data["images"]:
                self.add_error("awaiting_sources", "No image of these sources awaits review.")
        return data  # no images at all: the service says so

    def create(self, *, by: User) -> Round:
        data = self.cleaned_data
        return review_round_create(
            name=data["name"],
            kind=RoundKind.ANNOTATION_REVIEW,
            image_ids=data["images"],
            reviewers=data["reviewers"],
            hide_model_counts=data["hide_model_counts"],
            consensus_rule=data["consensus_rule"],
            created_by=by,
        )


class _EvaluationRoundField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Round) -> str:
        return f"{obj.name} ({obj.state}, {obj.image_count} images)"


class FinalReviewForm(_ReviewRoundForm):
    kind, title = "final review round", "Create the final review of an evaluation round"
    field_order = ["source_round", "name", "reviewers", "seed", "models_per_image"]

    source_round = _EvaluationRoundField(
        queryset=Round.objects.none(),
        label="Evaluation round",
        help_text="every class a labeler answered that has no label for its image yet becomes "
        "a candidate",
    )
    seed = forms.IntegerField(
        required=False,
        help_text="draws the model predictions mixed in and orders the candidates; drawn and "
        "recorded if empty",
    )
    models_per_image = forms.IntegerField(
        initial=2,
        label="Model predictions per image",
        help_text="classes models predicted for the image, drawn with the seed and mixed in, "
        "so reviewers cannot tell a person's candidate from a model's",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = self.fields["source_round"]
        assert isinstance(source, forms.ModelChoiceField)
        source.queryset = Round.objects.filter(kind=RoundKind.EVALUATION).order_by("-created_at")

    def create(self, *, by: User) -> Round:
        data = self.cleaned_data
        return final_review_create(
            source_round=data["source_round"],
            name=data["name"],
            reviewers=data["reviewers"],
            seed=data["seed"],  # drawn and recorded on the round when empty
            models_per_image=data["models_per_image"],
            consensus_rule=data["consensus_rule"],
            created_by=by,
        )


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
        return False  # made on the two creation pages below (or by their commands)

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
            path(
                "create-annotation-review/",
                self.admin_site.admin_view(self.create_annotation_review_view),
                name="review_reviewround_create_annotation_review",
            ),
            path(
                "create-final-review/",
                self.admin_site.admin_view(self.create_final_review_view),
                name="review_reviewround_create_final_review",
            ),
            *super().get_urls(),
        ]

    def _may_create(self, request: HttpRequest) -> None:
        # A review round is a round and its review settings: whoever may add both (study admins).
        if not request.user.has_perms(["rounds.add_round", "review.add_reviewround"]):
            raise PermissionDenied

    def create_annotation_review_view(self, request: HttpRequest) -> HttpResponse:
        return self._creation_view(request, AnnotationReviewForm)

    def create_final_review_view(self, request: HttpRequest) -> HttpResponse:
        return self._creation_view(request, FinalReviewForm)

    def _creation_view(
        self, request: HttpRequest, form_class: type[_ReviewRoundForm]
    ) -> HttpResponse:
        """GET: the form. POST: the round, created and opened by the service its command uses,
        then its page with what was made; or the form again with what the service refused."""
        self._may_create(request)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                round = form.create(by=signed_in(request.user))
            except ValidationError as error:
                form.refused(error)
            else:
                seed = round.review.seed
                self.message_user(
                    request,
                    f"Created and opened {form.kind} {round.name!r}: {round.image_count} images, "
                    f"{review_candidate_count(round=round)} candidates"
                    + ("." if seed is None else f", seed {seed}."),
                    messages.SUCCESS,
                )
                url = reverse("admin:review_reviewround_change", args=[round.pk])
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "title": form.title,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/review/create_review_round.html", context)

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
