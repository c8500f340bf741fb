"""Reads behind the class pages: paths from the root, simple search, names typed by a person.

The ranked, typo-tolerant search is labeling.taxonomy.search (the API's); the pages only need a
plain substring filter that works without the in-memory index.
"""

from __future__ import annotations

from urllib.parse import unquote

from django.db.models import Q, QuerySet

from labeling.taxonomy.models import ClassGroup, Synset
from labeling.taxonomy.selectors import CLASS_GROUP_MEMBERS, class_groups_counts, classes_all
from labeling.taxonomy.snapshot import (
    TaxonomyNode,
    class_wikipedia_urls,
    taxonomy_snapshot,
)
from labeling.taxonomy.text import WNID_RE, fold

SEARCH_LIMIT = 100  # the search API allows as many
# WordNet gives an ImageNet class at most five paths from the root; the cap only guards the page
# against a pathological tree.
GROUP_LABELS = {
    "dog": "Dogs",
    "organism": "Organisms (dogs included)",
    "object": "Objects",
}


def class_get(*, wnid: str) -> Synset | None:
    """The ImageNet class with this wnid, or None (also for an ancestor node)."""
    return Synset.objects.filter(wnid=wnid, class_index__isnull=False).first()


def node_get(*, wnid: str) -> Synset | None:
    return Synset.objects.filter(wnid=wnid).first()


def taxonomy_root() -> Synset | None:
    return Synset.objects.filter(depth=0, parent_links__isnull=True).order_by("wnid").first()


def synset_paths(*, synset: Synset) -> list[list[TaxonomyNode]]:
    """Every path from the root down to the synset (root first), shortest first.

    The tree is a DAG: dog.n.01 is both a canine and a domestic animal, so a Chihuahua has two
    paths. Served from the in-memory taxonomy snapshot the API uses, without a query.
    """
    return taxonomy_snapshot().paths(synset.wnid)


def node_children(*, synset: Synset) -> QuerySet[Synset]:
    """Direct children, most classes first, each with its `class_count`."""
    return Synset.objects.filter(parent_links__parent=synset).order_by("-class_count", "name")


def classes_below(*, synset: Synset) -> QuerySet[Synset]:
    """Classes at or below the node, in index order."""
    return classes_all().filter(ancestor_rows__ancestor=synset)


def class_groups() -> list[dict]:
    """The study's three groups (organisms include the dogs) with their class counts."""
    stored = class_groups_counts()
    return [
        {
            "slug": slug,
            "label": GROUP_LABELS[slug],
            "count": sum(stored[member] for member in members),
        }
        for slug, members in CLASS_GROUP_MEMBERS.items()
    ]


def group_label(group: str) -> str:
    """The label of a stored group (a class's own), e.g. "organism (not a dog)"."""
    return ClassGroup(group).label if group in ClassGroup.values else group


def classes_matching_name(*, text: str) -> list[Synset]:
    """Classes a person meant by typing a wnid or an exact name or synonym ("Norwich terrier",
    "crane" gives both cranes). Empty if nothing matches exactly."""
    text = text.strip()
    if WNID_RE.match(text.lower()):
        synset = class_get(wnid=text.lower())
        return [synset] if synset is not None else []
    folded = fold(text)
    if not folded:
        return []
    candidates = classes_all().filter(
        Q(search_text__icontains=folded) | Q(display_name__iexact=text)
    )
    return [
        synset
        for synset in candidates
        if folded in synset.search_text.split(" | ") or synset.display_name.lower() == text.lower()
    ]


def class_wikipedia_links(*, wnid: str) -> list[dict[str, str]]:
    """The articles as links: {"url", "title"}, the title read from the URL ("Norfolk Terrier")."""
    return [
        {"url": url, "title": unquote(url.rsplit("/wiki/", 1)[-1]).replace("_", " ") or url}
        for url in class_wikipedia_urls().get(wnid, [])
    ]
