"""The guide's search: the class part is the class search (typos, synonyms, wnid prefixes), the
entries' and notes' text is searched as written; results come best first and say why."""

from __future__ import annotations

import pytest

from labeling.guide.selectors import (
    TEXT_MATCH,
    distinction_notes,
    guide_class_matches,
    guide_classes_without_entry,
    guide_entries,
)
from labeling.guide.services import distinction_note_save, guide_entry_save
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from tests.taxonomy.factories import make_imagenet_classes

pytestmark = pytest.mark.django_db

NORFOLK, NORWICH, ANOLE, TENCH = "n02094114", "n02094258", "n01682714", "n01440764"


@pytest.fixture
def classes(annotator) -> dict[str, Synset]:
    classes = make_imagenet_classes()
    # The American chameleon is what most people call an anole (its WordNet synonym).
    Synset.objects.filter(wnid=ANOLE).update(
        lemmas=["American chameleon", "anole", "Anolis carolinensis"]
    )
    guide_entry_save(synset=classes[NORFOLK], text="Drop ears, wiry coat.", author=annotator)
    guide_entry_save(synset=classes[ANOLE], text="Green to brown.", author=annotator)
    guide_entry_save(synset=classes[TENCH], text="A fish; not a terrier.", author=annotator)
    distinction_note_save(
        title="Ears", text="Prick or drop.", synsets=[NORFOLK, NORWICH], author=annotator
    )
    return classes


def test_a_typo_finds_the_class(classes):
    best, *_ = guide_class_matches(search="norfok terier")
    assert best == NORFOLK
    assert [e.synset.wnid for e in guide_entries(search="norfok terier")] == [NORFOLK]
    assert [n.title for n in distinction_notes(search="norwhich")] == ["Ears"]


def test_a_synonym_finds_the_class_and_is_named(classes):
    assert guide_class_matches(search="anole")[ANOLE] == "anole"
    [entry] = guide_entries(search="anole")
    assert entry.synset.wnid == ANOLE and getattr(entry, "matched") == "anole"
    # By its display name, nothing needs saying.
    assert guide_class_matches(search="American chameleon")[ANOLE] is None


def test_a_wnid_prefix_of_three_characters_lists_its_classes(classes):
    matches = guide_class_matches(search="n01")
    assert len(matches) == 127 and all(wnid.startswith("n01") for wnid in matches)
    assert {e.synset.wnid for e in guide_entries(search="n01")} == {ANOLE, TENCH}
    assert [e.synset.wnid for e in guide_entries(search=" N0209 ")] == [NORFOLK]
    assert [e.synset.wnid for e in guide_entries(search=NORFOLK)] == [NORFOLK]


def test_the_entries_text_is_searched_too_after_the_classes_that_match(classes):
    found = list(guide_entries(search="terrier"))
    # The terrier classes first (Norfolk's entry), then the tench, whose text says "terrier".
    assert [e.synset.wnid for e in found] == [NORFOLK, TENCH]
    assert [getattr(e, "matched") for e in found] == [None, TEXT_MATCH]
    assert [e.synset.wnid for e in guide_entries(search="WIRY")] == [NORFOLK]


def test_classes_without_an_entry_come_best_first_with_the_synonym_they_matched(classes):
    unwritten = list(guide_classes_without_entry(search="terrier"))
    assert NORFOLK not in {s.wnid for s in unwritten}
    assert len(unwritten) == 18 and all("terrier" in s.display_name for s in unwritten)
    Synset.objects.filter(wnid=NORWICH).update(lemmas=["Norwich terrier", "prick-eared terrier"])
    taxonomy_snapshot_clear()  # the class search reads the synonyms once
    [norwich] = guide_classes_without_entry(search="prick-eared")
    assert norwich.wnid == NORWICH and getattr(norwich, "matched") == "prick-eared terrier"


def test_a_blank_search_finds_everything_as_no_search(classes):
    assert guide_class_matches(search="  ") == {}
    assert list(guide_entries(search="  ")) == list(guide_entries())
