"""The committed taxonomy fixture is WordNet's tree of the 1000 classes, in a canonical form."""

from __future__ import annotations

from labeling.taxonomy.fixture import (
    taxonomy_build,
    taxonomy_classes_path,
    taxonomy_fixture_path,
    taxonomy_serialize,
)
from tests.taxonomy.factories import imagenet_class_list


def test_the_fixture_has_the_1000_classes_with_the_wnids_and_order_of_the_class_list(
    committed_document,
):
    classes = [item for item in committed_document["synsets"] if item["class_index"] is not None]
    assert [(c["class_index"], c["wnid"], c["name"]) for c in classes] == imagenet_class_list()
    # Classes come first, in index order; then the ancestors by wnid.
    assert committed_document["synsets"][:1000] == classes
    ancestors = [item["wnid"] for item in committed_document["synsets"][1000:]]
    assert ancestors == sorted(ancestors)
    assert all(item["class_index"] is None for item in committed_document["synsets"][1000:])


def test_the_fixture_file_is_in_its_canonical_deterministic_form(committed_document):
    text = taxonomy_fixture_path().read_text(encoding="utf-8")
    assert taxonomy_serialize(document=committed_document) == text
    assert committed_document["format"] == 1
    assert committed_document["wordnet_version"] == "3.0"


def test_every_name_is_the_first_lemma(committed_document):
    for item in committed_document["synsets"]:
        assert item["name"] == item["lemmas"][0]
        assert "_" not in item["name"]


def test_building_from_wordnet_gives_the_committed_document(wordnet, committed_document):
    built = taxonomy_build(classes_tsv=taxonomy_classes_path(), wordnet=wordnet)
    assert built == committed_document
