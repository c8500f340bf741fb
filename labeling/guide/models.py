"""The labeling guide: per-class entries, notes on confusable classes, and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import IsNull

from labeling.taxonomy.models import Synset


class GuideEntry(models.Model):
    """What distinguishes one class, in Markdown. The text is the latest revision's."""

    # The rendered Markdown, set by the selectors and views that show the text (not stored).
    html: str

    synset = models.OneToOneField(Synset, on_delete=models.CASCADE, related_name="guide_entry")
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "guide entries"
        ordering = ["synset__class_index"]

    def __str__(self) -> str:
        return f"Guide: {self.synset.display_name}"


class DistinctionNote(models.Model):
    """How to tell two or more confusable classes apart ("Norwich vs Norfolk terrier: ears")."""

    # The rendered Markdown, set by the selectors and views that show the text (not stored).
    html: str

    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    synsets = models.ManyToManyField(Synset, related_name="distinction_notes")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="note_title_nonempty")]

    def __str__(self) -> str:
        return self.title


class GuideRevision(models.Model):
    """One saved version of an entry or a note: who wrote what, when."""

    # The rendered Markdown, set by the selectors and views that show the text (not stored).
    html: str

    entry = models.ForeignKey(
        GuideEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    note = models.ForeignKey(
        DistinctionNote, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(help_text="1 for the first version, then 2, 3, …")
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(entry__isnull=False) & Q(note__isnull=True))
                | (Q(entry__isnull=True) & Q(note__isnull=False)),
                name="revision_of_entry_xor_note",
            ),
            models.UniqueConstraint(
                fields=["entry", "number"],
                condition=Q(entry__isnull=False),
                name="revision_unique_entry_number",
            ),
            models.UniqueConstraint(
                fields=["note", "number"],
                condition=Q(note__isnull=False),
                name="revision_unique_note_number",
            ),
        ]

    def __str__(self) -> str:
        target = self.entry or self.note
        return f"{target} v{self.number}"


class GuideFreeze(models.Model):
    """The guide as it stood when an admin froze it for an evaluation round.

    While a freeze is active (not released) nobody can change the guide, so every labeler of the
    round works with the same text. The snapshot keeps the frozen texts and revision numbers for
    good, whatever happens to the guide after the release.
    """

    name = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="freeze_name_nonempty"),
            # At most one active freeze: every active row has the same value of the expression,
            # so a second one violates the partial unique index (NULLs alone would not collide).
            models.UniqueConstraint(
                IsNull(F("released_at"), True),
                condition=Q(released_at__isnull=True),
                name="freeze_one_active",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.released_at is None
