"""Admin for training: a page that builds a training round from subtrees, classes and sources;
labelers' requests (turned into a round in one step); statistics and comments read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from labeling.accounts.roles import signed_in
from labeling.accounts.selectors import annotators
from labeling.admin_mixins import ReadOnlyAdmin
from labeling.rounds.models import Round
from labeling.training.models import AnswerStat, ReviewComment, TrainingRequest
from labeling.training.services import (
    DEFAULT_REQUEST_COUNT,
    training_request_decline,
    training_request_fulfil,
    training_round_create,
)


def _listed(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


class TrainingRoundForm(forms.Form):
    name = forms.CharField(max_length=200)
    under = forms.CharField(
        required=False,
        help_text="wnids of tree nodes, comma-separated: every class at or below them "
        "(n02092468 terrier, n02084071 dog, n02159955 insect, …)",
    )
    classes = forms.CharField(required=False, help_text="wnids of classes, comma-separated")
    sources = forms.CharField(
        required=False, help_text="image source slugs (e.g. imagenet-val); empty for all"
    )
    count = forms.IntegerField(min_value=1, initial=DEFAULT_REQUEST_COUNT)
    seed = forms.IntegerField(
        min_value=0, required=False, help_text="draws and orders the images; drawn if empty"
    )
    labelers = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(), required=False
    )
    draft = forms.BooleanField(required=False, help_text="create it without opening it")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["labelers"].queryset = annotators()  # type: ignore[attr-defined]


@admin.register(TrainingRequest)
class TrainingRequestAdmin(ReadOnlyAdmin):
    list_display = ["labeler", "classes", "note", "state", "created_at", "round"]
    list_filter = ["state", "created_at"]
    search_fields = ["labeler__username", "note"]
    list_select_related = ["labeler", "round"]
    actions = ["make_rounds", "decline"]

    @admin.display(description="classes or subtrees")
    def classes(self, obj: TrainingRequest) -> str:
        return ", ".join(obj.wnids)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Actions need it; the fields themselves stay read-only (all are readonly_fields).
        return request.user.is_staff

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in TrainingRequest._meta.fields]

    @admin.action(description=f"Make a training round of {DEFAULT_REQUEST_COUNT} images each")
    def make_rounds(self, request: HttpRequest, queryset: QuerySet[TrainingRequest]) -> None:
        for training_request in queryset:
            try:
                round = training_request_fulfil(
                    request=training_request, created_by=signed_in(request.user)
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, f"Created and opened {round.name}.", messages.SUCCESS)

    @admin.action(description="Decline the selected requests")
    def decline(self, request: HttpRequest, queryset: QuerySet[TrainingRequest]) -> None:
        for training_request in queryset:
            training_request_decline(request=training_request)

    def get_urls(self) -> list[URLPattern]:
        page = self.admin_site.admin_view(self.create_round_view)
        return [path("create-round/", page, name="training_create_round"), *super().get_urls()]

    def create_round_view(self, request: HttpRequest) -> HttpResponse:
        """Build a training round from subtrees, classes and sources."""
        if not request.user.has_perm("rounds.add_round"):
            return HttpResponse(status=403)
        form = TrainingRoundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                round = training_round_create(
                    name=data["name"],
                    under=_listed(data["under"]),
                    classes=_listed(data["classes"]),
                    sources=_listed(data["sources"]),
                    count=data["count"],
                    seed=data["seed"],
                    labelers=data["labelers"],
                    open=not data["draft"],
                    created_by=signed_in(request.user),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, f"Created training round {round.name}.")
                return HttpResponseRedirect(reverse("admin:rounds_round_change", args=[round.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Create a training round",
            "form": form,
            "opts": Round._meta,
        }
        return render(request, "admin/training/create_round.html", context)


@admin.register(AnswerStat)
class AnswerStatAdmin(ReadOnlyAdmin):
    list_display = ["answer", "labeler", "round", "reference", "chosen", "correct", "group"]
    list_filter = ["correct", "group", "round"]
    search_fields = ["labeler__username", "reference__wnid", "chosen__wnid"]
    list_select_related = ["labeler", "round"]


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdmin):
    list_display = ["round_image", "author", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["author__username", "text"]
