"""Admin views of the class tree. The tree comes from WordNet: edit the fixture, not these rows."""

from __future__ import annotations

from django.contrib import admin

from labeling.taxonomy.models import Hypernymy, Synset, SynsetClosure


class IsClassFilter(admin.SimpleListFilter):
    title = "is class"
    parameter_name = "is_class"

    def lookups(self, request, model_admin):
        return [("yes", "ImageNet class"), ("no", "ancestor only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.classes()
        if self.value() == "no":
            return queryset.filter(class_index__isnull=True)
        return queryset


class ChildIsClassFilter(IsClassFilter):
    """The same filter applied to the lower end of an edge or closure row."""

    title = "lower node is class"
    parameter_name = "lower_is_class"
    field = "child"

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            lookup = f"{self.field}__class_index__isnull"
            return queryset.filter(**{lookup: self.value() == "no"})
        return queryset


class DescendantIsClassFilter(ChildIsClassFilter):
    field = "descendant"


@admin.register(Synset)
class SynsetAdmin(admin.ModelAdmin):
    list_display = ("wnid", "display_name", "class_index", "group", "class_count", "depth")
    list_filter = ("group", IsClassFilter)
    search_fields = ("wnid", "name", "search_text", "gloss")
    ordering = ("class_index", "wnid")
    readonly_fields = ("depth", "class_count", "search_text")


@admin.register(Hypernymy)
class HypernymyAdmin(admin.ModelAdmin):
    list_display = ("child", "parent")
    list_filter = (ChildIsClassFilter, "child__group")
    search_fields = ("child__wnid", "child__name", "parent__wnid", "parent__name")
    raw_id_fields = ("child", "parent")
    list_select_related = ("child", "parent")


@admin.register(SynsetClosure)
class SynsetClosureAdmin(admin.ModelAdmin):
    list_display = ("descendant", "ancestor", "distance")
    list_filter = ("distance", DescendantIsClassFilter, "descendant__group")
    search_fields = ("descendant__wnid", "descendant__name", "ancestor__wnid", "ancestor__name")
    raw_id_fields = ("descendant", "ancestor")
    list_select_related = ("descendant", "ancestor")
