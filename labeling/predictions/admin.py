"""Admin for classifier models and their predictions (a large table: no counts, raw id widgets)."""

from __future__ import annotations

from django.contrib import admin

from labeling.predictions.models import ClassifierModel, ModelPrediction


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    list_display = ["name", "metadata", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]


@admin.register(ModelPrediction)
class ModelPredictionAdmin(admin.ModelAdmin):
    list_display = ["image", "model", "rank", "synset", "score"]
    list_filter = ["model", "rank"]
    search_fields = ["image__public_id", "image__original_name", "synset__wnid"]
    raw_id_fields = ["model", "image", "synset"]
    list_select_related = ["model", "image", "synset"]
    # Counting millions of rows on every page view is slow and tells nobody anything.
    show_full_result_count = False
    ordering = ["-id"]
