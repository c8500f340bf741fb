"""The ImageNet classes and the WordNet tree above them, for every role.

Search and the tree (children, paths) answer from the process's cached snapshot of the taxonomy
(labeling.taxonomy.snapshot): no query once warm. A single class is looked up in the database
like everywhere else (class_get_or_404), then described from the snapshot. Class lists are
paginated queries on the database.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import NO_SUCH_PAGE, error_responses
from api.taxonomy import serializers as s
from labeling.accounts.permissions import HasAnyRole
from labeling.taxonomy.models import Synset
from labeling.taxonomy.selectors import (
    class_get_or_404,
    classes_in_group,
    classes_under,
)
from labeling.taxonomy.snapshot import (
    TaxonomyNode,
    TaxonomySnapshot,
    class_search_index,
    class_wikipedia_urls,
    taxonomy_snapshot,
    taxonomy_snapshot_clear,
)

ROLE_PERMISSIONS = [IsAuthenticated, HasAnyRole]


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The validated query parameters; a 400 naming the bad ones otherwise."""
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _node_or_404(snapshot: TaxonomySnapshot, wnid: str) -> TaxonomyNode:
    node = snapshot.get(wnid)
    if node is None:
        raise exceptions.NotFound(f"No synset {wnid} in the taxonomy.")
    return node


class ClassSearchView(APIView):
    """Classes ranked by how well their name, a synonym, wnid, index or gloss matches `q`, each
    saying what matched (`match`)."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(
        parameters=[s.SearchQuery],
        responses={200: s.SearchResultsSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        params = _query(s.SearchQuery, request)
        hits = class_search_index().search(params["q"], params["limit"])
        return Response({"results": [s.search_hit_data(hit) for hit in hits]})


class ClassListView(generics.ListAPIView):
    """The ImageNet classes in index order, optionally of one study group."""

    permission_classes = ROLE_PERMISSIONS
    serializer_class = s.ClassSerializer

    @extend_schema(
        parameters=[s.ClassListQuery],
        responses={
            200: s.ClassSerializer(many=True),
            **error_responses(400, 401, 403),
            **NO_SUCH_PAGE,
        },
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Synset]:
        return classes_in_group(group=_query(s.ClassListQuery, self.request).get("group") or None)


class ClassDetailView(APIView):
    """One class: its fields, Wikipedia articles, every path from the root, and its parents."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(responses={200: s.ClassDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request: Request, wnid: str) -> Response:
        class_get_or_404(wnid=wnid)
        snapshot = taxonomy_snapshot()
        if wnid not in snapshot.nodes:  # loaded in the last few seconds: catch up now
            taxonomy_snapshot_clear()
            snapshot = taxonomy_snapshot()
        node = snapshot.nodes[wnid]
        return Response(
            {
                **s.class_item(node),
                **s.short_path_data(snapshot.short_path(wnid)),
                "wikipedia": class_wikipedia_urls().get(wnid, []),
                "paths": [[s.node_ref(n) for n in path] for path in snapshot.paths(wnid)],
                "parents": [s.node_ref(snapshot.nodes[p]) for p in node.parents],
            }
        )


class TaxonomyRootView(APIView):
    """The root of the tree (entity) with its children."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(
        parameters=[s.TreeQuery],
        responses={200: s.RootsSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        collapse = _query(s.TreeQuery, request)["collapse"]
        snapshot = taxonomy_snapshot()
        roots = []
        for wnid in snapshot.roots:
            children = snapshot.children(wnid, collapse=collapse)
            roots.append(
                {
                    **s.node_detail(snapshot.nodes[wnid]),
                    "children": [s.child_item(c, collapse=collapse) for c in children],
                }
            )
        return Response({"roots": roots})


class NodeChildrenView(APIView):
    """A node's children by name; `?collapse=1` skips chains of single-child nodes."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(
        parameters=[s.TreeQuery],
        responses={200: s.ChildrenSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, wnid: str) -> Response:
        collapse = _query(s.TreeQuery, request)["collapse"]
        snapshot = taxonomy_snapshot()
        node = _node_or_404(snapshot, wnid)
        children = snapshot.children(wnid, collapse=collapse)
        return Response(
            {
                "node": s.node_detail(node),
                "children": [s.child_item(c, collapse=collapse) for c in children],
            }
        )


class NodePathsView(APIView):
    """Every path from the root to the node, root first (a DAG node may have several)."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(responses={200: s.PathsSerializer, **error_responses(401, 403, 404)})
    def get(self, request: Request, wnid: str) -> Response:
        snapshot = taxonomy_snapshot()
        _node_or_404(snapshot, wnid)
        paths = [[s.node_ref(n) for n in path] for path in snapshot.paths(wnid)]
        return Response({"paths": paths})


class NodeClassesView(generics.ListAPIView):
    """Every ImageNet class at or below the node, in index order (one query on the closure)."""

    permission_classes = ROLE_PERMISSIONS
    serializer_class = s.ClassSerializer

    @extend_schema(
        responses={
            200: s.ClassSerializer(many=True),
            **NO_SUCH_PAGE,
            **error_responses(401, 403, 404),
        }
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Synset]:
        wnid = self.kwargs["wnid"]
        _node_or_404(taxonomy_snapshot(), wnid)
        return classes_under(wnid=wnid)
