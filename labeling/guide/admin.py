"""Admin for the labeling guide. Saves go through the services, so every change keeps a revision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from labeling.admin_mixins import ReadOnlyAdmin
from labeling.guide.forms import form_add_service_errors
from labeling.guide.models import DistinctionNote, GuideEntry, GuideFreeze, GuideRevision
from labeling.guide.services import (
    GuideFrozen,
    distinction_note_save,
    distinction_note_validate,
    guide_check_not_frozen,
    guide_entry_save,
    guide_entry_validate,
    guide_release,
)


class RevisionCommentForm(forms.ModelForm):
    """The admin saves through the services, in save_model, where an error can no longer be
    shown: so the form asks the services' rules first and shows their messages."""

    revision_comment = forms.CharField(
        required=False, max_length=300, help_text="what changed and why (kept with the revision)"
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        try:
            guide_check_not_frozen()
            self.validate_with_service(cleaned)
        except GuideFrozen as error:
            raise forms.ValidationError(str(error)) from None
        except ValidationError as error:
            form_add_service_errors(self, error)
        return cleaned

    def validate_with_service(self, cleaned: dict) -> None:
        raise NotImplementedError


class GuideEntryAdminForm(RevisionCommentForm):
    class Meta:
        model = GuideEntry
        fields = ["synset", "text"]

    def validate_with_service(self, cleaned: dict) -> None:
        synset = cleaned.get("synset") or getattr(self.instance, "synset", None)
        if synset is not None:  # else the field already says it is required
            guide_entry_validate(synset=synset, text=cleaned.get("text", ""))


class ReadOnlyRevisionInline(admin.TabularInline):
    model = GuideRevision
    readonly_fields = ["number", "created_at", "author", "comment", "title", "text"]
    fields = tuple(readonly_fields)
    ordering = ["-number"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EntryRevisionInline(ReadOnlyRevisionInline):
    fk_name = "entry"
    readonly_fields = ["number", "created_at", "author", "comment", "text"]
    fields = tuple(readonly_fields)


class NoteRevisionInline(ReadOnlyRevisionInline):
    fk_name = "note"


def _sync(obj, saved) -> None:
    # The admin goes on with `obj` (log entry, redirect, message): make it the stored row.
    obj.__dict__.update(saved.__dict__)


@admin.register(GuideEntry)
class GuideEntryAdmin(admin.ModelAdmin):
    form = GuideEntryAdminForm
    list_display = ["synset", "class_index", "updated_at", "updated_by", "revision_count"]
    list_filter = ["synset__group", "updated_at", "updated_by"]
    search_fields = ["synset__wnid", "synset__name", "synset__display_name", "text"]
    autocomplete_fields = ["synset"]
    list_select_related = ["synset", "updated_by"]
    fields = ["synset", "text", "revision_comment", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    inlines = [EntryRevisionInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new entry has no history yet

    def get_readonly_fields(self, request, obj=None):
        # An entry belongs to one class for good; its history would not make sense elsewhere.
        return [*self.readonly_fields, "synset"] if obj is not None else self.readonly_fields

    @admin.display(description="class index", ordering="synset__class_index")
    def class_index(self, obj: GuideEntry) -> int | None:
        return obj.synset.class_index

    @admin.display(description="revisions")
    def revision_count(self, obj: GuideEntry) -> int:
        return obj.revisions.count()

    def save_model(self, request, obj, form, change):
        saved = guide_entry_save(
            synset=obj.synset,
            text=form.cleaned_data["text"],
            author=request.user,
            comment=form.cleaned_data.get("revision_comment", ""),
        )
        _sync(obj, saved)


class DistinctionNoteAdminForm(RevisionCommentForm):
    class Meta:
        model = DistinctionNote
        fields = ["title", "text", "synsets"]

    def validate_with_service(self, cleaned: dict) -> None:
        distinction_note_validate(
            title=cleaned.get("title", ""),
            text=cleaned.get("text", ""),
            synsets=cleaned.get("synsets", []),
        )


@admin.register(DistinctionNote)
class DistinctionNoteAdmin(admin.ModelAdmin):
    form = DistinctionNoteAdminForm
    list_display = ["title", "class_list", "updated_at", "updated_by"]
    list_filter = ["synsets__group", "updated_at", "updated_by"]
    search_fields = ["title", "text", "synsets__wnid", "synsets__name"]
    autocomplete_fields = ["synsets"]
    fields = ["title", "text", "synsets", "revision_comment", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
    inlines = [NoteRevisionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("synsets")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="classes")
    def class_list(self, obj: DistinctionNote) -> str:
        return ", ".join(synset.display_name for synset in obj.synsets.all())

    def save_model(self, request, obj, form, change):
        saved = distinction_note_save(
            note=obj if change else None,
            title=form.cleaned_data["title"],
            text=form.cleaned_data["text"],
            synsets=form.cleaned_data["synsets"],
            author=request.user,
            comment=form.cleaned_data.get("revision_comment", ""),
        )
        _sync(obj, saved)

    def save_related(self, request, form, formsets, change):
        # The service has set the classes; the form's save_m2m would only repeat it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(GuideRevision)
class GuideRevisionAdmin(ReadOnlyAdmin):
    """The history is a record: nobody edits or deletes it here."""

    list_display = ["__str__", "number", "entry", "note", "author", "created_at", "comment"]
    list_filter = [
        ("entry", admin.EmptyFieldListFilter),
        ("note", admin.EmptyFieldListFilter),
        "entry__synset__group",
        "author",
        "created_at",
    ]
    search_fields = [
        "entry__synset__wnid",
        "entry__synset__name",
        "note__title",
        "title",
        "text",
        "comment",
        "author__username",
    ]
    list_select_related = ["entry__synset", "note", "author"]
    readonly_fields = [
        "entry",
        "note",
        "number",
        "title",
        "text",
        "author",
        "created_at",
        "comment",
    ]
    date_hierarchy = "created_at"


@admin.register(GuideFreeze)
class GuideFreezeAdmin(admin.ModelAdmin):
    """Freezes are made on the guide's freeze page; here they can be looked up and released."""

    list_display = ["name", "created_at", "created_by", "released_at", "released_by"]
    list_filter = [("released_at", admin.EmptyFieldListFilter), "created_by", "created_at"]
    search_fields = ["name", "reason", "created_by__username"]
    readonly_fields = [
        "name",
        "reason",
        "created_at",
        "created_by",
        "released_at",
        "released_by",
        "snapshot",
    ]
    actions = ["release"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Release the selected freezes")
    def release(self, request, queryset):
        for freeze in queryset:
            try:
                guide_release(freeze=freeze, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{freeze.name}: {' '.join(error.messages)}", "warning")
            else:
                self.message_user(request, f"Released {freeze.name}.")
