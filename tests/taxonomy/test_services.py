from __future__ import annotations

from collections import defaultdict

import pytest
from django.db.models import F

from labeling.taxonomy.fixture import (
    TaxonomyError,
)
from labeling.taxonomy.models import (
    DOG_WNID,
    ORGANISM_WNID,
    Hypernymy,
    Synset,
    SynsetClosure,
)
from labeling.taxonomy.selectors import (
    class_groups_counts,
    classes_all,
    classes_under,
    synset_ancestors,
    synset_get,
    synset_parents,
    taxonomy_counts,
)
from labeling.taxonomy.services import taxonomy_load
from tests.taxonomy.factories import imagenet_class_list

ENTITY = "n00001740"
CHIHUAHUA = "n02085620"
CANINE = "n02083346"
DOMESTIC_ANIMAL = "n01317541"
TENCH, GOLDFISH, CYPRINID, FISH = "n01440764", "n01443537", "n01439121", "n02512053"


def snapshot() -> dict:
    """Every stored value of the taxonomy, ids included."""
    return {
        "synsets": list(Synset.objects.order_by("id").values()),
        "edges": list(Hypernymy.objects.order_by("id").values()),
        "closure": list(SynsetClosure.objects.order_by("id").values()),
    }


def table_sizes() -> tuple[int, int, int]:
    return Synset.objects.count(), Hypernymy.objects.count(), SynsetClosure.objects.count()


def by_wnid(document: dict) -> dict[str, dict]:
    return {item["wnid"]: item for item in document["synsets"]}


# --- Loading ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_stores_1000_classes_118_dogs_410_organisms_and_590_objects(loaded):
    assert classes_all().count() == 1000
    assert list(classes_all().values_list("wnid", flat=True)) == [
        w for _, w, _ in imagenet_class_list()
    ]
    assert class_groups_counts() == {"dog": 118, "organism": 292, "object": 590}
    assert classes_under(wnid=DOG_WNID).count() == 118
    assert classes_under(wnid=ORGANISM_WNID).count() == 410  # the dogs are organisms too
    assert set(classes_under(wnid=DOG_WNID)) <= set(classes_under(wnid=ORGANISM_WNID))
    assert loaded["groups"] == {"dog": 118, "organism": 292, "object": 590}
    assert loaded["organism_incl_dogs"] == 410
    assert Synset.objects.filter(class_index__isnull=True).exclude(group="").count() == 0


@pytest.mark.django_db
def test_the_loaded_counts_match_the_tables(loaded):
    assert taxonomy_counts() == {
        "synsets": loaded["synsets"],
        "classes": 1000,
        "edges": loaded["edges"],
        "closure_rows": loaded["closure_rows"],
        "multi_parent": loaded["multi_parent"],
    }
    assert loaded["synsets"] == 1860
    assert loaded["edges"] == 1937
    assert loaded["multi_parent"] == 75


@pytest.mark.django_db
def test_all_classes_are_leaves(loaded):
    assert not Hypernymy.objects.filter(parent__class_index__isnull=False).exists()
    assert not Synset.objects.filter(class_index__isnull=False, class_count__gt=1).exists()
    assert Synset.objects.filter(class_index__isnull=False, class_count=1).count() == 1000


@pytest.mark.django_db
def test_a_dog_is_reachable_under_both_parents_of_dog(loaded):
    # dog.n.01 is both a canine and a domestic animal; every dog class sits under both.
    assert [s.wnid for s in synset_parents(wnid=DOG_WNID)] == [DOMESTIC_ANIMAL, CANINE]
    chihuahua = synset_get(wnid=CHIHUAHUA)
    assert chihuahua is not None
    assert chihuahua in classes_under(wnid=CANINE)
    assert chihuahua in classes_under(wnid=DOMESTIC_ANIMAL)
    distances = dict(
        SynsetClosure.objects.filter(descendant=chihuahua).values_list("ancestor__wnid", "distance")
    )
    assert distances[DOG_WNID] == 2  # Chihuahua -> toy dog -> dog
    assert distances[CANINE] == distances[DOMESTIC_ANIMAL] == 3


@pytest.mark.django_db
def test_below_every_node_with_several_parents_each_class_is_under_every_parent(loaded):
    parents = defaultdict(set)
    for child, parent in Hypernymy.objects.values_list("child_id", "parent_id"):
        parents[child].add(parent)
    ancestors = defaultdict(set)
    for descendant, ancestor in SynsetClosure.objects.values_list("descendant_id", "ancestor_id"):
        ancestors[descendant].add(ancestor)
    class_ids = set(classes_all().values_list("id", flat=True))
    multi_parent = {node for node, ps in parents.items() if len(ps) > 1}
    assert len(multi_parent) == 75
    checked = 0
    for node in multi_parent:
        for cls in class_ids:
            if node in ancestors[cls]:
                assert parents[node] <= ancestors[cls]
                checked += 1
    assert checked > 118  # at least all the dogs


@pytest.mark.django_db
def test_the_closure_has_self_rows_and_shortest_distances(loaded):
    synsets = Synset.objects.count()
    assert SynsetClosure.objects.filter(distance=0).count() == synsets
    assert (
        not SynsetClosure.objects.filter(distance=0)
        .exclude(descendant_id=F("ancestor_id"))
        .exists()
    )
    # Recompute shortest distances with a breadth-first search from every node.
    parents = defaultdict(list)
    for child, parent in Hypernymy.objects.values_list("child_id", "parent_id"):
        parents[child].append(parent)
    expected = {}
    for start in Synset.objects.values_list("id", flat=True):
        frontier, distance, seen = [start], 0, {start: 0}
        while frontier:
            distance += 1
            frontier = [p for node in frontier for p in parents[node] if p not in seen]
            for p in frontier:
                seen.setdefault(p, distance)
        expected.update({(start, a): d for a, d in seen.items()})
    stored = {
        (d, a): dist
        for d, a, dist in SynsetClosure.objects.values_list(
            "descendant_id", "ancestor_id", "distance"
        )
    }
    assert stored == expected


@pytest.mark.django_db
def test_depth_is_the_shortest_distance_to_entity_and_class_count_sums_up(loaded):
    entity = synset_get(wnid=ENTITY)
    assert entity is not None
    assert (entity.depth, entity.class_count) == (0, 1000)
    assert Synset.objects.filter(depth=0).count() == 1
    for synset in Synset.objects.all():
        row = SynsetClosure.objects.get(descendant=synset, ancestor=entity)
        assert synset.depth == row.distance
    assert Synset.objects.get(wnid=DOG_WNID).class_count == 118
    assert Synset.objects.get(wnid=ORGANISM_WNID).class_count == 410
    nearest = list(synset_ancestors(wnid=CHIHUAHUA).values_list("nltk_name", flat=True))
    assert nearest[:2] == ["toy_dog.n.01", "dog.n.01"]
    assert nearest[-1] == "entity.n.01"


@pytest.mark.django_db
def test_crane_and_maillot_get_distinct_display_names(loaded):
    names = dict(classes_all().values_list("class_index", "display_name"))
    assert names[134] == "crane (large long-necked wading bird…)"
    assert names[517] == "crane (lifts and moves heavy…)"
    assert names[638] == "maillot (tights for dancers or…)"
    assert names[639] == "maillot (tank suit)"
    assert len(set(names.values())) == 1000
    # Every other class keeps its ImageNet name.
    plain = classes_all().exclude(class_index__in=[134, 517, 638, 639])
    assert all(s.display_name == s.name for s in plain)


@pytest.mark.django_db
def test_an_ancestor_sharing_a_class_name_is_the_one_disambiguated(loaded):
    assert Synset.objects.get(wnid="n04389033").display_name == "tank"  # class 847, the army tank
    assert Synset.objects.get(wnid="n04388743").display_name == "tank (storage tank)"


@pytest.mark.django_db
def test_search_text_is_folded_names_lemmas_and_wnid(loaded):
    assert Synset.objects.get(wnid=TENCH).search_text == "tench | tinca tinca | n01440764"
    assert Synset.objects.filter(search_text__contains="tank suit").get().class_index == 639


@pytest.mark.django_db
def test_search_text_strips_accents(document):
    by_wnid(document)[TENCH]["lemmas"].append("Tanche à l'Écossaise")
    taxonomy_load(document=document)
    assert Synset.objects.get(wnid=TENCH).search_text.endswith("| tanche a l'ecossaise | n01440764")


@pytest.mark.django_db
def test_loading_twice_changes_nothing(loaded, committed_document):
    before = snapshot()
    again = taxonomy_load(document=committed_document)
    assert snapshot() == before
    assert {
        key: again[key] for key in loaded if key.endswith(("created", "updated", "deleted"))
    } == {
        "synsets_created": 0,
        "synsets_updated": 0,
        "edges_created": 0,
        "edges_deleted": 0,
        "closure_created": 0,
        "closure_updated": 0,
        "closure_deleted": 0,
    }
    assert {k: v for k, v in again.items() if k in ("synsets", "edges", "closure_rows")} == {
        k: v for k, v in loaded.items() if k in ("synsets", "edges", "closure_rows")
    }


@pytest.mark.django_db
def test_reloading_an_edited_fixture_updates_rows_in_place_and_drops_what_is_gone(loaded, document):
    ids = dict(Synset.objects.values_list("wnid", "id"))
    counts_before = dict(Synset.objects.values_list("wnid", "class_count"))
    between = (
        set(  # the ancestors of tench that are not ancestors of fish
            synset_ancestors(wnid=TENCH).values_list("wnid", flat=True)
        )
        - set(synset_ancestors(wnid=FISH).values_list("wnid", flat=True))
        - {FISH}
    )
    items = by_wnid(document)
    # Swap two class indexes (the unique index must not trip) and move tench under fish.
    items[TENCH]["class_index"], items[GOLDFISH]["class_index"] = 1, 0
    items[TENCH]["hypernyms"] = [FISH]
    items[TENCH]["gloss"] = "a fish"
    counts = taxonomy_load(document=document)

    assert dict(Synset.objects.values_list("wnid", "id")) == ids
    # tench, goldfish, and each node between tench and fish (one class fewer below it).
    assert CYPRINID in between and len(between) == 5
    assert (counts["synsets_created"], counts["synsets_updated"]) == (0, 2 + len(between))
    for wnid in between:
        assert Synset.objects.get(wnid=wnid).class_count == counts_before[wnid] - 1
    tench = synset_get(wnid=TENCH)
    assert tench is not None
    assert (tench.class_index, tench.gloss) == (1, "a fish")
    assert Synset.objects.get(wnid=GOLDFISH).class_index == 0
    assert [s.wnid for s in synset_parents(wnid=TENCH)] == [FISH]
    assert (counts["edges_created"], counts["edges_deleted"]) == (1, 1)
    assert not SynsetClosure.objects.filter(descendant=tench, ancestor__wnid=CYPRINID).exists()
    assert SynsetClosure.objects.get(descendant=tench, ancestor__wnid=FISH).distance == 1
    assert counts["closure_deleted"] == len(between) and counts["closure_updated"] > 0
    assert tench not in classes_under(wnid=CYPRINID)

    taxonomy_load(document=document)  # and the edited state is stable too
    taxonomy_load(document=document)
    assert dict(Synset.objects.values_list("wnid", "id")) == ids


@pytest.mark.django_db
def test_a_synset_left_out_of_the_fixture_is_detached_not_deleted(loaded, committed_document):
    extra = {
        "wnid": "n99999999",
        "nltk_name": "extra.n.01",
        "name": "extra",
        "lemmas": ["extra"],
        "gloss": "",
        "class_index": None,
        "hypernyms": [ENTITY],
    }
    bigger = {**committed_document, "synsets": [*committed_document["synsets"], extra]}
    taxonomy_load(document=bigger)
    assert Synset.objects.get(wnid="n99999999").depth == 1

    counts = taxonomy_load(document=committed_document)
    assert counts["synsets_detached"] == 1
    assert Synset.objects.get(wnid="n99999999").class_count == 0
    assert not Hypernymy.objects.filter(child__wnid="n99999999").exists()
    assert not SynsetClosure.objects.filter(descendant__wnid="n99999999").exists()
    assert SynsetClosure.objects.count() == loaded["closure_rows"]


def _bad_reference(document):
    by_wnid(document)[TENCH]["hypernyms"].append("n00000042")


def _cycle(document):
    # entity is the root; making it a kind of dog closes a cycle through the whole tree.
    by_wnid(document)[ENTITY]["hypernyms"] = [DOG_WNID]


def _self_loop(document):
    by_wnid(document)[DOG_WNID]["hypernyms"].append(DOG_WNID)


def _missing_class(document):
    by_wnid(document)[TENCH]["class_index"] = None


def _duplicate_index(document):
    by_wnid(document)[TENCH]["class_index"] = 1


def _bad_format(document):
    document["format"] = 2


def _two_roots(document):
    by_wnid(document)[DOG_WNID]["hypernyms"] = []


def _bad_wnid(document):
    document["synsets"][5]["wnid"] = "dog.n.01"


def _boolean_index(document):
    by_wnid(document)[TENCH]["class_index"] = True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        pytest.param(
            _bad_reference,
            r"n01440764 has hypernym n00000042, which is not in the file",
            id="bad reference",
        ),
        pytest.param(_cycle, r"cycle", id="cycle"),
        pytest.param(_self_loop, r"n02084071 is its own hypernym", id="self loop"),
        pytest.param(_missing_class, r"999 classes, expected 1000", id="missing class"),
        pytest.param(
            _duplicate_index, r"n01443537: class_index 1 is also n01440764", id="duplicate index"
        ),
        pytest.param(_bad_format, r"format 2, expected 1", id="bad format"),
        pytest.param(_two_roots, r"one root, has 2", id="two roots"),
        pytest.param(_bad_wnid, r"'dog.n.01' is not a wnid", id="bad wnid"),
        pytest.param(_boolean_index, r"class_index True is not in 0..999", id="boolean index"),
    ],
)
def test_a_bad_fixture_raises_taxonomy_error_and_writes_nothing(document, spoil, message):
    spoil(document)
    with pytest.raises(TaxonomyError, match=message):
        taxonomy_load(document=document)
    assert table_sizes() == (0, 0, 0)


@pytest.mark.django_db
def test_a_bad_fixture_leaves_a_loaded_taxonomy_untouched(loaded, document):
    before = snapshot()
    _cycle(document)
    by_wnid(document)[TENCH]["gloss"] = "changed"
    with pytest.raises(TaxonomyError):
        taxonomy_load(document=document)
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("document", [None, [], {"format": 1, "wordnet_version": "3.0"}])
def test_a_fixture_that_is_not_a_taxonomy_document_is_refused(document):
    with pytest.raises(TaxonomyError):
        taxonomy_load(document=document)
