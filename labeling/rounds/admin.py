"""Admin for rounds: create them, paste image names, assign labelers, open and close them, and
follow each labeler's progress. Every change goes through the services; answers, their logs and
timing rows are read-only here."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BLANK_CHOICE_DASH, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from labeling.accounts.roles import signed_in
from labeling.accounts.selectors import annotators
from labeling.admin_mixins import ReadOnlyAdmin
from labeling.guide.selectors import guide_active_freeze
from labeling.guide.services import GuideFrozen
from labeling.images.selectors import image_source_choices
from labeling.rounds.image_lists import image_list_parse, image_list_resolve
from labeling.rounds.models import (
    EVALUATION_SOURCES,
    IDLE_LIMIT_MAX_SECONDS,
    Answer,
    AnswerTiming,
    Assignment,
    InteractionLog,
    Round,
    RoundKind,
)
from labeling.rounds.selectors import assignment_progress
from labeling.rounds.services import (
    SEED_LIMIT,
    round_assign,
    round_close,
    round_create,
    round_guide_freeze,
    round_images_add,
    round_open,
    round_settings_update,
    round_unassign,
    training_pool_check,
)


class RoundForm(forms.ModelForm):
    add_images = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text="Image names, one per line, as in the annotation files (ImageNet val file "
        "name or ImageNetV2 id); # starts a comment. Only while the round is a draft.",
    )
    add_labelers = forms.ModelMultipleChoiceField(
        queryset=annotators(), required=False, help_text="annotators to assign"
    )
    shuffle = forms.BooleanField(
        required=False,
        initial=True,
        help_text="shuffle the images with the seed (drawn and recorded if left empty)",
    )
    sample_per_class = forms.IntegerField(
        required=False,
        min_value=1,
        label="Images per class",
        help_text="an evaluation round only, instead of a list of names: draw this many images "
        "of every class from each source below, with the seed, among the annotated, "
        "non-problematic images no training round has shown (the study: 1 from each of two "
        "sources, 2,000 images)",
    )
    sample_sources = forms.MultipleChoiceField(
        required=False,
        label="Sources to draw from",
        widget=forms.CheckboxSelectMultiple,
    )
    freeze_guide = forms.BooleanField(
        required=False,
        label="Freeze the labeling guide",
        help_text="nobody can edit the guide until this round is closed, so every labeler works "
        "with the same text (closing the round releases the freeze)",
    )

    idle_limit_seconds = forms.IntegerField(
        min_value=1,
        max_value=IDLE_LIMIT_MAX_SECONDS,
        initial=120,
        help_text="pauses longer than this without interaction are not active time",
    )

    class Meta:
        model = Round
        fields = ["name", "kind", "seed", "allow_change_previous", "idle_limit_seconds"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:  # a new round: an existing one's kind is read-only
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            # A review round needs its candidates and settings: the review round pages make it.
            kind.choices = [
                *BLANK_CHOICE_DASH,
                *((k.value, k.label) for k in (RoundKind.TRAINING, RoundKind.EVALUATION)),
            ]
            kind.help_text = (
                "review rounds are created from Review rounds: “Create an annotation review "
                "round” or “Create the final review of an evaluation round”"
            )
        labelers = self.fields["add_labelers"]
        assert isinstance(labelers, forms.ModelMultipleChoiceField)
        labelers.queryset = annotators()  # users added since start-up
        sources = self.fields["sample_sources"]
        assert isinstance(sources, forms.MultipleChoiceField)
        sources.initial = list(EVALUATION_SOURCES)
        sources.choices = image_source_choices()

    def clean_add_images(self) -> list[int]:
        image_ids, problems = image_list_resolve(image_list_parse(self.cleaned_data["add_images"]))
        if problems:
            raise forms.ValidationError(problems)
        return image_ids

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # A new round's images are checked against the training/evaluation pool here, so the
        # form shows the service's refusal (an existing round's save reports it as a message).
        if self.instance.pk is None and data.get("sample_per_class"):
            self._sample(data)
        if self.instance.pk is None and data.get("kind") and data.get("add_images"):
            try:
                training_pool_check(kind=data["kind"], image_ids=data["add_images"])
            except ValidationError as error:
                self.add_error("add_images", error)
        if data.get("freeze_guide"):
            active = guide_active_freeze()
            if active is not None:
                self.add_error(
                    "freeze_guide",
                    f"The guide is already frozen ({active.name}); release it first.",
                )
        return data

    def _sample(self, data: dict[str, Any]) -> None:
        """The round's images drawn per class, as create_evaluation_round --per-class draws them;
        the seed (drawn if empty) orders them too, so it is recorded."""
        if data.get("kind") != RoundKind.EVALUATION:
            self.add_error("sample_per_class", "Only an evaluation round is drawn per class.")
            return
        if data.get("add_images"):
            self.add_error("sample_per_class", "Either list the images or draw them, not both.")
            return
        if not data.get("shuffle"):
            self.add_error("shuffle", "A drawn sample is always shuffled.")
            return
        if not data.get("sample_sources"):
            self.add_error("sample_sources", "Choose at least one source to draw from.")
            return
        if data.get("seed") is None:
            data["seed"] = secrets.randbelow(SEED_LIMIT)
        # Imported here: sampling brings numpy, which a web process need not hold until used.
        from labeling.rounds.sampling import evaluation_sample

        sample = evaluation_sample(
            per_class=data["sample_per_class"],
            sources=data.get("sample_sources") or [],
            seed=data["seed"],
        )
        if sample.problems:
            self.add_error("sample_per_class", sample.problems)
        else:
            data["add_images"] = sample.image_ids

    def _post_clean(self):
        # The services check the round; the model's own validation would run before them.
        pass


class AssignmentInline(admin.TabularInline):
    """Each labeler's progress. Labelers are added with the form's field, which checks them."""

    model = Assignment
    readonly_fields = ["user", "progress", "median_active", "time_left"]
    fields = tuple(readonly_fields)
    extra = 0
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="answered")
    def progress(self, obj: Assignment) -> str:
        p = assignment_progress(assignment=obj)
        return f"{p.done} / {p.total}"

    @admin.display(description="median active time")
    def median_active(self, obj: Assignment) -> str:
        median = assignment_progress(assignment=obj).median_active_seconds
        return "-" if median is None else f"{median:.1f} s"

    @admin.display(description="time left (at that median)")
    def time_left(self, obj: Assignment) -> str:
        eta = assignment_progress(assignment=obj).eta_seconds
        return "-" if eta is None else f"{eta / 3600:.1f} h"


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    form = RoundForm
    list_display = ["name", "kind", "state", "images", "labelers", "created_at", "opened_at"]
    list_filter = ["kind", "state", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["state", "created_by", "created_at", "opened_at", "closed_at"]
    inlines = [AssignmentInline]
    actions = ["open_rounds", "close_rounds", "freeze_guide"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "name",
                "kind",
                "shuffle",
                "seed",
                "allow_change_previous",
                "idle_limit_seconds",
                "add_images",
                "sample_per_class",
                "sample_sources",
                "add_labelers",
                "freeze_guide",
            ]
        return [
            "name",
            "kind",
            "state",
            "seed",
            "allow_change_previous",
            "idle_limit_seconds",
            *(["add_images"] if obj.state == "draft" else []),
            *(["add_labelers"] if obj.state != "closed" else []),
            "created_by",
            "created_at",
            "opened_at",
            "closed_at",
            "frozen_guide",
            *(["review_page"] if hasattr(obj, "review") else []),
        ]

    @admin.display(description="guide freeze")
    def frozen_guide(self, obj: Round) -> str:
        freeze = obj.guide_freeze
        if freeze is None:
            return "none (the action “Freeze the guide for the selected round” makes one)"
        state = "active until the round closes" if freeze.is_active else "released"
        return format_html('<a href="{}">{}</a> ({})', reverse("guide:freeze"), freeze.name, state)

    @admin.display(description="review")
    def review_page(self, obj: Round) -> str:
        """A review round's change report, agreement and adjudication live on its review page."""
        url = reverse("admin:review_reviewround_change", args=[obj.pk])
        return format_html('<a href="{}">Change report, agreement and adjudication</a>', url)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The order was drawn with the seed and the kind decides what labelers see; once
        # labelers may have started, the rules they label under stay as they were.
        fixed = ["kind", "seed"]
        if obj.state != "draft":
            fixed += ["allow_change_previous", "idle_limit_seconds"]
        return [*self.readonly_fields, *fixed, "review_page", "frozen_guide"]

    def save_model(self, request, obj: Round, form: RoundForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if change:
                    stored = Round.objects.get(pk=obj.pk)
                    saved = round_settings_update(
                        round=stored,
                        name=data["name"],
                        allow_change_previous=data.get(
                            "allow_change_previous", stored.allow_change_previous
                        ),
                        idle_limit_seconds=data.get(
                            "idle_limit_seconds", stored.idle_limit_seconds
                        ),
                    )
                    if data.get("add_images"):
                        round_images_add(round=saved, image_ids=data["add_images"])
                    round_assign(round=saved, users=data.get("add_labelers") or [])
                else:
                    saved = round_create(
                        name=data["name"],
                        kind=data["kind"],
                        image_ids=data.get("add_images") or [],
                        shuffle=data["shuffle"],
                        seed=data["seed"] if data["shuffle"] else None,
                        labelers=data.get("add_labelers") or [],
                        allow_change_previous=data["allow_change_previous"],
                        idle_limit_seconds=data["idle_limit_seconds"],
                        created_by=request.user,
                    )
                    if data.get("freeze_guide"):
                        round_guide_freeze(round=saved, by=request.user)
        except GuideFrozen as error:
            # Frozen by someone else since the form was checked: the round was not created.
            raise ValidationError(str(error)) from None
        except ValidationError as error:
            if not change:
                raise  # the form checked everything a new round needs
            # Shown on the page the admin lands on; nothing of this save was written.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            saved = obj
        # The admin goes on with `obj` (log entry, redirect): make it the stored row.
        obj.__dict__.update(Round.objects.get(pk=saved.pk).__dict__)

    def save_formset(self, request, form, formset, change):
        # Only deletions come from the inline: take those labelers off through the service.
        for inline_form in formset.deleted_forms:
            assignment = inline_form.instance
            try:
                round_unassign(round=assignment.round, user=assignment.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.display(description="images", ordering="image_count")
    def images(self, obj: Round) -> int:
        return obj.image_count

    @admin.display(description="labelers")
    def labelers(self, obj: Round) -> int:
        return obj.assignments.count()

    @admin.action(description="Open the selected draft rounds")
    def open_rounds(self, request: HttpRequest, queryset: QuerySet[Round]) -> None:
        self._move(request, queryset, round_open, "Opened")

    @admin.action(description="Close the selected open rounds")
    def close_rounds(self, request: HttpRequest, queryset: QuerySet[Round]) -> None:
        self._move(request, queryset, round_close, "Closed")

    @admin.action(description="Freeze the guide for the selected round (until it closes)")
    def freeze_guide(self, request: HttpRequest, queryset: QuerySet[Round]) -> None:
        rounds = list(queryset[:2])
        if len(rounds) != 1:
            self.message_user(request, "Select one round to freeze the guide for.", messages.ERROR)
            return
        try:
            freeze = round_guide_freeze(round=rounds[0], by=signed_in(request.user))
        except (GuideFrozen, ValidationError) as error:
            text = str(error) if isinstance(error, GuideFrozen) else " ".join(error.messages)
            self.message_user(request, text, messages.ERROR)
            return
        self.message_user(
            request,
            f"The guide is frozen ({freeze.name}) until the round is closed.",
            messages.SUCCESS,
        )

    def _move(self, request, queryset, service, verb: str) -> None:
        done = 0
        for round in queryset:
            try:
                service(round=round, by=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} round(s).", messages.SUCCESS)


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = [
        "round",
        "position",
        "labeler",
        "synset",
        "answered_at",
        "active_seconds",
        "picker",
        "flag",
        "change_count",
    ]
    list_filter = ["round_image__round__kind", "picker", "flag", "answered_at"]
    search_fields = ["labeler__username", "synset__wnid", "round_image__round__name", "note"]
    list_select_related = ["round_image__round", "labeler", "synset"]
    show_full_result_count = False

    @admin.display(description="round", ordering="round_image__round")
    def round(self, obj: Answer) -> Round:
        return obj.round_image.round

    @admin.display(description="position", ordering="round_image__position")
    def position(self, obj: Answer) -> int:
        return obj.round_image.position


@admin.register(InteractionLog)
class InteractionLogAdmin(ReadOnlyAdmin):
    list_display = ["id", "labeler", "kind", "synset", "answered_at", "created_at", "processed_at"]
    list_filter = ["kind", ("processed_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["labeler__username", "idempotency_key", "synset__wnid"]
    list_select_related = ["labeler", "synset"]
    show_full_result_count = False


@admin.register(AnswerTiming)
class AnswerTimingAdmin(ReadOnlyAdmin):
    list_display = [
        "log",
        "answer",
        "wall_seconds",
        "active_seconds",
        "events_active_seconds",
        "hidden_seconds",
        "idle_seconds",
        "searches",
        "picker",
    ]
    list_filter = ["picker", "computed_at"]
    search_fields = ["answer__labeler__username", "answer__synset__wnid"]
    list_select_related = ["log", "answer"]
    show_full_result_count = False
