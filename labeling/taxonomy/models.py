"""The WordNet is-a graph restricted to the 1000 ImageNet classes and all their ancestors."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from labeling.taxonomy.text import WNID_PATTERN

DOG_WNID = "n02084071"  # dog.n.01
ORGANISM_WNID = "n00004475"  # organism.n.01


class ClassGroup(models.TextChoices):
    DOG = "dog", "dog"
    ORGANISM = "organism", "organism (not a dog)"
    OBJECT = "object", "object"


class SynsetQuerySet(models.QuerySet["Synset"]):
    def classes(self) -> SynsetQuerySet:
        """The ImageNet classes among these synsets (those with a class index)."""
        return self.filter(class_index__isnull=False)


class Synset(models.Model):
    """A WordNet noun synset: an ImageNet class when `class_index` is set, else an ancestor."""

    wnid = models.CharField(max_length=9, unique=True, help_text="n + 8-digit WordNet 3.0 offset")
    nltk_name = models.CharField(max_length=120, help_text="e.g. dog.n.01")
    name = models.CharField(max_length=200, help_text="first lemma, with spaces")
    display_name = models.CharField(
        max_length=300, help_text="name, disambiguated where two classes share it"
    )
    lemmas = models.JSONField(default=list)
    gloss = models.TextField(blank=True)
    class_index = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    group = models.CharField(max_length=10, choices=ClassGroup.choices, blank=True)
    depth = models.PositiveSmallIntegerField(default=0, help_text="shortest distance to the root")
    class_count = models.PositiveSmallIntegerField(
        default=0, help_text="number of ImageNet classes at or below this node"
    )
    # Lower-cased, accent-free text of names, lemmas and wnid, for search.
    search_text = models.TextField(blank=True)

    objects = SynsetQuerySet.as_manager()

    class Meta:
        ordering = ["class_index", "wnid"]
        constraints = [
            models.CheckConstraint(
                condition=Q(wnid__regex=WNID_PATTERN), name="synset_wnid_format"
            ),
            models.CheckConstraint(
                condition=Q(class_index__isnull=True) | Q(class_index__lte=999),
                name="synset_class_index_range",
            ),
            # A class has a group, an ancestor node has none.
            models.CheckConstraint(
                condition=(Q(class_index__isnull=True) & Q(group=""))
                | (Q(class_index__isnull=False) & Q(group__in=ClassGroup.values)),
                name="synset_group_iff_class",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="synset_name_nonempty"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.wnid})"

    @property
    def is_class(self) -> bool:
        return self.class_index is not None


class Hypernymy(models.Model):
    """An edge of the is-a DAG: `child` is a kind of `parent`."""

    child = models.ForeignKey(Synset, on_delete=models.CASCADE, related_name="parent_links")
    parent = models.ForeignKey(Synset, on_delete=models.CASCADE, related_name="child_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="hypernymy_unique"),
            models.CheckConstraint(
                condition=~Q(child=models.F("parent")), name="hypernymy_no_loop"
            ),
        ]
        indexes = [models.Index(fields=["parent", "child"], name="hypernymy_parent_idx")]

    def __str__(self) -> str:
        return f"{self.child.wnid} is a {self.parent.wnid}"


class SynsetClosure(models.Model):
    """Transitive closure of the DAG, with the node itself at distance 0.

    "All classes under terrier" is one indexed query: ancestor=terrier, descendant is a class.
    """

    descendant = models.ForeignKey(Synset, on_delete=models.CASCADE, related_name="ancestor_rows")
    ancestor = models.ForeignKey(Synset, on_delete=models.CASCADE, related_name="descendant_rows")
    distance = models.PositiveSmallIntegerField(help_text="shortest number of is-a steps")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["descendant", "ancestor"], name="closure_unique"),
            models.CheckConstraint(
                condition=Q(distance=0, descendant=models.F("ancestor"))
                | (Q(distance__gt=0) & ~Q(descendant=models.F("ancestor"))),
                name="closure_distance_consistent",
            ),
        ]
        indexes = [models.Index(fields=["ancestor", "descendant"], name="closure_ancestor_idx")]

    def __str__(self) -> str:
        return f"{self.descendant_id} under {self.ancestor_id} at {self.distance}"
