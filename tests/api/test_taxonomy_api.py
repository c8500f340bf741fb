"""Every role browses the ImageNet classes and the WordNet tree above them through the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from labeling.accounts.roles import Role
from labeling.taxonomy.fixture import taxonomy_fixture_path, taxonomy_read
from labeling.taxonomy.models import Hypernymy, Synset, SynsetClosure
from labeling.taxonomy.services import taxonomy_load
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from tests.helpers import api_client_for, login, make_user

ENTITY = "n00001740"
DOG = "n02084071"
TERRIER = "n02092468"
NORFOLK_TERRIER = "n02094114"
CHIHUAHUA = "n02085620"
# accordion is both a free-reed and a keyboard instrument
ACCORDION = "n02672831"
FREE_REED = "n03393324"
KEYBOARD_INSTRUMENT = "n03614532"
WHOLE = "n00003553"
LIVING_THING = "n00004258"
ORGANISM = "n00004475"
CLASS_FIELDS = {"wnid", "index", "name", "display_name", "lemmas", "gloss", "group"}
NODE_FIELDS = {"wnid", "name", "display_name", "class_count", "is_class", "child_count"}


@pytest.fixture(scope="module")
def taxonomy(django_db_setup, django_db_blocker):
    """The committed taxonomy, loaded once for this module (about a second on SQLite, more on
    PostgreSQL, per load) and removed afterwards: other modules expect an empty database. Each
    test's own writes still roll back. The cached snapshot stays valid for the whole module."""
    with django_db_blocker.unblock():
        taxonomy_load(document=taxonomy_read(path=taxonomy_fixture_path()))
    taxonomy_snapshot_clear()
    yield
    taxonomy_snapshot_clear()
    with django_db_blocker.unblock():
        SynsetClosure.objects.all().delete()
        Hypernymy.objects.all().delete()
        Synset.objects.all().delete()


@pytest.fixture
def loaded(taxonomy, db) -> None:
    """A database holding the taxonomy."""


@pytest.fixture
def api(loaded, researcher) -> APIClient:
    return api_client_for(researcher)


# --- classes -----------------------------------------------------------------------------------


def test_all_1000_classes_are_listed_in_index_order(api):
    first = api.get("/api/classes/").json()
    assert first["count"] == 1000
    assert [item["index"] for item in first["results"]] == list(range(100))
    last = api.get("/api/classes/?page=10").json()
    assert last["results"][-1]["index"] == 999
    assert last["next"] is None
    assert api.get("/api/classes/?group=").json()["count"] == 1000


@pytest.mark.parametrize(("group", "count"), [("dog", 118), ("organism", 410), ("object", 590)])
def test_groups_have_the_studys_class_counts(api, group, count):
    response = api.get(f"/api/classes/?group={group}&page_size=1000")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == count
    assert len(data["results"]) == count
    groups = {item["group"] for item in data["results"]}
    # Stored groups are exclusive; the study's organism group includes the dogs.
    assert groups == ({"dog", "organism"} if group == "organism" else {group})


def test_a_class_item_has_its_names_lemmas_gloss_and_group(api):
    item = api.get("/api/classes/?group=dog&page_size=1").json()["results"][0]
    assert set(item) == CLASS_FIELDS
    assert item["group"] == "dog"
    assert isinstance(item["lemmas"], list)


def test_an_unknown_group_is_a_400_naming_the_parameter(api):
    response = api.get("/api/classes/?group=plant")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "plant" in response.json()["group"][0]


def test_one_class_has_wikipedia_paths_and_parents(api):
    response = api.get(f"/api/classes/{NORFOLK_TERRIER}/")
    assert response.status_code == 200
    data = response.json()
    assert CLASS_FIELDS <= set(data)
    assert data["name"] == "Norfolk terrier"
    assert data["wikipedia"] == ["https://en.wikipedia.org/wiki/Norfolk_Terrier"]
    assert data["parents"] == [{"wnid": TERRIER, "name": "terrier"}]
    assert data["path"] == "dog \u203a terrier \u203a Norfolk terrier"
    assert len(data["paths"]) >= 2
    for path in data["paths"]:
        assert path[0]["wnid"] == ENTITY
        assert path[-1]["wnid"] == NORFOLK_TERRIER


def test_a_class_with_two_parents_lists_both(api):
    data = api.get(f"/api/classes/{ACCORDION}/").json()
    assert {p["wnid"] for p in data["parents"]} == {FREE_REED, KEYBOARD_INSTRUMENT}
    assert {path[-2]["wnid"] for path in data["paths"]} == {FREE_REED, KEYBOARD_INSTRUMENT}


@pytest.mark.parametrize("wnid", ["n99999999", "not-a-wnid", DOG])
def test_an_unknown_wnid_or_an_ancestor_is_a_404_in_json(api, wnid):
    response = api.get(f"/api/classes/{wnid}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert wnid in response.json()["detail"]


def test_a_class_costs_one_query_beyond_authentication_once_warm(
    api, django_assert_max_num_queries
):
    api.get(f"/api/classes/{NORFOLK_TERRIER}/")  # warms the snapshot
    with django_assert_max_num_queries(3):  # token with roles, the class (+ the fingerprint)
        assert api.get(f"/api/classes/{CHIHUAHUA}/").status_code == 200


@pytest.fixture
def forget_snapshot_afterwards():
    yield
    taxonomy_snapshot_clear()


def test_a_class_the_cached_snapshot_lacks_yet_is_found_at_once(api, forget_snapshot_afterwards):
    api.get(f"/api/classes/{NORFOLK_TERRIER}/")  # warms the snapshot
    # A change the snapshot's fingerprint cannot see: the class is in the database only.
    Synset.objects.filter(wnid=CHIHUAHUA).update(wnid="n99999998")
    response = api.get("/api/classes/n99999998/")
    assert response.status_code == 200
    assert response.json()["name"] == "Chihuahua"


# --- search ------------------------------------------------------------------------------------


def test_search_returns_ranked_classes_with_group_path_and_match(api):
    response = api.get("/api/classes/search/", {"q": "chiwawa"})
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert set(first) == CLASS_FIELDS | {"path", "path_nodes", "match"}
    assert first["wnid"] == CHIHUAHUA
    assert first["group"] == "dog"
    assert first["path"] == "dog \u203a toy dog \u203a Chihuahua"
    assert [node["name"] for node in first["path_nodes"]] == ["dog", "toy dog", "Chihuahua"]
    assert first["match"] == {
        "tier": "typo",
        "kind": "typo",
        "text": "Chihuahua",
        "field": "name",
        "words": ["chihuahua"],
        "gloss_words": [],
    }


def test_search_finds_the_terriers_for_terier(api):
    results = api.get("/api/classes/search/?q=terier&limit=5").json()["results"]
    assert len(results) == 5
    assert all("terrier" in item["name"].lower() for item in results)


def test_search_by_wnid_gives_the_class_with_its_short_path(api):
    first = api.get(f"/api/classes/search/?q={NORFOLK_TERRIER}").json()["results"][0]
    assert first["wnid"] == NORFOLK_TERRIER
    assert first["match"]["tier"] == "exact"
    assert (first["match"]["kind"], first["match"]["text"]) == ("wnid", NORFOLK_TERRIER)
    assert first["path"] == "dog \u203a terrier \u203a Norfolk terrier"
    assert first["path_nodes"][0] == {"wnid": DOG, "name": "dog"}


def test_search_matches_synonyms_accents_and_case(api):
    def first(query: str) -> dict:
        return api.get("/api/classes/search/", {"q": query}).json()["results"][0]

    match = first("Tinca tinca")["match"]
    assert (match["tier"], match["kind"], match["text"]) == ("exact", "synonym", "Tinca tinca")
    assert first("consommé")["name"] == "consomme"
    assert first("NORFOLK TERRIER")["wnid"] == NORFOLK_TERRIER


def test_search_returns_both_cranes_with_different_display_names(api):
    results = api.get("/api/classes/search/?q=crane").json()["results"][:2]
    assert [item["name"] for item in results] == ["crane", "crane"]
    assert results[0]["display_name"] != results[1]["display_name"]
    assert {item["group"] for item in results} == {"organism", "object"}


def test_search_limit_defaults_to_20_and_allows_100(api):
    assert len(api.get("/api/classes/search/?q=s").json()["results"]) == 20
    assert len(api.get("/api/classes/search/?q=s&limit=100").json()["results"]) == 100


def test_search_says_which_synonym_and_words_matched(api):
    first = api.get("/api/classes/search/", {"q": "Carolina anole"}).json()["results"][0]
    assert first["name"] == "American chameleon"
    assert first["match"] == {
        "tier": "partial",
        "kind": "synonym",
        "text": "anole",
        "field": "synonym",
        "words": ["anole"],
        "gloss_words": [],
    }


def test_search_says_which_gloss_words_helped(api):
    first = api.get("/api/classes/search/", {"q": "crane bird"}).json()["results"][0]
    assert first["group"] == "organism"
    assert (first["match"]["words"], first["match"]["gloss_words"]) == (["crane"], ["bird"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("?q=", "q"),
        ("?q=%20%20", "q"),
        (f"?q={'x' * 201}", "q"),
        ("?q=dog&limit=0", "limit"),
        ("?q=dog&limit=101", "limit"),
        ("?q=dog&limit=ten", "limit"),
        ("?q=dog&limit=%C2%B2", "limit"),  # a superscript two is a digit to Python, not a number
    ],
)
def test_a_missing_query_or_a_bad_limit_is_a_400_naming_the_parameter(api, query, field):
    response = api.get(f"/api/classes/search/{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [field]
    assert response.json()[field][0]


def test_search_costs_at_most_one_query_beyond_authentication(api, django_assert_max_num_queries):
    api.get("/api/classes/search/?q=terrier")  # builds the index
    # The token with its user and roles is one statement; the fingerprint check at most one more.
    with django_assert_max_num_queries(2):
        response = api.get("/api/classes/search/?q=chiwawa")
    assert response.status_code == 200


# --- the tree ----------------------------------------------------------------------------------


def test_the_root_is_entity_with_its_children(api):
    data = api.get("/api/taxonomy/").json()
    [root] = data["roots"]
    assert root["wnid"] == ENTITY
    assert root["class_count"] == 1000
    assert [child["name"] for child in root["children"]] == ["abstraction", "physical entity"]
    assert NODE_FIELDS <= set(root["children"][0])


def test_children_are_sorted_by_name_with_counts(api):
    data = api.get(f"/api/taxonomy/{TERRIER}/children/").json()
    assert data["node"]["wnid"] == TERRIER
    names = [child["name"] for child in data["children"]]
    assert names == sorted(names, key=str.lower)
    assert "Norfolk terrier" in names
    for child in data["children"]:
        assert set(child) == NODE_FIELDS
    norfolk = next(child for child in data["children"] if child["wnid"] == NORFOLK_TERRIER)
    assert norfolk["is_class"] is True
    assert (norfolk["class_count"], norfolk["child_count"]) == (1, 0)


def test_a_class_with_two_parents_is_a_child_of_both(api):
    for parent in (FREE_REED, KEYBOARD_INSTRUMENT):
        children = api.get(f"/api/taxonomy/{parent}/children/").json()["children"]
        assert ACCORDION in [child["wnid"] for child in children]
        classes = api.get(f"/api/taxonomy/{parent}/classes/").json()["results"]
        assert ACCORDION in [item["wnid"] for item in classes]


def test_without_collapse_the_api_shows_the_faithful_graph(api):
    children = api.get(f"/api/taxonomy/{WHOLE}/children/").json()["children"]
    living = next(child for child in children if child["wnid"] == LIVING_THING)
    assert living["child_count"] == 1
    assert "collapsed" not in living


def test_collapse_replaces_single_child_chains_by_their_end(api):
    children = api.get(f"/api/taxonomy/{WHOLE}/children/?collapse=1").json()["children"]
    wnids = [child["wnid"] for child in children]
    assert LIVING_THING not in wnids
    organism = next(child for child in children if child["wnid"] == ORGANISM)
    assert organism["collapsed"] == [LIVING_THING]
    assert all("collapsed" in child for child in children)
    names = [child["name"] for child in children]
    assert names == sorted(names, key=str.lower)


def test_collapse_skips_a_chain_of_several_nodes(api):
    device = "n03183080"
    children = api.get(f"/api/taxonomy/{device}/children/?collapse=1").json()["children"]
    transducer = next(c for c in children if c["name"] == "electro-acoustic transducer")
    assert len(transducer["collapsed"]) == 2  # electrical device, transducer


@pytest.mark.parametrize("url", ["/api/taxonomy/", f"/api/taxonomy/{WHOLE}/children/"])
def test_a_bad_collapse_flag_is_a_400_naming_the_parameter(api, url):
    response = api.get(f"{url}?collapse=maybe")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["collapse"][0]


def test_children_cost_no_query_beyond_authentication_once_warm(api, django_assert_max_num_queries):
    api.get(f"/api/taxonomy/{ENTITY}/children/")  # builds the snapshot
    with django_assert_max_num_queries(3):  # token + role (+ the fingerprint every few seconds)
        response = api.get(f"/api/taxonomy/{DOG}/children/?collapse=1")
    assert response.status_code == 200


def test_paths_lists_every_path_root_first(api):
    paths = api.get(f"/api/taxonomy/{ACCORDION}/paths/").json()["paths"]
    assert len(paths) == 2
    for path in paths:
        assert path[0] == {"wnid": ENTITY, "name": "entity"}
        assert path[-1] == {"wnid": ACCORDION, "name": "accordion"}
    root_paths = api.get(f"/api/taxonomy/{ENTITY}/paths/").json()["paths"]
    assert root_paths == [[{"wnid": ENTITY, "name": "entity"}]]


def test_classes_under_a_node_are_its_descendant_classes(api, django_assert_max_num_queries):
    api.get(f"/api/taxonomy/{DOG}/children/")  # warms the snapshot used to 404 unknown nodes
    with django_assert_max_num_queries(5):  # token, role, count, page (+ fingerprint)
        data = api.get(f"/api/taxonomy/{DOG}/classes/?page_size=50").json()
    assert data["count"] == 118
    assert len(data["results"]) == 50
    indexes = [item["index"] for item in data["results"]]
    assert indexes == sorted(indexes)
    assert api.get(f"/api/taxonomy/{NORFOLK_TERRIER}/classes/").json()["count"] == 1


@pytest.mark.parametrize("suffix", ["children/", "paths/", "classes/"])
def test_an_unknown_node_is_a_404_in_json(api, suffix):
    response = api.get(f"/api/taxonomy/n99999999/{suffix}")
    assert response.status_code == 404
    assert "n99999999" in response.json()["detail"]


def test_the_class_list_costs_two_queries_beyond_authentication(api, django_assert_num_queries):
    with django_assert_num_queries(3):  # token with user and roles, count, page
        response = api.get("/api/classes/?group=dog")
    assert response.json()["count"] == 118


# --- who may read ------------------------------------------------------------------------------

ENDPOINTS = [
    "/api/classes/",
    "/api/classes/search/?q=dog",
    f"/api/classes/{NORFOLK_TERRIER}/",
    "/api/taxonomy/",
    f"/api/taxonomy/{DOG}/children/",
    f"/api/taxonomy/{DOG}/paths/",
    f"/api/taxonomy/{DOG}/classes/",
]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_read(loaded, role):
    client = api_client_for(make_user(f"user-{role.value}", role))
    for url in ENDPOINTS:
        assert client.get(url).status_code == 200, url


def test_session_login_works_too(loaded, annotator):
    client = login(annotator)
    response = client.get("/api/classes/search/?q=tench")
    assert response.status_code == 200
    assert response.json()["results"][0]["name"] == "tench"


def test_anonymous_requests_get_a_401_in_json(loaded):
    for url in ENDPOINTS:
        response = APIClient().get(url)
        assert response.status_code == 401, url
        assert "detail" in response.json()


def test_a_user_without_a_role_gets_a_403_in_json(loaded, outsider):
    client = api_client_for(outsider)
    for url in ENDPOINTS:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "role" in response.json()["detail"]


# --- the schema documents what the views check --------------------------------------------------


@pytest.fixture
def schema(researcher) -> dict:
    return api_client_for(researcher).get("/api/schema/?format=json").json()


def _parameters(schema: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"].get("parameters", [])}


def test_the_schema_documents_the_search_parameters_and_their_bounds(schema):
    parameters = _parameters(schema, "/api/classes/search/")
    assert parameters["q"]["required"] is True
    assert parameters["q"]["schema"]["maxLength"] == 200
    limit = parameters["limit"]["schema"]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == (
        "integer",
        1,
        100,
        20,
    )


def test_the_schema_documents_the_group_choices_and_the_collapse_flag(schema):
    groups = _parameters(schema, "/api/classes/")["group"]["schema"]["enum"]
    assert {"dog", "organism", "object"} <= set(groups) <= {"dog", "organism", "object", ""}
    for path in ("/api/taxonomy/", "/api/taxonomy/{wnid}/children/"):
        assert _parameters(schema, path)["collapse"]["schema"]["type"] == "boolean"


@pytest.mark.parametrize(
    "path",
    ["/api/classes/search/", "/api/classes/", "/api/taxonomy/", "/api/taxonomy/{wnid}/children/"],
)
def test_the_schema_documents_the_400_of_every_endpoint_with_parameters(schema, path):
    assert "400" in schema["paths"][path]["get"]["responses"]


def test_the_schema_documents_what_a_search_result_says_matched(schema):
    match = schema["components"]["schemas"]["Match"]["properties"]
    assert {"tier", "kind", "text", "field", "words", "gloss_words"} <= set(match)
