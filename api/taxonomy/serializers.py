"""Shapes of the class and taxonomy endpoints: their query parameters and their answers.

Query parameters are parsed by the `…Query` serializers, which the views validate and pass to
`@extend_schema(parameters=...)`, so the schema and the checks cannot drift. Lists read from the
database go through `ClassSerializer`. The hot endpoints (search, children, paths) answer from the
in-memory snapshot, so plain functions build their dictionaries; the serializer classes below
document those shapes for the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from labeling.taxonomy.models import Synset
from labeling.taxonomy.search import TIER_NAMES, SearchHit
from labeling.taxonomy.selectors import CLASS_GROUP_MEMBERS
from labeling.taxonomy.snapshot import (
    PATH_SEPARATOR,
    CollapsedChild,
    TaxonomyNode,
    short_path_names,
)

SEARCH_LIMIT_DEFAULT = 20
SEARCH_LIMIT_MAX = 100
SEARCH_QUERY_MAX = 200  # characters; longer input is not a class name

# --- query parameters --------------------------------------------------------------------------


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(
        max_length=SEARCH_QUERY_MAX,
        help_text="what to look for: a name or synonym (as people say it, typos forgiven), "
        "a wnid or its start, a class index, or words of the gloss",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=SEARCH_LIMIT_MAX,
        default=SEARCH_LIMIT_DEFAULT,
        help_text="how many results at most",
    )


class ClassListQuery(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=list(CLASS_GROUP_MEMBERS),
        required=False,
        allow_blank=True,
        help_text="dog, organism (includes the dogs) or object; all classes without it",
    )


class TreeQuery(serializers.Serializer):
    collapse = serializers.BooleanField(
        default=False,
        help_text="replace a non-class child with a single child by the end of its chain",
    )


# --- from the database -----------------------------------------------------------------------


class ClassSerializer(serializers.ModelSerializer):
    index = serializers.IntegerField(source="class_index")

    class Meta:
        model = Synset
        fields = ["wnid", "index", "name", "display_name", "lemmas", "gloss", "group"]


# --- from the snapshot -----------------------------------------------------------------------


def node_ref(node: TaxonomyNode) -> dict[str, str]:
    return {"wnid": node.wnid, "name": node.name}


def node_summary(node: TaxonomyNode) -> dict[str, Any]:
    return {
        "wnid": node.wnid,
        "name": node.name,
        "display_name": node.display_name,
        "class_count": node.class_count,
        "is_class": node.is_class,
        "child_count": len(node.children),
    }


def node_detail(node: TaxonomyNode) -> dict[str, Any]:
    return {
        **node_summary(node),
        "index": node.class_index,
        "depth": node.depth,
        "lemmas": list(node.lemmas),
        "gloss": node.gloss,
    }


def child_item(child: CollapsedChild, *, collapse: bool) -> dict[str, Any]:
    item = node_summary(child.node)
    if collapse:
        item["collapsed"] = list(child.collapsed)
    return item


def class_item(node: TaxonomyNode) -> dict[str, Any]:
    """The fields every class listing has (the same as ClassSerializer's)."""
    return {
        "wnid": node.wnid,
        "index": node.class_index,
        "name": node.name,
        "display_name": node.display_name,
        "lemmas": list(node.lemmas),
        "gloss": node.gloss,
        "group": node.group,
    }


def short_path_data(path: list[TaxonomyNode]) -> dict[str, Any]:
    """The short path as text and as nodes (see snapshot.short_path_names)."""
    names = short_path_names(path)
    return {
        "path": PATH_SEPARATOR.join(names),
        "path_nodes": [{"wnid": n.wnid, "name": name} for n, name in zip(path, names, strict=True)],
    }


def search_hit_data(hit: SearchHit) -> dict[str, Any]:
    record = hit.record
    return {
        "wnid": record.wnid,
        "index": record.index,
        "name": record.name,
        "display_name": record.display_name,
        "group": record.group,
        "path": PATH_SEPARATOR.join(record.path),
        "path_nodes": [
            {"wnid": wnid, "name": name}
            for wnid, name in zip(record.path_wnids, record.path, strict=True)
        ],
        "lemmas": list(record.lemmas),
        "gloss": record.gloss,
        "match": {
            "tier": hit.tier_name,
            "kind": hit.match_kind,
            "text": hit.matched,
            "field": hit.field,
            "words": list(hit.words),
            "gloss_words": list(hit.gloss_words),
        },
    }


# --- schema documentation only ---------------------------------------------------------------


class NodeRefSerializer(serializers.Serializer):
    wnid = serializers.CharField()
    name = serializers.CharField()


class NodeSummarySerializer(serializers.Serializer):
    wnid = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    class_count = serializers.IntegerField(help_text="ImageNet classes at or below the node")
    is_class = serializers.BooleanField()
    child_count = serializers.IntegerField()


class ChildSerializer(NodeSummarySerializer):
    collapsed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="with ?collapse=1 only: wnids of the single-child nodes skipped to reach it",
    )


class NodeDetailSerializer(NodeSummarySerializer):
    index = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField()
    lemmas = serializers.ListField(child=serializers.CharField())
    gloss = serializers.CharField()


class RootSerializer(NodeDetailSerializer):
    children = ChildSerializer(many=True)


class RootsSerializer(serializers.Serializer):
    roots = RootSerializer(many=True)


class ChildrenSerializer(serializers.Serializer):
    node = NodeDetailSerializer()
    children = ChildSerializer(many=True)


class PathsSerializer(serializers.Serializer):
    paths = serializers.ListField(child=NodeRefSerializer(many=True))


class ClassDetailSerializer(ClassSerializer):
    path = serializers.CharField()
    path_nodes = NodeRefSerializer(many=True)
    wikipedia = serializers.ListField(child=serializers.URLField())
    paths = serializers.ListField(child=NodeRefSerializer(many=True))
    parents = NodeRefSerializer(many=True)

    class Meta(ClassSerializer.Meta):
        fields = [
            *ClassSerializer.Meta.fields,
            *("path", "path_nodes", "wikipedia", "paths", "parents"),
        ]


class MatchSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(
        choices=list(TIER_NAMES.values()),
        help_text="exact, prefix, word prefix and substring are names as typed, in that order; "
        "then the rest by score: partial (some typed words found), typo (every word found, some "
        "with typos) and gloss (only the gloss matched)",
    )
    kind = serializers.ChoiceField(choices=["name", "synonym", "wnid", "index", "gloss", "typo"])
    text = serializers.CharField(help_text="the name, synonym, wnid, index or gloss that matched")
    field = serializers.ChoiceField(
        choices=["name", "synonym", "wnid", "index", "gloss"], help_text="what `text` is"
    )
    words = serializers.ListField(
        child=serializers.CharField(),
        help_text="the words of `text` the query matched (lower case, accents removed)",
    )
    gloss_words = serializers.ListField(
        child=serializers.CharField(),
        help_text="words of the class's gloss that matched typed words the name lacks",
    )


class SearchResultSerializer(ClassSerializer):
    path = serializers.CharField(help_text="e.g. dog \u203a terrier \u203a Norfolk terrier")
    path_nodes = NodeRefSerializer(many=True)
    match = MatchSerializer()

    class Meta(ClassSerializer.Meta):
        fields = [*ClassSerializer.Meta.fields, "path", "path_nodes", "match"]


class SearchResultsSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)
