"""Reads of the class tree: single classes and nodes, class lists, paths, groups, names.

A class is looked up by wnid here only (`class_get`, `class_get_or_404`, `classes_by_wnid`);
"is an ImageNet class" is `Synset.objects.classes()`. The ranked, typo-tolerant search is
labeling.taxonomy.search over the in-memory tree of labeling.taxonomy.snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote

from django.db.models import Count, QuerySet
from django.http import Http404

from labeling.taxonomy.models import ClassGroup, Hypernymy, Synset, SynsetClosure
from labeling.taxonomy.snapshot import TaxonomyNode, class_wikipedia_urls, taxonomy_snapshot

# Study groups as the API filters them. Stored groups are exclusive; the study's "organism" count
# (410) includes the dogs.
CLASS_GROUP_MEMBERS: dict[str, tuple[str, ...]] = {
    "dog": (ClassGroup.DOG.value,),
    "organism": (ClassGroup.DOG.value, ClassGroup.ORGANISM.value),
    "object": (ClassGroup.OBJECT.value,),
}
GROUP_LABELS = {
    "dog": "Dogs",
    "organism": "Organisms (dogs included)",
    "object": "Objects",
}


# --- One synset or class ----------------------------------------------------------------------


def synset_get(*, wnid: str) -> Synset | None:
    """The synset with this wnid (a class or an ancestor node), or None."""
    return Synset.objects.filter(wnid=wnid).first()


def class_get(*, wnid: str) -> Synset | None:
    """The ImageNet class with this wnid, or None (also for an ancestor node)."""
    return Synset.objects.classes().filter(wnid=wnid).first()


def class_get_or_404(*, wnid: str) -> Synset:
    """The ImageNet class with this wnid; Http404 for anything else, an ancestor node included
    (the API answers it as a JSON 404)."""
    synset = class_get(wnid=wnid)
    if synset is None:
        raise Http404(f"No ImageNet class {wnid}.")
    return synset


def taxonomy_root() -> Synset | None:
    return Synset.objects.filter(depth=0, parent_links__isnull=True).order_by("wnid").first()


# --- Lists of classes -------------------------------------------------------------------------


def classes_all() -> QuerySet[Synset]:
    """The 1000 ImageNet classes in index order."""
    return Synset.objects.classes().order_by("class_index")


def classes_by_wnid(*, wnids: Iterable[str] | None = None) -> dict[str, Synset]:
    """The classes by wnid: all 1000 (what an import resolves its wnids with, loaded once per
    batch), or those of `wnids` that are classes."""
    classes = Synset.objects.classes()
    if wnids is not None:
        classes = classes.filter(wnid__in=list(wnids))
    return {synset.wnid: synset for synset in classes}


def classes_under(*, wnid: str) -> QuerySet[Synset]:
    """Classes at or below the node, in index order: one indexed query on the closure."""
    return classes_all().filter(ancestor_rows__ancestor__wnid=wnid)


def classes_in_group(*, group: str | None = None) -> QuerySet[Synset]:
    """The classes of a study group (see CLASS_GROUP_MEMBERS) in index order; all for None.

    Raises KeyError for an unknown group.
    """
    classes = classes_all()
    if group is not None:
        classes = classes.filter(group__in=CLASS_GROUP_MEMBERS[group])
    return classes


# --- The tree around a node -------------------------------------------------------------------


def synset_ancestors(*, wnid: str) -> QuerySet[Synset]:
    """Every ancestor of the node (not the node itself), nearest first."""
    return Synset.objects.filter(
        descendant_rows__descendant__wnid=wnid, descendant_rows__distance__gt=0
    ).order_by("descendant_rows__distance", "wnid")


def synset_parents(*, wnid: str) -> QuerySet[Synset]:
    return Synset.objects.filter(child_links__child__wnid=wnid).order_by("wnid")


def synset_paths(*, synset: Synset) -> list[list[TaxonomyNode]]:
    """Every path from the root down to the synset (root first), shortest first.

    The tree is a DAG: dog.n.01 is both a canine and a domestic animal, so a Chihuahua has two
    paths. Served from the in-memory taxonomy snapshot the API uses, without a query.
    """
    return taxonomy_snapshot().paths(synset.wnid)


def node_children(*, synset: Synset) -> QuerySet[Synset]:
    """Direct children, most classes first, each with its `class_count`."""
    return Synset.objects.filter(parent_links__parent=synset).order_by("-class_count", "name")


# --- Groups, counts and links -----------------------------------------------------------------


def class_groups_counts() -> dict[str, int]:
    """Classes per stored group (exclusive: "organism" excludes the dogs)."""
    counts = dict(Synset.objects.classes().values_list("group").annotate(n=Count("id")).order_by())
    return {group.value: counts.get(group.value, 0) for group in ClassGroup}


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


def taxonomy_counts() -> dict[str, int]:
    """Sizes of the loaded tree."""
    multi_parent = (
        Hypernymy.objects.values("child").annotate(n=Count("id")).filter(n__gt=1).order_by()
    )
    return {
        "synsets": Synset.objects.count(),
        "classes": Synset.objects.classes().count(),
        "edges": Hypernymy.objects.count(),
        "closure_rows": SynsetClosure.objects.count(),
        "multi_parent": multi_parent.count(),
    }


def class_wikipedia_links(*, wnid: str) -> list[dict[str, str]]:
    """The articles as links: {"url", "title"}, the title read from the URL ("Norfolk Terrier")."""
    return [
        {"url": url, "title": unquote(url.rsplit("/wiki/", 1)[-1]).replace("_", " ") or url}
        for url in class_wikipedia_urls().get(wnid, [])
    ]
