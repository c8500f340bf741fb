"""Writes for the labeling guide. Every change of text is kept as a numbered revision."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from labeling.audit.models import AuditAction
from labeling.audit.services import audit_record
from labeling.conflicts import StateConflict
from labeling.guide.documents import (
    FORMATS,
    GuideImportError,
    document_check,
    document_rows,
    document_where,
    document_wnids,
    json_write,
    markdown_write,
)
from labeling.guide.models import DistinctionNote, GuideEntry, GuideFreeze, GuideRevision
from labeling.guide.selectors import guide_active_freeze, guide_document
from labeling.taxonomy.models import Synset
from labeling.taxonomy.selectors import classes_all

__all__ = [
    "TEXT_MAX",
    "TITLE_MAX",
    "GuideFrozen",
    "GuideImportError",
    "ImportSummary",
    "distinction_note_save",
    "distinction_note_validate",
    "guide_check_not_frozen",
    "guide_entry_save",
    "guide_entry_validate",
    "guide_export",
    "guide_freeze",
    "guide_import",
    "guide_release",
    "guide_text_validate",
]

# Key of the PostgreSQL advisory lock that orders saves and freezes (any constant will do, as long
# as every process uses the same one).
_GUIDE_LOCK_KEY = 0x6775_6964  # "guid"


class GuideFrozen(Exception):
    """The guide is frozen for an evaluation round: nothing may change until an admin releases
    the freeze. `freeze` is the active GuideFreeze."""

    def __init__(self, freeze: GuideFreeze, message: str | None = None) -> None:
        self.freeze = freeze
        super().__init__(
            message
            or f"The guide is frozen ({freeze.name}); an admin must release the freeze before "
            "anyone can change it."
        )


def _guide_lock(*, exclusive: bool) -> None:
    """Within the current transaction, order saves against freezes.

    Saves take the lock shared (they run side by side), a freeze takes it exclusive: the freeze
    waits for saves in flight, and saves that start meanwhile wait for the freeze and then see it,
    so a snapshot never misses a save that commits after it. SQLite needs nothing: its
    transactions (BEGIN IMMEDIATE) already run one at a time.
    """
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_GUIDE_LOCK_KEY])


def _ensure_not_frozen() -> None:
    _guide_lock(exclusive=False)
    guide_check_not_frozen()


def _next_number(revisions) -> int:
    return (revisions.aggregate(last=Max("number"))["last"] or 0) + 1


# --- The rules every way of writing goes through ---------------------------------------------
# The page forms, the API serializers, the admin and the import only check the shape of what
# they were sent; these raise Django's ValidationError, keyed by field, and every surface shows
# the message as is.

TEXT_MAX = 100_000  # far beyond any real entry; keeps a pasted novel out of the guide
TITLE_MAX = 300  # the model's column


def _text_errors(text: str) -> dict[str, str]:
    if len(text) > TEXT_MAX:
        return {
            "text": f"The text is {len(text):,} characters long; the guide takes at most "
            f"{TEXT_MAX:,}."
        }
    if not _storable(text):
        return {"text": UNSTORABLE}
    return {}


UNSTORABLE = "The text contains a NUL character or an unpaired surrogate, which cannot be stored."


def _storable(text: str) -> bool:
    # A JSON file can carry both; the database would refuse them with an error, not a message.
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def guide_text_validate(*, text: str) -> None:
    """Raise ValidationError if the guide would not take this text (as an entry's or a note's);
    the editor's preview renders nothing longer either."""
    errors = _text_errors(text)
    if errors:
        raise ValidationError(errors)


def _not_classes(wnids: Iterable[str]) -> str:
    return f"Not ImageNet classes: {', '.join(wnids)}."


def _classes_by_wnid(wnids: Iterable[str]) -> dict[str, Synset]:
    return {synset.wnid: synset for synset in classes_all().filter(wnid__in=set(wnids))}


def guide_entry_validate(*, synset: Synset, text: str) -> None:
    """Raise ValidationError if this text may not be the class's entry."""
    errors = _text_errors(text)
    if synset.class_index is None:
        errors["synset"] = _not_classes([synset.wnid])
    if errors:
        raise ValidationError(errors)


def distinction_note_validate(
    *,
    title: str,
    text: str,
    synsets: Iterable[Synset | str],
    known: dict[str, Synset] | None = None,
) -> tuple[str, list[Synset]]:
    """The note's title (stripped) and its distinct classes in the given order, or
    ValidationError: a title of one line, a text within the limit, at least two distinct
    ImageNet classes. `synsets` are Synset rows or wnids; `known` (wnid to class) spares the
    lookup when the caller has them all."""
    errors = _text_errors(text)
    title = title.strip()
    if not title:
        errors["title"] = "A distinction note needs a title."
    elif "\n" in title or "\r" in title:
        errors["title"] = "The title must be one line."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"The title is longer than {TITLE_MAX} characters."
    elif not _storable(title):
        errors["title"] = UNSTORABLE.replace("text", "title")
    wnids = list(dict.fromkeys(s if isinstance(s, str) else s.wnid for s in synsets))
    classes = known if known is not None else _classes_by_wnid(wnids)
    unknown = [wnid for wnid in wnids if wnid not in classes]
    if unknown:
        errors["synsets"] = _not_classes(unknown)
    elif len(wnids) < 2:
        errors["synsets"] = "A distinction note compares at least two different classes."
    if errors:
        raise ValidationError(errors)
    return title, [classes[wnid] for wnid in wnids]


def guide_check_not_frozen() -> None:
    """Raise GuideFrozen while a freeze is active (for a form to refuse before saving)."""
    freeze = guide_active_freeze()
    if freeze is not None:
        raise GuideFrozen(freeze)


@transaction.atomic
def guide_entry_save(
    *, synset: Synset, text: str, author: User | None, comment: str = ""
) -> GuideEntry:
    """Set the guide text of a class, creating its entry if missing.

    A save that changes the text adds revision n+1; saving the same text again adds nothing.
    Raises ValidationError for a text the guide does not take (see `guide_entry_validate`) and
    GuideFrozen while the guide is frozen.
    """
    guide_entry_validate(synset=synset, text=text)
    _ensure_not_frozen()
    GuideEntry.objects.get_or_create(synset=synset)
    # Lock the entry: two annotators saving at once must not both take the same number.
    entry = GuideEntry.objects.select_for_update().select_related("synset").get(synset=synset)
    if entry.text == text:
        return entry
    entry.text = text
    entry.updated_by = author
    entry.save()
    GuideRevision.objects.create(
        entry=entry,
        number=_next_number(entry.revisions.all()),
        text=text,
        author=author,
        comment=comment[:300],
    )
    return entry


@transaction.atomic
def distinction_note_save(
    *,
    note: DistinctionNote | None = None,
    title: str,
    text: str,
    synsets: Iterable[Synset | str],
    author: User | None,
    comment: str = "",
) -> DistinctionNote:
    """Create a note on telling confusable classes apart (`note=None`) or change one.

    `synsets` are the classes it tells apart, as Synset rows or wnids. Any change (title, text
    or classes) adds a revision; saving the same content again adds nothing. Raises
    ValidationError for a note the guide does not take (see `distinction_note_validate`) and
    GuideFrozen while the guide is frozen.
    """
    title, synset_list = distinction_note_validate(title=title, text=text, synsets=synsets)
    _ensure_not_frozen()
    new_ids = {synset.pk for synset in synset_list}

    if note is None:
        note = DistinctionNote.objects.create(title=title, text=text, updated_by=author)
        note.synsets.set(synset_list)
    else:
        # Compare with what is stored, not with the caller's object (a form may have changed it).
        note = DistinctionNote.objects.select_for_update().get(pk=note.pk)
        old_ids = set(note.synsets.values_list("pk", flat=True))
        if note.title == title and note.text == text and old_ids == new_ids:
            return note
        note.title = title
        note.text = text
        note.updated_by = author
        note.save()
        if old_ids != new_ids:
            note.synsets.set(synset_list)
    GuideRevision.objects.create(
        note=note,
        number=_next_number(note.revisions.all()),
        title=title,
        text=text,
        author=author,
        comment=comment[:300],
    )
    return note


# --- Freezing for an evaluation round -------------------------------------------------------

FREEZE_NAME_MAX = 200  # the model's column
# Unicode categories of control (Cc), format (Cf: bidi overrides, zero-width) and surrogate (Cs)
# characters.
_INVISIBLE = {"Cc", "Cf", "Cs"}


@transaction.atomic
def guide_freeze(*, name: str, by: User | None, reason: str = "") -> GuideFreeze:
    """Freeze the guide as it stands, keeping a snapshot of every entry and note with its
    revision number. Raises GuideFrozen if another freeze is still active."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A freeze needs a name (e.g. the evaluation round's)."})
    if any(unicodedata.category(char) in _INVISIBLE for char in name):
        # A tab, a newline, a bidi override (U+202E): the name is shown in pages, the admin,
        # messages and logs, where these hide or forge text.
        raise ValidationError(
            {"name": "The name must be one line of visible text: no control characters."}
        )
    if len(name) > FREEZE_NAME_MAX:
        raise ValidationError({"name": f"The name is longer than {FREEZE_NAME_MAX} characters."})
    _guide_lock(exclusive=True)
    active = guide_active_freeze()
    if active is not None:
        raise GuideFrozen(active, f"The guide is already frozen ({active.name}); release it first.")
    snapshot = guide_document(with_revisions=True)
    try:
        # A savepoint, so the caller's transaction survives the database refusing a second
        # active freeze (the unique index is what guarantees one, whatever races happen).
        with transaction.atomic():
            freeze = GuideFreeze.objects.create(
                name=name, reason=reason.strip(), created_by=by, snapshot=snapshot
            )
            audit_record(
                actor=by,
                action=AuditAction.GUIDE_FROZEN,
                target=freeze,
                details={"reason": freeze.reason},
            )
            return freeze
    except IntegrityError:
        active = guide_active_freeze()
        if active is None:
            raise
        raise GuideFrozen(active, f"The guide is already frozen ({active.name}).") from None


@transaction.atomic
def guide_release(*, freeze: GuideFreeze, by: User | None) -> GuideFreeze:
    """End a freeze: the guide can be edited again. The freeze and its snapshot stay. Raises
    StateConflict if it was already released (by another admin, or from a stale page)."""
    freeze = GuideFreeze.objects.select_for_update().get(pk=freeze.pk)
    if freeze.released_at is not None:
        raise StateConflict("This freeze was already released.")
    freeze.released_at = timezone.now()
    freeze.released_by = by
    freeze.save(update_fields=["released_at", "released_by"])
    audit_record(actor=by, action=AuditAction.GUIDE_RELEASED, target=freeze)
    return freeze


# --- Import and export ----------------------------------------------------------------------


@dataclass
class ImportSummary:
    entries_created: int = 0
    entries_updated: int = 0
    entries_unchanged: int = 0
    entries_cleared: int = 0
    notes_created: int = 0
    notes_updated: int = 0
    notes_unchanged: int = 0
    notes_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        text = (
            f"entries: {self.entries_created} created, {self.entries_updated} updated, "
            f"{self.entries_unchanged} unchanged"
        )
        if self.entries_cleared:
            text += f", {self.entries_cleared} cleared"
        text += (
            f"; notes: {self.notes_created} created, {self.notes_updated} updated, "
            f"{self.notes_unchanged} unchanged"
        )
        if self.notes_deleted:
            text += f", {self.notes_deleted} deleted"
        return text


@transaction.atomic
def guide_import(
    *,
    document: dict,
    author: User | None,
    replace: bool = False,
    comment: str = "imported from a guide file",
) -> ImportSummary:
    """Bring the guide in line with a document (the JSON form of documents.py).

    The whole document is checked first; any problem raises GuideImportError listing all of them
    and nothing is written. Only texts that differ get a new revision. Notes are matched by title.
    With `replace`, entries missing from the document are emptied (their history stays) and notes
    missing from it are deleted, so the guide ends up exactly as the document says.
    """
    _ensure_not_frozen()
    classes = _classes_by_wnid(document_wnids(document))
    problems = document_check(document) + _document_rule_problems(document, classes)
    if problems:
        raise GuideImportError(problems)

    summary = ImportSummary()
    existing = {
        entry.synset.wnid: entry for entry in GuideEntry.objects.select_related("synset").all()
    }
    for row in document.get("entries", []):
        entry = existing.get(row["wnid"])
        old_text = entry.text if entry is not None else ""
        if old_text == row["text"]:
            summary.entries_unchanged += 1
            continue
        guide_entry_save(
            synset=classes[row["wnid"]], text=row["text"], author=author, comment=comment
        )
        if old_text:
            summary.entries_updated += 1
        else:
            summary.entries_created += 1
    if replace:
        listed = {row["wnid"] for row in document.get("entries", [])}
        for wnid, entry in existing.items():
            if wnid not in listed and entry.text:
                guide_entry_save(synset=entry.synset, text="", author=author, comment=comment)
                summary.entries_cleared += 1

    by_title: dict[str, DistinctionNote] = {}
    for stored in DistinctionNote.objects.prefetch_related("synsets").order_by("id"):
        by_title.setdefault(stored.title, stored)  # several notes may share a title: take the first
    matched: set[int] = set()
    for row in document.get("notes", []):
        title = row["title"].strip()
        note = by_title.get(title)
        wanted = [classes[wnid] for wnid in row["wnids"]]
        if note is not None:
            matched.add(note.pk)
            same_classes = {s.pk for s in note.synsets.all()} == {s.pk for s in wanted}
            if note.text == row["text"] and same_classes:
                summary.notes_unchanged += 1
                continue
        saved = distinction_note_save(
            note=note, title=title, text=row["text"], synsets=wanted, author=author, comment=comment
        )
        matched.add(saved.pk)
        if note is None:
            summary.notes_created += 1
        else:
            summary.notes_updated += 1
    if replace:
        # Deleting a note deletes its history too; a freeze's snapshot keeps what was frozen.
        stale = DistinctionNote.objects.exclude(pk__in=matched)
        summary.notes_deleted = stale.count()
        stale.delete()
    return summary


def _document_rule_problems(document: dict, classes: dict[str, Synset]) -> list[str]:
    """What the rules say about each well-formed entry and note of a document (document_check
    reports the others), each message as the save would raise it, after where it is."""
    problems: list[str] = []

    def add(where: str, error: ValidationError) -> None:
        problems.extend(f"{where}: {message}" for message in error.messages)

    for index, row in enumerate(document_rows(document, "entries")):
        if row is None:
            continue
        synset = classes.get(row["wnid"])
        try:
            if synset is None:
                raise ValidationError({"synset": _not_classes([row["wnid"]])})
            guide_entry_validate(synset=synset, text=row["text"])
        except ValidationError as error:
            add(document_where("entries", index, row), error)
    for index, row in enumerate(document_rows(document, "notes")):
        if row is None:
            continue
        try:
            distinction_note_validate(
                title=row["title"], text=row["text"], synsets=row["wnids"], known=classes
            )
        except ValidationError as error:
            add(document_where("notes", index, row), error)
    return problems


def guide_export(*, fmt: str) -> str:
    """The whole guide as one JSON or Markdown file (see documents.py for both forms)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown guide format {fmt!r}; use one of {', '.join(FORMATS)}")
    document = guide_document()
    if fmt == "json":
        return json_write(document)
    wnids = [row["wnid"] for row in document["entries"]]
    names = dict(Synset.objects.filter(wnid__in=wnids).values_list("wnid", "display_name"))
    return markdown_write(document, names=names)
