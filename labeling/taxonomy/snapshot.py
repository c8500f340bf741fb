"""The class tree held in process memory: the search index and the graph reads the API serves hot.

The whole taxonomy is small (1860 nodes, 1937 edges), so one snapshot of it is built from two
queries and kept per process. `class_search_index()` and `taxonomy_snapshot()` return the cached
snapshot's parts; they check a cheap fingerprint of the tables at most every `CHECK_SECONDS` and
rebuild when it changed (a `load_taxonomy` run in another process included). Once warm, a request
costs no query, or one (the fingerprint) every few seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from labeling.taxonomy.models import Hypernymy, Synset
from labeling.taxonomy.search import ClassRecord, ClassSearchIndex

CHECK_SECONDS = 5.0  # how stale a snapshot may get before the fingerprint is checked again
# An ancestor names the region of the tree in a short path when it holds at least this many
# classes, this many times as many as the class's parent, and is at least this deep.
HUB_MIN_CLASSES = 10
HUB_FACTOR = 3
HUB_MIN_DEPTH = 3
HUB_MAX_CLASSES = 500
PATH_SEPARATOR = " \u203a "  # a single right-pointing angle quotation mark
MAX_PATHS = 1000  # a guard only: the most root paths of any node in the ImageNet DAG is far below


@dataclass(frozen=True)
class TaxonomyNode:
    id: int
    wnid: str
    name: str
    display_name: str
    lemmas: tuple[str, ...]
    gloss: str
    class_index: int | None
    group: str
    depth: int
    class_count: int
    parents: tuple[str, ...]  # wnids, sorted
    children: tuple[str, ...]  # wnids, sorted by (name, wnid) as the API lists them

    @property
    def is_class(self) -> bool:
        return self.class_index is not None


@dataclass(frozen=True)
class CollapsedChild:
    """A child as the collapsed tree shows it: the end of its single-child chain."""

    node: TaxonomyNode
    collapsed: tuple[str, ...]  # wnids of the skipped nodes, top first; empty if none


class TaxonomySnapshot:
    """The DAG as plain Python objects. Read-only once built."""

    def __init__(self, nodes: dict[str, TaxonomyNode]):
        self.nodes = nodes
        self.roots: tuple[str, ...] = tuple(
            sorted((w for w, n in nodes.items() if not n.parents), key=self._name_order)
        )

    def _name_order(self, wnid: str) -> tuple[str, str]:
        return (self.nodes[wnid].name.lower(), wnid)

    def get(self, wnid: str) -> TaxonomyNode | None:
        return self.nodes.get(wnid)

    def primary_path(self, wnid: str) -> list[TaxonomyNode]:
        """The node's primary path, root first: from the node, repeatedly step to the parent nearest
        the root (smallest depth), ties broken by the smaller wnid. This is a shortest path."""
        node = self.nodes[wnid]
        path = [node]
        while node.parents:
            node = min((self.nodes[p] for p in node.parents), key=lambda n: (n.depth, n.wnid))
            path.append(node)
        path.reverse()
        return path

    def short_path(self, wnid: str) -> list[TaxonomyNode]:
        """Where a class sits, in at most three names, e.g. [dog, terrier, Norfolk terrier].

        Rule: along the primary path (see `primary_path`), take the parent, and before it the
        nearest ancestor above the parent that holds markedly more classes — at least
        `HUB_MIN_CLASSES` and `HUB_FACTOR` times the parent's — and is specific enough to say
        something (depth >= `HUB_MIN_DEPTH`: not "entity", "physical entity" or "object") yet is
        no catch-all holding half the tree (at most `HUB_MAX_CLASSES`: not "whole"); then the node
        itself. No such ancestor: [parent, node]. This gives
        [food, bun, bagel] and [bird, wading bird, crane] rather than a hub that names nothing.
        """
        path = self.primary_path(wnid)
        if len(path) == 1:
            return path
        node, parent, above = path[-1], path[-2], path[:-2]
        need = max(HUB_MIN_CLASSES, HUB_FACTOR * parent.class_count)
        hub = next(
            (
                n
                for n in reversed(above)
                if need <= n.class_count <= HUB_MAX_CLASSES and n.depth >= HUB_MIN_DEPTH
            ),
            None,
        )
        return [parent, node] if hub is None else [hub, parent, node]

    def paths(self, wnid: str) -> list[list[TaxonomyNode]]:
        """Every root-to-node path (a DAG node below a multi-parent node has several), shortest
        first, then by the wnids along them."""
        found: list[list[str]] = []

        def walk(current: str, below: list[str]) -> None:
            if len(found) >= MAX_PATHS:
                return
            node = self.nodes[current]
            if not node.parents:
                found.append([current, *below])
            for parent in node.parents:
                walk(parent, [current, *below])

        walk(wnid, [])
        found.sort(key=lambda path: (len(path), path))
        return [[self.nodes[w] for w in path] for path in found]

    def children(self, wnid: str, *, collapse: bool = False) -> list[CollapsedChild]:
        """The node's children by name. With `collapse`, a child that is not a class and has exactly
        one child is replaced by the end of that single-child chain. Two chains can end at the
        same node (athlete and player both lead only to ballplayer): it is listed once, with the
        nodes skipped on every chain."""
        items = [CollapsedChild(self.nodes[c], ()) for c in self.nodes[wnid].children]
        if not collapse:
            return items
        skipped_to: dict[str, list[str]] = {}
        for item in items:
            node, skipped = item.node, []
            while not node.is_class and len(node.children) == 1:
                skipped.append(node.wnid)
                node = self.nodes[node.children[0]]
            merged = skipped_to.setdefault(node.wnid, [])
            for wnid_skipped in skipped:
                if wnid_skipped not in merged:
                    merged.append(wnid_skipped)
        ends = sorted(skipped_to, key=self._name_order)
        return [CollapsedChild(self.nodes[end], tuple(skipped_to[end])) for end in ends]

    def class_records(self) -> Iterator[ClassRecord]:
        for node in self.nodes.values():
            if node.class_index is not None:  # a class (node.is_class, spelled for the types)
                path = self.short_path(node.wnid)
                yield ClassRecord(
                    wnid=node.wnid,
                    index=node.class_index,
                    name=node.name,
                    display_name=node.display_name,
                    lemmas=node.lemmas,
                    gloss=node.gloss,
                    group=node.group,
                    path=short_path_names(path),
                    path_wnids=tuple(n.wnid for n in path),
                )

    @cached_property
    def search_index(self) -> ClassSearchIndex:
        # Built on first use: the tree endpoints do not pay for it.
        return ClassSearchIndex(self.class_records())


def short_path_names(path: list[TaxonomyNode]) -> tuple[str, ...]:
    """The texts of a short path: ancestors by plain name (a hint of where the class sits), the
    class by its display name, which tells crane the bird from crane the machine."""
    return (*(node.name for node in path[:-1]), path[-1].display_name)


_NODE_FIELDS = (
    "id",
    "wnid",
    "name",
    "display_name",
    "lemmas",
    "gloss",
    "class_index",
    "group",
    "depth",
    "class_count",
)


def taxonomy_snapshot_build() -> TaxonomySnapshot:
    """Two queries: every synset, every edge."""
    rows = list(Synset.objects.order_by().values(*_NODE_FIELDS))
    wnid_of = {row["id"]: row["wnid"] for row in rows}
    edges = Hypernymy.objects.order_by().values_list("child_id", "parent_id")
    # A load committing between the two queries can add edges to synsets not read yet: skip them
    # (the fingerprint, read before, then differs and the next check rebuilds).
    return taxonomy_snapshot_from_rows(
        rows=rows,
        edges=[
            (wnid_of[child], wnid_of[parent])
            for child, parent in edges
            if child in wnid_of and parent in wnid_of
        ],
    )


def taxonomy_snapshot_from_rows(
    *, rows: Iterable[dict[str, Any]], edges: Iterable[tuple[str, str]]
) -> TaxonomySnapshot:
    """The snapshot of synset rows (the `_NODE_FIELDS` of each) and (child, parent) wnid pairs."""
    rows = list(rows)
    name_order = {row["wnid"]: (row["name"].lower(), row["wnid"]) for row in rows}
    parents: dict[str, list[str]] = {wnid: [] for wnid in name_order}
    children: dict[str, list[str]] = {wnid: [] for wnid in name_order}
    for child, parent in edges:
        parents[child].append(parent)
        children[parent].append(child)
    nodes = {
        row["wnid"]: TaxonomyNode(
            **{field: row[field] for field in _NODE_FIELDS if field != "lemmas"},
            lemmas=tuple(row["lemmas"]),
            parents=tuple(sorted(parents[row["wnid"]])),
            children=tuple(sorted(children[row["wnid"]], key=name_order.__getitem__)),
        )
        for row in rows
    }
    return TaxonomySnapshot(nodes)


def taxonomy_fingerprint() -> tuple:
    """One cheap query that changes whenever `taxonomy_load` changed anything: row counts and top
    ids (rows added or removed), text lengths (names and glosses edited in place) and an
    id-weighted sum of class indexes (indexes moved)."""
    quote = connection.ops.quote_name
    synsets, edges = quote(Synset._meta.db_table), quote(Hypernymy._meta.db_table)
    sql = (
        "SELECT COUNT(*), MAX(id),"
        " SUM(LENGTH(name) + LENGTH(display_name) + LENGTH(gloss) + LENGTH(search_text)),"
        " SUM(id * (COALESCE(class_index, -1) + 2)),"
        f" (SELECT COUNT(*) FROM {edges}), (SELECT MAX(id) FROM {edges})"
        f" FROM {synsets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return (connection.alias, connection.settings_dict["NAME"], *cursor.fetchone())


class _Cache:
    lock = threading.Lock()
    snapshot: TaxonomySnapshot | None = None
    fingerprint: tuple | None = None
    checked_at = float("-inf")


def taxonomy_snapshot() -> TaxonomySnapshot:
    """The cached snapshot of the class tree, rebuilt when the tables changed (checked at most
    every CHECK_SECONDS)."""
    now = time.monotonic()
    snapshot = _Cache.snapshot
    if snapshot is not None and now - _Cache.checked_at < CHECK_SECONDS:
        return snapshot
    with _Cache.lock:  # one thread rebuilds; the others wait and take its result
        if _Cache.snapshot is not None and now - _Cache.checked_at < CHECK_SECONDS:
            return _Cache.snapshot
        fingerprint = taxonomy_fingerprint()
        if _Cache.snapshot is None or fingerprint != _Cache.fingerprint:
            _Cache.snapshot = taxonomy_snapshot_build()
            _Cache.fingerprint = fingerprint
        _Cache.checked_at = time.monotonic()
        return _Cache.snapshot


def class_search_index() -> ClassSearchIndex:
    """The ranked class search over the loaded taxonomy, cached in process memory."""
    return taxonomy_snapshot().search_index


def taxonomy_snapshot_clear() -> None:
    """Forget the cached snapshot; the next read rebuilds it (tests, or right after a load)."""
    with _Cache.lock:
        _Cache.snapshot = None
        _Cache.fingerprint = None
        _Cache.checked_at = float("-inf")


def wikipedia_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "imagenet_wikipedia.json"


@cache
def class_wikipedia_urls() -> dict[str, list[str]]:
    """Wikipedia articles per class wnid (from ImageNetV2's class metadata), read once."""
    with open(wikipedia_path(), encoding="utf-8") as handle:
        links = json.load(handle)["wikipedia"]
    # Only ever link out over https: the page renders these as plain <a href>.
    return {
        wnid: [url for url in urls if isinstance(url, str) and url.startswith("https://")]
        for wnid, urls in links.items()
    }
