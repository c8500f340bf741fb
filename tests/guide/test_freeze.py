"""Freezing the guide for an evaluation round: nothing changes until an admin releases it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from labeling.conflicts import StateConflict
from labeling.guide.models import DistinctionNote, GuideFreeze, GuideRevision
from labeling.guide.selectors import guide_active_freeze, guide_entry_history
from labeling.guide.services import (
    GuideFrozen,
    distinction_note_save,
    guide_entry_save,
    guide_freeze,
    guide_import,
    guide_release,
)
from tests.helpers import api_client_for
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes():
    return make_class("norfolk"), make_class("norwich")


def test_a_freeze_blocks_entry_and_note_saves_until_released(classes, annotator, study_admin):
    norfolk, norwich = classes
    guide_entry_save(synset=norfolk, text="Drop ears.", author=annotator)
    note = distinction_note_save(
        title="Ears", text="x", synsets=[norfolk, norwich], author=annotator
    )
    freeze = guide_freeze(name="Evaluation round 1", by=study_admin, reason="final test")
    assert guide_active_freeze() == freeze

    with pytest.raises(GuideFrozen, match="Evaluation round 1") as caught:
        guide_entry_save(synset=norfolk, text="Changed.", author=annotator)
    assert caught.value.freeze == freeze
    with pytest.raises(GuideFrozen):
        guide_entry_save(synset=norwich, text="A new entry.", author=study_admin)
    with pytest.raises(GuideFrozen):
        distinction_note_save(
            note=note, title="Ears", text="y", synsets=[norfolk, norwich], author=annotator
        )
    with pytest.raises(GuideFrozen):
        distinction_note_save(title="New", text="z", synsets=[norfolk, norwich], author=annotator)
    # Nothing was written by the refused saves.
    assert [r.text for r in guide_entry_history(synset=norfolk)] == ["Drop ears."]
    assert GuideRevision.objects.count() == 2
    assert DistinctionNote.objects.count() == 1

    released = guide_release(freeze=freeze, by=study_admin)
    assert released.released_at is not None and released.released_by == study_admin
    assert guide_active_freeze() is None
    guide_entry_save(synset=norfolk, text="Changed.", author=annotator)
    assert [r.number for r in guide_entry_history(synset=norfolk)] == [2, 1]


def test_the_snapshot_keeps_texts_and_revision_numbers_as_frozen(classes, annotator, study_admin):
    norfolk, norwich = classes
    guide_entry_save(synset=norfolk, text="v1", author=annotator)
    guide_entry_save(synset=norfolk, text="v2", author=annotator)
    note = distinction_note_save(
        title="Ears", text="n1", synsets=[norwich, norfolk], author=annotator
    )
    freeze = guide_freeze(name="Round 1", by=study_admin)
    guide_release(freeze=freeze, by=study_admin)
    guide_entry_save(synset=norfolk, text="v3 after the round", author=annotator)

    freeze.refresh_from_db()
    assert freeze.snapshot == {
        "format": 1,
        "entries": [{"wnid": "n02094114", "text": "v2", "revision": 2}],
        "notes": [
            {
                "id": note.pk,
                "title": "Ears",
                "text": "n1",
                "wnids": ["n02094114", "n02094258"],  # class order
                "revision": 1,
            }
        ],
    }


def test_only_one_freeze_can_be_active(study_admin):
    first = guide_freeze(name="Round 1", by=study_admin)
    with pytest.raises(GuideFrozen, match="already frozen"):
        guide_freeze(name="Round 2", by=study_admin)
    assert GuideFreeze.objects.count() == 1
    guide_release(freeze=first, by=study_admin)
    second = guide_freeze(name="Round 2", by=study_admin)
    assert guide_active_freeze() == second
    assert GuideFreeze.objects.count() == 2


def test_the_database_refuses_a_second_active_freeze(study_admin):
    GuideFreeze.objects.create(name="Round 1", created_by=study_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        GuideFreeze.objects.create(name="Round 2", created_by=study_admin)
    # Released freezes do not count: any number of them may exist beside the active one.
    from django.utils import timezone

    GuideFreeze.objects.create(name="Old 1", released_at=timezone.now())
    GuideFreeze.objects.create(name="Old 2", released_at=timezone.now())
    assert GuideFreeze.objects.filter(released_at__isnull=True).count() == 1


def test_a_freeze_needs_a_name_and_is_released_once(study_admin):
    with pytest.raises(ValidationError):
        guide_freeze(name="  ", by=study_admin)
    freeze = guide_freeze(name="Round 1", by=study_admin)
    guide_release(freeze=freeze, by=study_admin)
    with pytest.raises(StateConflict, match="already released"):
        guide_release(freeze=freeze, by=study_admin)


@pytest.mark.parametrize(
    "name", ["Round\t1", "Round 1\nReleased", "Round \x1b[31m1", "Round \u202e1 dnuoR", "x" * 201]
)
def test_a_freeze_name_with_control_characters_or_too_long_is_refused(name, study_admin):
    with pytest.raises(ValidationError) as caught:
        guide_freeze(name=name, by=study_admin)
    assert "name" in caught.value.message_dict
    assert not GuideFreeze.objects.exists()


def test_an_api_freeze_with_a_control_character_in_its_name_is_a_400(study_admin):
    client = api_client_for(study_admin)
    response = client.post("/api/guide/freeze/", {"name": "Round\u00071"}, format="json")
    assert response.status_code == 400 and "control characters" in str(response.json())
    assert not GuideFreeze.objects.exists()


def test_an_import_is_refused_while_frozen(classes, study_admin):
    guide_freeze(name="Round 1", by=study_admin)
    document = {"format": 1, "entries": [{"wnid": "n02094114", "text": "x"}], "notes": []}
    with pytest.raises(GuideFrozen):
        guide_import(document=document, author=study_admin)
    assert GuideRevision.objects.count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one write transaction at a time: there is nothing to order",
)
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_freeze_waits_for_a_save_in_flight(annotator, study_admin):
    """The snapshot cannot miss a save that was under way when the admin froze the guide."""
    import threading

    from django.db import connections

    norfolk = make_class("norfolk")
    saved, finish = threading.Event(), threading.Event()
    result: dict = {}

    def slow_save() -> None:
        try:
            with transaction.atomic():
                guide_entry_save(synset=norfolk, text="in flight", author=annotator)
                saved.set()
                finish.wait(10)  # still uncommitted while the freeze starts
        finally:
            connections.close_all()

    def freeze() -> None:
        try:
            result["freeze"] = guide_freeze(name="Round 1", by=study_admin)
        finally:
            connections.close_all()

    saver = threading.Thread(target=slow_save)
    saver.start()
    assert saved.wait(10)
    freezer = threading.Thread(target=freeze)
    freezer.start()
    freezer.join(0.5)
    assert freezer.is_alive(), "the freeze must wait for the save to commit"
    finish.set()
    saver.join(10)
    freezer.join(10)
    assert result["freeze"].snapshot["entries"] == [
        {"wnid": "n02094114", "text": "in flight", "revision": 1}
    ]
