"""Class search ranks names, synonyms, wnids and glosses, forgives typos, and shows short paths.

Most tests run the index on the committed taxonomy without a database (the snapshot is built from
the fixture's derived rows, as the database would hold them); the last ones check the cached
selector against a loaded database.
"""

from __future__ import annotations

import copy
import random

import pytest

from labeling.taxonomy import snapshot as snapshot_module
from labeling.taxonomy.fixture import taxonomy_derive
from labeling.taxonomy.search import (
    ClassRecord,
    ClassSearchIndex,
    edit_distance,
    normalize,
    phonetic_key,
    typo_bound,
)
from labeling.taxonomy.services import taxonomy_load
from labeling.taxonomy.snapshot import (
    PATH_SEPARATOR,
    TaxonomySnapshot,
    class_search_index,
    taxonomy_snapshot,
    taxonomy_snapshot_from_rows,
)

CHIHUAHUA = "n02085620"
NORFOLK_TERRIER = "n02094114"
TENCH = "n01440764"
BEAGLE = "n02088364"
BAGEL = "n07693725"
CONSOMME = "n07584110"
CRANE_BIRD = "n02012849"
CRANE_MACHINE = "n03126707"
TUSKER = "n01871265"


@pytest.fixture(scope="session")
def snapshot(committed_document) -> TaxonomySnapshot:
    derived = taxonomy_derive(document=committed_document)
    rows = [
        {"id": number, "wnid": wnid, **fields}
        for number, (wnid, fields) in enumerate(derived["fields"].items(), start=1)
    ]
    return taxonomy_snapshot_from_rows(rows=rows, edges=derived["edges"])


@pytest.fixture(scope="session")
def index(snapshot) -> ClassSearchIndex:
    return snapshot.search_index


def wnids(index: ClassSearchIndex, query: str, limit: int = 20) -> list[str]:
    return [hit.record.wnid for hit in index.search(query, limit)]


# --- typos -------------------------------------------------------------------------------------


def test_chihuahua_spelt_by_ear_is_found_first(index):
    hits = index.search("chiwawa")
    assert hits[0].record.wnid == CHIHUAHUA
    assert (hits[0].tier_name, hits[0].match_kind) == ("typo", "typo")


def test_terier_finds_only_terriers_at_the_top(index):
    top = index.search("terier", 5)
    assert len(top) == 5
    assert all("terrier" in hit.record.name.lower() for hit in top)


def test_a_typo_prefers_the_name_that_starts_the_same(index):
    # beagel is one edit from beagle (swap) and from bagel (drop): the shared start decides.
    found = wnids(index, "beagel")
    assert found.index(BEAGLE) < found.index(BAGEL)
    assert found[0] == BEAGLE


@pytest.mark.parametrize(
    ("query", "wnid"),
    [
        ("labrador retreiver", "n02099712"),
        ("goldfisch", "n01443537"),
        ("hammerhed shark", "n01494475"),
        ("polar bar", "n02134084"),  # the synonym polar bear of ice bear
        ("norfolk terier", NORFOLK_TERRIER),
        ("kuala", "n01882714"),  # koala
    ],
)
def test_one_or_two_typos_still_find_the_class(index, query, wnid):
    assert wnids(index, query, 5)[0] == wnid


def test_an_exact_match_suppresses_typo_guesses(index):
    # tabby is a class; table is a typo away but must not be offered.
    hits = index.search("tabby")
    assert [hit.record.name for hit in hits] == ["tabby"]


def test_after_an_exact_match_other_classes_come_only_by_their_gloss(index):
    hits = index.search("barrel")
    assert hits[0].tier_name == "exact"
    scored = [hit for hit in hits if hit.tier_name in ("gloss", "typo", "partial")]
    assert scored and {hit.tier_name for hit in scored} == {"gloss"}
    assert all("barrel" in hit.words for hit in scored)


def test_gibberish_finds_nothing(index):
    assert index.search("qqqq") == []
    assert index.search("   ") == []
    assert index.search("?!") == []


# --- what people call things: a word more or different, typos across words -------------------

BULLFROG = "n01641577"
LOGGERHEAD = "n01664065"
COMMON_IGUANA = "n01677366"
AMERICAN_CHAMELEON = "n01682714"
FRILLED_LIZARD = "n01688243"
OSTRICH = "n01518878"
ROCK_PYTHON = "n01744401"
GREAT_GREY_OWL = "n01622779"
SEA_SLUG = "n01950731"
CHAMBERED_NAUTILUS = "n01968897"
CELLULAR_TELEPHONE = "n02992529"
BIB = "n02834397"


@pytest.mark.parametrize(
    ("query", "wnid"),
    [
        ("American bullfrog", BULLFROG),
        ("loggerhead sea turtle", LOGGERHEAD),
        ("green iguana", COMMON_IGUANA),
        ("Carolina anole", AMERICAN_CHAMELEON),
        ("frilled-necked lizard", FRILLED_LIZARD),
        ("common ostrich", OSTRICH),
        ("African rock python", ROCK_PYTHON),
    ],
)
def test_a_name_with_a_word_more_or_different_finds_the_class_first(index, query, wnid):
    hit = index.search(query)[0]
    assert (hit.record.wnid, hit.tier_name) == (wnid, "partial")


def test_the_rarer_matched_word_ranks_first(index):
    # "bullfrog" names one class, "American" starts a dozen names.
    hits = index.search("American bullfrog")
    assert hits[0].record.wnid == BULLFROG
    assert hits[0].words == ("bullfrog",)
    assert all(hit.words == ("american",) for hit in hits[1:5])


def test_more_matched_words_rank_first(index):
    hits = index.search("African rock python")
    assert hits[0].words == ("rock", "python")
    assert all(len(hit.words) == 1 for hit in hits[1:])


def test_a_result_found_through_a_synonym_shows_the_synonym(index):
    hit = index.search("Carolina anole")[0]
    assert hit.record.name == "American chameleon"
    assert (hit.matched, hit.field, hit.words) == ("anole", "synonym", ("anole",))


def test_a_word_the_names_lack_counts_in_the_gloss(index):
    # Both cranes are named "crane"; only the bird's gloss says "bird".
    hits = index.search("crane bird")
    assert hits[0].record.wnid == CRANE_BIRD
    assert hits[0].gloss_words == ("bird",)
    assert hits[1].record.wnid == CRANE_MACHINE


def test_words_typed_apart_or_together_are_read_as_one_or_two(index):
    assert index.search("bull frog")[0].record.wnid == BULLFROG
    assert index.search("greatgrey owl")[0].record.wnid == GREAT_GREY_OWL
    assert (
        index.search("hairspgray")[0].record.name == "hair spray"
    )  # a typo in a run-together name


@pytest.mark.parametrize(
    ("query", "wnid"),
    [
        ("chamberedwnautilus", CHAMBERED_NAUTILUS),  # a letter typed for the space
        ("cellularztelephone", CELLULAR_TELEPHONE),
    ],
)
def test_a_letter_typed_for_a_space_still_finds_both_words(index, query, wnid):
    hit = index.search(query)[0]
    assert (hit.record.wnid, hit.tier_name) == (wnid, "typo")
    assert len(hit.words) == 2


@pytest.mark.parametrize(
    ("query", "wnid"),
    [("great grey wl", GREAT_GREY_OWL), ("sa slug", SEA_SLUG), ("sea sl ug", SEA_SLUG)],
)
def test_a_typo_in_a_short_word_is_forgiven_beside_the_others(index, query, wnid):
    assert wnids(index, query, 1) == [wnid]


def test_a_word_of_two_letters_may_carry_a_typo_on_its_own(index):
    assert wnids(index, "jx", 5)[0] == "n02403003"  # ox


def test_a_prefix_does_not_hide_a_typo_but_comes_first(index):
    # "bic" starts bicycle-built-for-two, and is one letter from bib.
    found = wnids(index, "bic", 5)
    assert found[0] == "n02835271"
    assert BIB in found


# --- what a person meant ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "wnid"),
    [
        ("norwich", "n02094258"),  # the only name it starts
        ("Norfolk terrier", NORFOLK_TERRIER),
        ("chiwawa", CHIHUAHUA),  # a typo far ahead of the next guess
        ("American bullfrog", BULLFROG),
        (NORFOLK_TERRIER, NORFOLK_TERRIER),
        ("151", CHIHUAHUA),
    ],
)
def test_a_name_that_means_one_class_resolves_to_it(index, query, wnid):
    meant, candidates = index.resolve(query)
    assert meant is not None and meant.record.wnid == wnid
    assert candidates[0] == meant


def test_two_exact_matches_resolve_to_neither_and_offer_both(index):
    meant, candidates = index.resolve("crane")
    assert meant is None
    assert {hit.record.wnid for hit in candidates} == {CRANE_BIRD, CRANE_MACHINE}


def test_a_word_many_names_share_offers_the_best_candidates(index):
    meant, candidates = index.resolve("terrier", limit=5)
    assert meant is None
    assert len(candidates) == 5
    assert all("terrier" in hit.record.name.lower() for hit in candidates)


def test_close_scores_resolve_to_neither(index):
    meant, candidates = index.resolve("crane bird")
    assert meant is None
    assert [hit.record.wnid for hit in candidates[:2]] == [CRANE_BIRD, CRANE_MACHINE]


def test_nothing_resolves_gibberish(index):
    assert index.resolve("zzqx") == (None, [])


def test_a_small_index_forgives_typos_as_the_full_one_does():
    # Weights are scaled to the full taxonomy's, so a typo costs no more in a study's subset.
    records = [
        ClassRecord(wnid, i, name, name, (), "", "object", ())
        for i, (wnid, name) in enumerate([("n03642806", "laptop"), (NORFOLK_TERRIER, "Norfolk")])
    ]
    assert ClassSearchIndex(records).search("laptp")[0].record.wnid == "n03642806"


# --- names, synonyms, wnids --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "wnid", "kind"),
    [
        ("Tinca tinca", TENCH, "synonym"),
        ("tusker", TUSKER, "name"),
        ("man-eater", "n01484850", "synonym"),
        ("beigel", BAGEL, "synonym"),
        ("n02094114", NORFOLK_TERRIER, "wnid"),
        ("151", CHIHUAHUA, "index"),
    ],
)
def test_names_synonyms_wnids_and_indexes_match_exactly(index, query, wnid, kind):
    hit = index.search(query)[0]
    assert (hit.record.wnid, hit.tier_name, hit.match_kind) == (wnid, "exact", kind)


def test_the_start_of_a_wnid_lists_the_classes_it_begins(index):
    hits = index.search("n0209411")
    assert NORFOLK_TERRIER in [hit.record.wnid for hit in hits]
    assert {(hit.tier_name, hit.match_kind) for hit in hits} == {("prefix", "wnid")}


def test_accents_are_ignored(index):
    # The lemma is "consomme"; a user typing the French spelling finds it.
    hit = index.search("consommé")[0]
    assert (hit.record.wnid, hit.tier_name, hit.matched) == (CONSOMME, "exact", "consomme")
    assert index.search("Chihuáhua")[0].record.wnid == CHIHUAHUA


def test_case_is_ignored(index):
    assert index.search("CHIHUAHUA")[0].record.wnid == CHIHUAHUA
    assert index.search("nOrFoLk TERRIER")[0].record.wnid == NORFOLK_TERRIER


def test_spaces_and_punctuation_do_not_matter(index):
    assert index.search("jelly fish")[0].record.name == "jellyfish"
    assert index.search("shihtzu")[0].record.name == "Shih-Tzu"
    assert index.search("potters wheel")[0].record.name == "potter's wheel"


def test_words_may_be_started_in_any_order(index):
    hit = index.search("terrier norf")[0]
    assert (hit.record.wnid, hit.tier_name) == (NORFOLK_TERRIER, "word prefix")
    assert index.search("norfolk t")[0].tier_name == "prefix"


def test_a_gloss_phrase_finds_the_class_it_describes(index):
    hits = index.search("wading bird")
    assert CRANE_BIRD in [hit.record.wnid for hit in hits[:5]]
    assert all(hit.tier_name == "gloss" for hit in hits[:5])
    assert hits[0].words == ("wading", "bird")


def test_both_cranes_are_found_with_different_display_names(index):
    hits = index.search("crane")[:2]
    assert {hit.record.wnid for hit in hits} == {CRANE_BIRD, CRANE_MACHINE}
    assert all(hit.tier_name == "exact" for hit in hits)
    assert hits[0].record.display_name != hits[1].record.display_name
    assert all(hit.record.display_name.startswith("crane (") for hit in hits)


# --- ranking -----------------------------------------------------------------------------------

TIER_ORDER = ["exact", "prefix", "word prefix", "substring"]
SCORED = {"gloss", "typo", "partial"}


def test_tiers_come_exact_prefix_word_prefix_substring_then_scored(index):
    hits = index.search("light", 100)
    typed = [hit.tier_name for hit in hits if hit.tier_name in TIER_ORDER]
    assert typed == sorted(typed, key=TIER_ORDER.index)
    assert set(typed) == set(TIER_ORDER)
    assert [hit.tier_name in SCORED for hit in hits] == sorted(
        hit.tier_name in SCORED for hit in hits
    )
    assert hits[0].tier_name == "exact"


def test_scored_results_are_ordered_by_score(index):
    hits = [hit for hit in index.search("ape", 100) if hit.tier_name in SCORED]
    assert {"gloss", "typo"} <= {hit.tier_name for hit in hits}
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_within_a_tier_the_primary_name_beats_a_synonym_and_short_beats_long(index):
    prefixes = [hit for hit in index.search("cat", 100) if hit.tier_name == "prefix"]
    kinds = [hit.match_kind for hit in prefixes]
    assert kinds == sorted(kinds, key=["name", "synonym"].index)
    names = [len(normalize(hit.matched)) for hit in prefixes if hit.match_kind == "name"]
    assert names == sorted(names)


def test_the_limit_caps_the_results(index):
    assert len(index.search("s", 7)) == 7
    assert len(index.search("s", 100)) == 100


# --- short paths -------------------------------------------------------------------------------


def test_the_short_path_is_hub_parent_class(index):
    record = index.search("Norfolk terrier")[0].record
    assert record.path == ("dog", "terrier", "Norfolk terrier")
    assert PATH_SEPARATOR.join(record.path) == "dog \u203a terrier \u203a Norfolk terrier"
    assert record.path_wnids == ("n02084071", "n02092468", NORFOLK_TERRIER)


def test_the_short_path_names_a_specific_region_not_a_top_level_node(index):
    assert index.search("bagel")[0].record.path == ("food", "bun", "bagel")
    assert index.search("seashore")[0].record.path == ("geological formation", "shore", "seashore")


def test_without_a_big_enough_ancestor_the_short_path_is_parent_and_class(index, snapshot):
    record = index.search("tusker")[0].record
    assert len(record.path) == 2
    parent = snapshot.nodes[record.path_wnids[0]]
    assert parent.wnid in snapshot.nodes[record.wnid].parents


def test_the_primary_path_is_a_shortest_one(snapshot):
    # Norfolk terrier reaches the root through domestic animal (12 nodes) and through
    # carnivore (17): the primary path is the short one.
    path = snapshot.primary_path(NORFOLK_TERRIER)
    assert [node.name for node in path][6:9] == ["animal", "domestic animal", "dog"]
    assert len(path) == min(len(p) for p in snapshot.paths(NORFOLK_TERRIER))


def test_the_class_in_a_path_shows_its_display_name(index):
    paths = {hit.record.path[-1] for hit in index.search("crane")[:2]}
    assert len(paths) == 2


# --- the tree ----------------------------------------------------------------------------------


def test_collapsing_replaces_a_single_child_chain_by_its_end(snapshot):
    whole = "n00003553"
    faithful = [child.node.name for child in snapshot.children(whole)]
    collapsed = {c.node.name: c.collapsed for c in snapshot.children(whole, collapse=True)}
    assert "living thing" in faithful and "organism" not in faithful
    assert collapsed["organism"] == ("n00004258",)  # living thing, skipped
    assert "living thing" not in collapsed


def test_two_chains_ending_at_the_same_node_list_it_once(snapshot):
    contestant = "n09613191"
    items = snapshot.children(contestant, collapse=True)
    assert [(item.node.name, len(item.collapsed)) for item in items] == [("ballplayer", 2)]


def test_a_class_is_never_collapsed(snapshot):
    for item in snapshot.children("n03183080", collapse=True):  # device
        if item.node.wnid == "n03666591":  # lighter, a class among the children
            assert item.collapsed == ()
            break
    else:
        pytest.fail("lighter is missing under device")


# --- the algorithms underneath -----------------------------------------------------------------


def _table_distance(a: str, b: str) -> int:
    rows = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


def test_the_bit_parallel_edit_distance_agrees_with_the_table():
    rng = random.Random(3)
    for _ in range(3000):
        a = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 10)))
        b = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 10)))
        for limit in (1, 2, 30):
            assert edit_distance(a, b, limit) == min(_table_distance(a, b), limit + 1), (a, b)


def test_a_swap_of_neighbours_is_one_edit():
    assert edit_distance("beagel", "beagle", 2) == 1


def test_words_that_sound_alike_share_a_phonetic_key():
    assert phonetic_key("chihuahua") == phonetic_key("chiwawa")
    assert phonetic_key("terrier") == phonetic_key("terier")


def test_short_words_tolerate_fewer_typos():
    assert typo_bound(2, 3) == 0
    assert typo_bound(3, 3) == 1
    assert typo_bound(5, 5) == 1
    assert typo_bound(7, 9) == 2
    assert typo_bound(9, 4) == 2


# --- the cached selector, on the database ------------------------------------------------------


def test_the_selector_builds_the_index_from_the_database(loaded, index):
    from_db = class_search_index()
    assert len(from_db.records) == 1000
    assert from_db.records == index.records
    assert from_db.search("chiwawa")[0].record.wnid == CHIHUAHUA


def test_a_warm_index_costs_no_query_and_a_check_costs_one(
    loaded, monkeypatch, django_assert_num_queries
):
    first = class_search_index()
    with django_assert_num_queries(0):
        assert class_search_index() is first
    monkeypatch.setattr(snapshot_module, "CHECK_SECONDS", 0.0)
    with django_assert_num_queries(1):  # the fingerprint only: nothing changed
        assert class_search_index() is first


def test_the_index_is_rebuilt_when_the_taxonomy_changes(loaded, committed_document, monkeypatch):
    assert class_search_index().search("zzyzx") == []
    monkeypatch.setattr(snapshot_module, "CHECK_SECONDS", 0.0)
    document = copy.deepcopy(committed_document)
    tench = next(item for item in document["synsets"] if item["wnid"] == TENCH)
    tench["lemmas"].append("zzyzx")  # an in-place edit: no row added or removed
    taxonomy_load(document=document)
    hit = class_search_index().search("zzyzx")[0]
    assert (hit.record.wnid, hit.match_kind) == (TENCH, "synonym")


def test_the_snapshot_is_empty_without_a_taxonomy(db):
    assert taxonomy_snapshot().nodes == {}
    assert class_search_index().search("tench") == []


def test_letters_that_only_sound_like_a_name_after_another_typo_find_nothing(index):
    # "zzqx" sounds like "sax" only with a further edit, and starts with another letter.
    assert index.search("zzqx", 5) == []
