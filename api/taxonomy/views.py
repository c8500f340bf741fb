"""The ImageNet classes and the WordNet tree above them, for every role.

Search and the tree (children, paths) answer from the process's cached snapshot of the taxonomy
(labeling.taxonomy.snapshot): no query once warm. A single class is looked up in the database
like everywhere else (class_get_or_404), then described from the snapshot. Class lists are
paginated queries on the database.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.taxonomy import serializers as s
from labeling.accounts.permissions import HasAnyRole
from labeling.taxonomy.selectors import (
    CLASS_GROUP_MEMBERS,
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

SEARCH_LIMIT_DEFAULT = 20
SEARCH_LIMIT_MAX = 100
SEARCH_QUERY_MAX = 200  # characters; longer input is not a class name
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off"}

ROLE_PERMISSIONS = [IsAuthenticated, HasAnyRole]
COLLAPSE_PARAMETER = OpenApiParameter(
    "collapse",
    OpenApiTypes.BOOL,
    description="replace a non-class child with a single child by the end of its chain",
)


class InvalidParameter(exceptions.APIException):
    status_code = 400
    default_detail = "Invalid query parameter."
    default_code = "invalid"


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise InvalidParameter(f"{name} must be 1 or 0, not {value!r}")


def _node_or_404(snapshot: TaxonomySnapshot, wnid: str) -> TaxonomyNode:
    node = snapshot.get(wnid)
    if node is None:
        raise exceptions.NotFound(f"No synset {wnid} in the taxonomy.")
    return node


class ClassSearchView(APIView):
    """Classes ranked by how well their name, a synonym, wnid, index or gloss matches `q`."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="what to look for"),
            OpenApiParameter(
                "limit",
                int,
                description=f"{SEARCH_LIMIT_DEFAULT} by default, {SEARCH_LIMIT_MAX} at most",
            ),
        ],
        responses=s.SearchResultsSerializer,
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        if not query:
            raise InvalidParameter("q is required: the text to search for")
        if len(query) > SEARCH_QUERY_MAX:
            raise InvalidParameter(f"q may have at most {SEARCH_QUERY_MAX} characters")
        raw_limit = request.query_params.get("limit", "").strip() or str(SEARCH_LIMIT_DEFAULT)
        if (
            not (raw_limit.isascii() and raw_limit.isdigit())
            or not 1 <= int(raw_limit) <= SEARCH_LIMIT_MAX
        ):
            raise InvalidParameter(f"limit must be a whole number from 1 to {SEARCH_LIMIT_MAX}")
        hits = class_search_index().search(query, int(raw_limit))
        return Response({"results": [s.search_hit_data(hit) for hit in hits]})


@extend_schema(
    parameters=[
        OpenApiParameter(
            "group",
            str,
            enum=list(CLASS_GROUP_MEMBERS),
            description="dog, organism (includes the dogs) or object; all classes without it",
        )
    ]
)
class ClassListView(generics.ListAPIView):
    """The ImageNet classes in index order, optionally of one study group."""

    permission_classes = ROLE_PERMISSIONS
    serializer_class = s.ClassSerializer

    def get_queryset(self):
        group = self.request.query_params.get("group", "").strip() or None
        if group is not None and group not in CLASS_GROUP_MEMBERS:
            raise InvalidParameter(f"group must be one of {', '.join(CLASS_GROUP_MEMBERS)}")
        return classes_in_group(group=group)


class ClassDetailView(APIView):
    """One class: its fields, Wikipedia articles, every path from the root, and its parents."""

    permission_classes = ROLE_PERMISSIONS

    @extend_schema(responses={200: s.ClassDetailSerializer, 404: OpenApiTypes.OBJECT})
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

    @extend_schema(parameters=[COLLAPSE_PARAMETER], responses=s.RootsSerializer)
    def get(self, request: Request) -> Response:
        collapse = _flag(request, "collapse")
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

    @extend_schema(parameters=[COLLAPSE_PARAMETER], responses=s.ChildrenSerializer)
    def get(self, request: Request, wnid: str) -> Response:
        collapse = _flag(request, "collapse")
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

    @extend_schema(responses=s.PathsSerializer)
    def get(self, request: Request, wnid: str) -> Response:
        snapshot = taxonomy_snapshot()
        _node_or_404(snapshot, wnid)
        paths = [[s.node_ref(n) for n in path] for path in snapshot.paths(wnid)]
        return Response({"paths": paths})


class NodeClassesView(generics.ListAPIView):
    """Every ImageNet class at or below the node, in index order (one query on the closure)."""

    permission_classes = ROLE_PERMISSIONS
    serializer_class = s.ClassSerializer

    def get_queryset(self):
        wnid = self.kwargs["wnid"]
        _node_or_404(taxonomy_snapshot(), wnid)
        return classes_under(wnid=wnid)
