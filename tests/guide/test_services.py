"""Every change to the guide is kept as a numbered revision; saving the same text keeps nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from labeling.guide.models import DistinctionNote, GuideEntry, GuideRevision
from labeling.guide.selectors import (
    distinction_note_history,
    distinction_notes_for_class,
    guide_entry_history,
)
from labeling.guide.services import distinction_note_save, guide_entry_save
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


def test_the_first_save_creates_the_entry_and_revision_one(annotator):
    norfolk = make_class("norfolk")
    entry = guide_entry_save(synset=norfolk, text="Drop ears.", author=annotator, comment="start")
    assert entry.text == "Drop ears." and entry.updated_by == annotator
    [revision] = guide_entry_history(synset=norfolk)
    assert (revision.number, revision.text, revision.author, revision.comment) == (
        1,
        "Drop ears.",
        annotator,
        "start",
    )


def test_each_change_of_text_takes_the_next_revision_number(annotator, study_admin):
    norfolk = make_class("norfolk")
    guide_entry_save(synset=norfolk, text="v1", author=annotator)
    guide_entry_save(synset=norfolk, text="v2", author=study_admin)
    guide_entry_save(synset=norfolk, text="v3", author=annotator)
    history = list(guide_entry_history(synset=norfolk))
    assert [(r.number, r.text) for r in history] == [(3, "v3"), (2, "v2"), (1, "v1")]
    assert history[1].author == study_admin
    assert GuideEntry.objects.get(synset=norfolk).text == "v3"


def test_saving_unchanged_text_creates_no_revision(annotator, study_admin):
    norfolk = make_class("norfolk")
    guide_entry_save(synset=norfolk, text="Drop ears.", author=annotator)
    entry = guide_entry_save(synset=norfolk, text="Drop ears.", author=study_admin)
    assert GuideRevision.objects.count() == 1
    assert entry.updated_by == annotator  # nothing changed, so nobody changed it


def test_revision_numbers_are_counted_per_entry(annotator):
    guide_entry_save(synset=make_class("norfolk"), text="a", author=annotator)
    guide_entry_save(synset=make_class("norfolk"), text="b", author=annotator)
    guide_entry_save(synset=make_class("norwich"), text="c", author=annotator)
    [norwich_revision] = guide_entry_history(synset=make_class("norwich"))
    assert norwich_revision.number == 1


def test_a_class_without_an_entry_has_an_empty_history():
    assert list(guide_entry_history(synset=make_class("laptop"))) == []


def test_a_new_distinction_note_has_its_classes_and_revision_one(annotator):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    note = distinction_note_save(
        title="Norfolk vs Norwich: ears",
        text="Norfolk drop ears, Norwich prick ears.",
        synsets=[norfolk, norwich],
        author=annotator,
    )
    assert set(note.synsets.all()) == {norfolk, norwich}
    assert [r.number for r in distinction_note_history(note=note)] == [1]
    assert list(distinction_notes_for_class(synset=norwich)) == [note]


def test_a_distinction_note_needs_two_different_classes(annotator):
    norfolk = make_class("norfolk")
    with pytest.raises(ValidationError, match="at least two"):
        distinction_note_save(title="t", text="x", synsets=[norfolk], author=annotator)
    with pytest.raises(ValidationError, match="at least two"):
        distinction_note_save(title="t", text="x", synsets=[norfolk, norfolk], author=annotator)
    assert DistinctionNote.objects.count() == 0


def test_a_distinction_note_needs_a_title(annotator):
    with pytest.raises(ValidationError, match="title"):
        distinction_note_save(
            title="  ",
            text="x",
            synsets=[make_class("norfolk"), make_class("norwich")],
            author=annotator,
        )


def test_changing_a_note_adds_a_revision_and_an_unchanged_save_adds_none(annotator, study_admin):
    norfolk, norwich, laptop = make_class("norfolk"), make_class("norwich"), make_class("laptop")
    note = distinction_note_save(
        title="Ears", text="one", synsets=[norfolk, norwich], author=annotator
    )
    distinction_note_save(
        note=note, title="Ears", text="one", synsets=[norwich, norfolk], author=study_admin
    )
    assert note.revisions.count() == 1
    distinction_note_save(
        note=note, title="Ears!", text="two", synsets=[norfolk, norwich], author=study_admin
    )
    distinction_note_save(
        note=note, title="Ears!", text="two", synsets=[norfolk, laptop], author=study_admin
    )
    history = list(distinction_note_history(note=note))
    assert [(r.number, r.title) for r in history] == [(3, "Ears!"), (2, "Ears!"), (1, "Ears")]
    note.refresh_from_db()
    assert set(note.synsets.all()) == {norfolk, laptop} and note.updated_by == study_admin


def test_a_note_edited_in_memory_is_compared_with_what_is_stored(annotator):
    # The admin hands over an instance its form has already changed.
    note = distinction_note_save(
        title="Ears",
        text="one",
        synsets=[make_class("norfolk"), make_class("norwich")],
        author=annotator,
    )
    note.text = "two"
    distinction_note_save(
        note=note, title="Ears", text="two", synsets=note.synsets.all(), author=annotator
    )
    assert note.revisions.count() == 2
