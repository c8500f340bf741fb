"""Admin for candidates and multi-labels: read-only here (imports and reviews write them)."""

from __future__ import annotations

from django.contrib import admin

from labeling.admin_mixins import ReadOnlyAdmin
from labeling.review.models import Candidate, ImageLabel, LabelChange


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
