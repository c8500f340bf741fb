"""Reads of the class tree."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from labeling.taxonomy.models import ClassGroup, Hypernymy, Synset, SynsetClosure


def synset_get(*, wnid: str) -> Synset:
    """The synset with this wnid; raises Synset.DoesNotExist."""
    return Synset.objects.get(wnid=wnid)


def classes_all() -> QuerySet[Synset]:
    """The 1000 ImageNet classes in index order."""
    return Synset.objects.filter(class_index__isnull=False).order_by("class_index")


def classes_by_wnid() -> dict[str, Synset]:
    """The 1000 classes by wnid: what an import resolves its wnids with, loaded once per batch."""
    return {synset.wnid: synset for synset in Synset.objects.filter(class_index__isnull=False)}


def classes_under(*, wnid: str) -> QuerySet[Synset]:
    """Classes at or below the node, in index order: one indexed query on the closure."""
    return classes_all().filter(ancestor_rows__ancestor__wnid=wnid)


def synset_ancestors(*, wnid: str) -> QuerySet[Synset]:
    """Every ancestor of the node (not the node itself), nearest first."""
    return Synset.objects.filter(
        descendant_rows__descendant__wnid=wnid, descendant_rows__distance__gt=0
    ).order_by("descendant_rows__distance", "wnid")


def synset_parents(*, wnid: str) -> QuerySet[Synset]:
    return Synset.objects.filter(child_links__child__wnid=wnid).order_by("wnid")


def synset_children(*, wnid: str) -> QuerySet[Synset]:
    return Synset.objects.filter(parent_links__parent__wnid=wnid).order_by("name", "wnid")


def class_groups_counts() -> dict[str, int]:
    """Classes per stored group (exclusive: "organism" excludes the dogs)."""
    counts = dict(
        Synset.objects.filter(class_index__isnull=False)
        .values_list("group")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {group.value: counts.get(group.value, 0) for group in ClassGroup}


def taxonomy_counts() -> dict[str, int]:
    """Sizes of the loaded tree."""
    multi_parent = (
        Hypernymy.objects.values("child").annotate(n=Count("id")).filter(n__gt=1).order_by()
    )
    return {
        "synsets": Synset.objects.count(),
        "classes": Synset.objects.filter(class_index__isnull=False).count(),
        "edges": Hypernymy.objects.count(),
        "closure_rows": SynsetClosure.objects.count(),
        "multi_parent": multi_parent.count(),
    }


# Study groups as the API filters them. Stored groups are exclusive; the study's "organism" count
# (410) includes the dogs.
CLASS_GROUP_MEMBERS: dict[str, tuple[str, ...]] = {
    "dog": (ClassGroup.DOG.value,),
    "organism": (ClassGroup.DOG.value, ClassGroup.ORGANISM.value),
    "object": (ClassGroup.OBJECT.value,),
}


def classes_in_group(*, group: str | None = None) -> QuerySet[Synset]:
    """The classes of a study group (see CLASS_GROUP_MEMBERS) in index order; all for None.

    Raises KeyError for an unknown group.
    """
    classes = classes_all()
    if group is not None:
        classes = classes.filter(group__in=CLASS_GROUP_MEMBERS[group])
    return classes
