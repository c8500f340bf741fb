"""Reads for the labeling guide."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Case, CharField, IntegerField, Max, Prefetch, Q, QuerySet, Value, When

from labeling.guide.documents import FORMAT
from labeling.guide.models import DistinctionNote, GuideEntry, GuideFreeze, GuideRevision
from labeling.guide.rendering import class_names_for, markdown_render
from labeling.taxonomy.models import Synset
from labeling.taxonomy.selectors import classes_all
from labeling.taxonomy.snapshot import class_search_index

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from labeling.taxonomy.search import SearchHit


def guide_entry_history(*, synset: Synset) -> QuerySet[GuideRevision]:
    """The revisions of the class's guide entry, newest first (empty if it has none)."""
    return (
        GuideRevision.objects.filter(entry__synset=synset)
        .select_related("author")
        .order_by("-number")
    )


def distinction_note_history(*, note: DistinctionNote) -> QuerySet[GuideRevision]:
    return GuideRevision.objects.filter(note=note).select_related("author").order_by("-number")


def distinction_notes_for_class(*, synset: Synset) -> QuerySet[DistinctionNote]:
    return (
        DistinctionNote.objects.filter(synsets=synset).prefetch_related("synsets").order_by("title")
    )


# --- Lists and details ----------------------------------------------------------------------

# A wnid or its start: `n01` lists the classes whose wnid begins so.
_WNID_PREFIX = re.compile(r"n\d{1,8}")
TEXT_MATCH = "the entry's text"  # what `matched` says of an entry found by its text alone


def guide_class_matches(*, search: str) -> dict[str, str | None]:
    """The classes a guide search finds, best first: wnid to the synonym it matched, where that
    is not the class's display name (None otherwise). The class part of the search is the
    class search (typos forgiven, synonyms, glosses); a wnid or its prefix lists those wnids."""
    query = search.strip()
    if not query:
        return {}
    if _WNID_PREFIX.fullmatch(query.lower()):
        wnids = classes_all().filter(wnid__startswith=query.lower()).values_list("wnid", flat=True)
        return dict.fromkeys(wnids)
    return {
        hit.record.wnid: _synonym_shown(hit)
        for hit in class_search_index().search(query, CLASS_SEARCH_LIMIT)
    }


CLASS_SEARCH_LIMIT = 1000  # every class: the guide's lists say how many they leave out


def _synonym_shown(hit: SearchHit) -> str | None:
    """The name a hit matched, when a reader would not see why from the display name alone."""
    if hit.match_kind in ("wnid", "index", "gloss"):
        return None
    if hit.matched.casefold() == hit.record.display_name.casefold():
        return None
    return hit.matched


def _ranked(matches: dict[str, str | None], *, prefix: str = "") -> dict[str, Case | Value]:
    """Annotations: `rank` (the class's place among the matches, after them if the class did
    not match) and `matched` (the synonym it matched, else None)."""
    field = f"{prefix}wnid"
    rank = Case(
        *(When(**{field: wnid}, then=Value(n)) for n, wnid in enumerate(matches)),
        default=Value(len(matches)),
        output_field=IntegerField(),
    )
    matched = Case(
        *(When(**{field: wnid}, then=Value(name)) for wnid, name in matches.items() if name),
        default=Value(None),
        output_field=CharField(),
    )
    return {"rank": rank, "matched": matched}


def guide_entries(*, group: str | None = None, search: str | None = None) -> QuerySet[GuideEntry]:
    """Entries with some text and their latest revision number: in class order, or, with a
    search, the entries of the classes it finds, best first, then those whose text has it
    (annotated `rank` and `matched`, see `_ranked`; `matched` is TEXT_MATCH for the latter)."""
    entries = (
        GuideEntry.objects.exclude(text="")
        .select_related("synset", "updated_by")
        .annotate(revision=Max("revisions__number"))
        .order_by("synset__class_index")
    )
    if group:
        entries = entries.filter(synset__group=group)
    if search and search.strip():
        matches = guide_class_matches(search=search)
        ranked = _ranked(matches, prefix="synset__")
        entries = (
            entries.filter(Q(synset__wnid__in=list(matches)) | Q(text__icontains=search.strip()))
            .annotate(
                rank=ranked["rank"],
                matched=Case(
                    When(~Q(synset__wnid__in=list(matches)), then=Value(TEXT_MATCH)),
                    default=ranked["matched"],
                    output_field=CharField(),
                ),
            )
            .order_by("rank", "synset__class_index")
        )
    return entries


class _Revision(TypedDict):
    revision: int | None


def guide_entry_detail(*, synset: Synset) -> WithAnnotations[GuideEntry, _Revision] | None:
    """The class's entry with its latest revision number, or None if it has none."""
    return (
        GuideEntry.objects.select_related("synset", "updated_by")
        .annotate(revision=Max("revisions__number"))
        .filter(synset=synset)
        .first()
    )


def guide_classes_without_entry(*, search: str) -> QuerySet[Synset]:
    """Classes the search finds whose guide entry is missing or empty, to start one: best
    first, annotated `rank` and `matched` (see `_ranked`)."""
    matches = guide_class_matches(search=search)
    ranked = _ranked(matches)
    return (
        classes_all()
        .filter(wnid__in=list(matches))
        .exclude(guide_entry__text__gt="")
        .annotate(rank=ranked["rank"], matched=ranked["matched"])
        .order_by("rank", "class_index")
    )


def distinction_notes(
    *, search: str | None = None, wnid: str | None = None
) -> QuerySet[DistinctionNote]:
    notes = (
        DistinctionNote.objects.select_related("updated_by")
        .annotate(revision=Max("revisions__number"))
        .prefetch_related(_note_synsets())
        .order_by("title", "id")
    )
    if wnid:
        notes = notes.filter(synsets__wnid=wnid)
    if search and search.strip():
        query = search.strip()
        classes = list(guide_class_matches(search=query))
        about = DistinctionNote.objects.filter(synsets__wnid__in=classes).values("pk")
        notes = notes.filter(Q(title__icontains=query) | Q(text__icontains=query) | Q(pk__in=about))
    return notes


def distinction_note_get(*, note_id: int) -> DistinctionNote | None:
    return distinction_notes().filter(pk=note_id).first()


def guide_for_class(*, synset: Synset) -> dict:
    """What the guide says about a class, for `guide/_entry_panel.html`: the entry (None if
    empty) and the notes that mention the class, each with its rendered `html`."""
    entry = guide_entry_detail(synset=synset)
    if entry is not None and not entry.text.strip():
        entry = None
    notes = list(distinction_notes(wnid=synset.wnid))
    texts = [note.text for note in notes] + ([entry.text] if entry else [])
    names = class_names_for(texts)
    if entry is not None:
        entry.html = markdown_render(entry.text, class_names=names)
    for note in notes:
        note.html = markdown_render(note.text, class_names=names)
    return {"guide_entry": entry, "guide_notes": notes, "guide_synset": synset}


def _note_synsets() -> Prefetch:
    return Prefetch("synsets", queryset=Synset.objects.order_by("class_index", "wnid"))


# --- History --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff. `kind` is "same", "added", "removed" or "gap" (lines left out
    between hunks); the numbers are 1-based lines of the older and newer text."""

    kind: str
    text: str
    old_number: int | None = None
    new_number: int | None = None


def guide_revision_diff(
    *, older: GuideRevision, newer: GuideRevision, context: int = 3
) -> list[DiffLine]:
    """The line diff from one revision's text to another's. The lines are plain text: templates
    escape them like any other value."""
    old_lines = older.text.splitlines()
    new_lines = newer.text.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    lines: list[DiffLine] = []
    groups = list(matcher.get_grouped_opcodes(context))
    if old_lines == new_lines:
        return lines  # difflib reports one all-equal group; there is nothing to show
    for group_index, group in enumerate(groups):
        if group_index or group[0][1] > 0 or group[0][3] > 0:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("same", old_lines[i], i + 1, j1 + (i - i1) + 1) for i in range(i1, i2)
                ]
                continue
            lines += [DiffLine("removed", old_lines[i], old_number=i + 1) for i in range(i1, i2)]
            lines += [DiffLine("added", new_lines[j], new_number=j + 1) for j in range(j1, j2)]
    if groups and groups[-1][-1][2] < len(old_lines):
        lines.append(DiffLine("gap", "…"))
    return lines


# --- Freezes and the whole guide ------------------------------------------------------------


def guide_active_freeze() -> GuideFreeze | None:
    """The freeze in force, if any: while it lasts nobody changes the guide."""
    return GuideFreeze.objects.select_related("created_by").filter(released_at__isnull=True).first()


def guide_freezes() -> QuerySet[GuideFreeze]:
    """All freezes, newest first, without their (large) snapshots."""
    return GuideFreeze.objects.select_related("created_by", "released_by").defer("snapshot")


def guide_freeze_get(*, freeze_id: int) -> GuideFreeze | None:
    return (
        GuideFreeze.objects.select_related("created_by", "released_by").filter(pk=freeze_id).first()
    )


def guide_document(*, with_revisions: bool = False) -> dict:
    """The whole guide in the JSON form of documents.py: entries with text in class order, notes
    by title with their classes in class order. `with_revisions` adds each one's latest revision
    number (and the note's id), as a freeze keeps them."""
    entries = (
        GuideEntry.objects.exclude(text="")
        .select_related("synset")
        .annotate(revision=Max("revisions__number"))
        .order_by("synset__class_index")
    )
    notes = sorted(  # in Python: the same order (and file) whatever the database's collation
        DistinctionNote.objects.annotate(revision=Max("revisions__number")).prefetch_related(
            _note_synsets()
        ),
        key=lambda note: (note.title, note.pk),
    )
    document: dict = {"format": FORMAT, "entries": [], "notes": []}
    for entry in entries:
        row: dict[str, object] = {"wnid": entry.synset.wnid, "text": entry.text}
        if with_revisions:
            row["revision"] = entry.revision
        document["entries"].append(row)
    for note in notes:
        note_row: dict[str, object] = {
            "title": note.title,
            "text": note.text,
            "wnids": [synset.wnid for synset in note.synsets.all()],
        }
        if with_revisions:
            note_row = {"id": note.pk, **note_row, "revision": note.revision}
        document["notes"].append(note_row)
    return document
