"""The taxonomy fixture (fixtures/taxonomy.json): built from WordNet, written, read, checked.

The fixture holds only what WordNet says: the 1000 classes, every ancestor up to entity.n.01, and
the is-a edges. Everything derived (closure, depth, groups, counts, display names, search text) is
computed from it by `taxonomy_derive` at load time (labeling.taxonomy.services.taxonomy_load), so
the committed file stays small and reviewable. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings

from labeling.taxonomy.models import DOG_WNID, ORGANISM_WNID, ClassGroup
from labeling.taxonomy.text import WNID_RE, fold

FORMAT = 1
WORDNET_VERSION = "3.0"
CLASS_COUNT = 1000
SYNSET_KEYS = ("wnid", "nltk_name", "name", "lemmas", "gloss", "class_index", "hypernyms")
GLOSS_WORDS = 4  # words of the gloss that disambiguate a name when no other lemma does


class TaxonomyError(Exception):
    """The class list or the fixture is unusable. The message says what and where, on one line."""


def taxonomy_fixture_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "taxonomy.json"


def taxonomy_classes_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "imagenet_classes.tsv"


# --- Building the fixture from WordNet -------------------------------------------------------


def _wnid(synset) -> str:
    return f"n{synset.offset():08d}"


def _classes_read(*, classes_tsv: Path) -> list[tuple[int, str, str]]:
    """The (index, wnid, name) rows of the class list, checked for shape and order."""
    try:
        with open(classes_tsv, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t"))
    except OSError as error:
        raise TaxonomyError(f"cannot read class list {classes_tsv}: {error.strerror}") from None
    if not rows or rows[0] != ["index", "wnid", "name"]:
        raise TaxonomyError(f"{classes_tsv}: first line must be the header index<TAB>wnid<TAB>name")
    classes: list[tuple[int, str, str]] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise TaxonomyError(f"{classes_tsv}:{line_number}: expected 3 tab-separated fields")
        index, wnid, name = row
        if index != str(len(classes)):
            raise TaxonomyError(
                f"{classes_tsv}:{line_number}: index {index!r}, expected {len(classes)}"
            )
        if not WNID_RE.match(wnid):
            raise TaxonomyError(f"{classes_tsv}:{line_number}: {wnid!r} is not a wnid")
        classes.append((int(index), wnid, name))
    if len(classes) != CLASS_COUNT:
        raise TaxonomyError(f"{classes_tsv}: {len(classes)} classes, expected {CLASS_COUNT}")
    return classes


def _is_a(synset) -> list:
    """Both kinds of is-a edge. WordNet 3.0 uses instance hypernyms for named entities (cities,
    people); no ImageNet class or ancestor has one (checked when building the fixture: all 1860
    nodes use plain hypernyms), but following them keeps the build right if that ever changed."""
    return synset.hypernyms() + synset.instance_hypernyms()


def taxonomy_build(*, classes_tsv: Path, wordnet=None) -> dict:
    """The fixture document: every class and all its ancestors, read from WordNet 3.0."""
    classes = _classes_read(classes_tsv=classes_tsv)  # a bad file fails fast, before WordNet
    if wordnet is None:
        from labeling.taxonomy.wordnet import wordnet_corpus  # loads nltk only when building

        wordnet = wordnet_corpus()
    nodes: dict[str, Any] = {}
    class_index_of: dict[str, int] = {}
    for index, wnid, name in classes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nltk warns and returns None for a bad offset
            synset = wordnet.synset_from_pos_and_offset("n", int(wnid[1:]))
        if synset is None:
            raise TaxonomyError(f"class {index}: {wnid} is not a WordNet 3.0 noun synset")
        lemma_name = synset.lemmas()[0].name().replace("_", " ")
        if lemma_name != name:
            raise TaxonomyError(
                f"class {index}: {wnid} is {lemma_name!r} in WordNet but {name!r} in the class list"
            )
        if wnid in class_index_of:
            raise TaxonomyError(f"class {index}: {wnid} is also class {class_index_of[wnid]}")
        class_index_of[wnid] = index
        nodes[wnid] = synset
    pending = list(nodes.values())
    while pending:
        for parent in _is_a(pending.pop()):
            if _wnid(parent) not in nodes:
                nodes[_wnid(parent)] = parent
                pending.append(parent)

    def entry(wnid: str) -> dict:
        synset = nodes[wnid]
        return {
            "wnid": wnid,
            "nltk_name": synset.name(),
            "name": synset.lemmas()[0].name().replace("_", " "),
            "lemmas": [lemma.name().replace("_", " ") for lemma in synset.lemmas()],
            "gloss": synset.definition(),
            "class_index": class_index_of.get(wnid),
            "hypernyms": sorted({_wnid(parent) for parent in _is_a(synset)}),
        }

    ancestors = sorted(wnid for wnid in nodes if wnid not in class_index_of)
    document = {
        "format": FORMAT,
        "wordnet_version": WORDNET_VERSION,
        "synsets": [entry(wnid) for _, wnid, _ in classes] + [entry(wnid) for wnid in ancestors],
    }
    taxonomy_validate(document=document)  # what the build writes, the load accepts
    return document


def taxonomy_serialize(*, document: dict) -> str:
    """Deterministic JSON: building twice from the same WordNet gives byte-identical files."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def taxonomy_write(*, document: dict, path: Path) -> bool:
    """Write the fixture (atomically). Returns whether the content changed."""
    text = taxonomy_serialize(document=document)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return True


def taxonomy_read(*, path: Path) -> dict:
    """The fixture document from a file, or a TaxonomyError saying why it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"fixture not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TaxonomyError(f"cannot read fixture {path}: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise TaxonomyError(
            f"fixture {path} is not valid JSON: {error.msg} at line {error.lineno}"
        ) from None


# --- Validating and deriving -----------------------------------------------------------------


def taxonomy_validate(*, document: Any) -> dict[str, dict]:
    """Check the document's shape and graph; return its synsets by wnid.

    Raises TaxonomyError on the first problem, naming the synset, before anything is written.
    """
    if not isinstance(document, dict):
        raise TaxonomyError("fixture must be a JSON object")
    if document.get("format") != FORMAT:
        raise TaxonomyError(f"fixture format {document.get('format')!r}, expected {FORMAT}")
    if document.get("wordnet_version") != WORDNET_VERSION:
        raise TaxonomyError(
            f"fixture is from WordNet {document.get('wordnet_version')!r}, "
            f"expected {WORDNET_VERSION}"
        )
    synsets = document.get("synsets")
    if not isinstance(synsets, list):
        raise TaxonomyError("fixture has no list of synsets")

    by_wnid: dict[str, dict] = {}
    class_wnid: dict[int, str] = {}
    for position, item in enumerate(synsets):
        where = f"synsets[{position}]"
        if not isinstance(item, dict) or any(key not in item for key in SYNSET_KEYS):
            raise TaxonomyError(f"{where}: must be an object with keys {', '.join(SYNSET_KEYS)}")
        wnid = item["wnid"]
        if not isinstance(wnid, str) or not WNID_RE.match(wnid):
            raise TaxonomyError(f"{where}: {wnid!r} is not a wnid (n + 8 digits)")
        where = f"synset {wnid}"
        if wnid in by_wnid:
            raise TaxonomyError(f"{where} appears twice")
        for key, limit in (("nltk_name", 120), ("name", 200)):
            if not isinstance(item[key], str) or not 0 < len(item[key]) <= limit:
                raise TaxonomyError(f"{where}: {key} must be text of 1 to {limit} characters")
        if not isinstance(item["gloss"], str):
            raise TaxonomyError(f"{where}: gloss must be text")
        for key in ("lemmas", "hypernyms"):
            value = item[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise TaxonomyError(f"{where}: {key} must be a list of text")
        if not item["lemmas"]:
            raise TaxonomyError(f"{where}: has no lemmas")
        if len(set(item["hypernyms"])) != len(item["hypernyms"]):
            raise TaxonomyError(f"{where}: lists a hypernym twice")
        index = item["class_index"]
        if index is not None:
            # bool is an int in Python; true/false in JSON is a mistake, not a class index
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 1000:
                raise TaxonomyError(f"{where}: class_index {index!r} is not in 0..999")
            if index in class_wnid:
                raise TaxonomyError(f"{where}: class_index {index} is also {class_wnid[index]}")
            class_wnid[index] = wnid
        by_wnid[wnid] = item
    if len(class_wnid) != CLASS_COUNT:
        raise TaxonomyError(f"fixture has {len(class_wnid)} classes, expected {CLASS_COUNT}")

    for wnid, item in by_wnid.items():
        for parent in item["hypernyms"]:
            if parent == wnid:
                raise TaxonomyError(f"synset {wnid} is its own hypernym")
            if parent not in by_wnid:
                raise TaxonomyError(
                    f"synset {wnid} has hypernym {parent}, which is not in the file"
                )
    roots = [wnid for wnid, item in by_wnid.items() if not item["hypernyms"]]
    _topological_order(by_wnid=by_wnid)  # raises on a cycle
    if len(roots) != 1:
        raise TaxonomyError(f"fixture must have one root, has {len(roots)}: {', '.join(roots)}")
    for wnid in (DOG_WNID, ORGANISM_WNID):
        if wnid not in by_wnid:
            raise TaxonomyError(f"fixture lacks {wnid}, which defines the class groups")
    return by_wnid


def _topological_order(*, by_wnid: dict[str, dict]) -> list[str]:
    """Wnids with every node after all its hypernyms (Kahn's algorithm); raises on a cycle."""
    missing_parents = {wnid: len(item["hypernyms"]) for wnid, item in by_wnid.items()}
    children: dict[str, list[str]] = defaultdict(list)
    for wnid, item in by_wnid.items():
        for parent in item["hypernyms"]:
            children[parent].append(wnid)
    ready = sorted(wnid for wnid, count in missing_parents.items() if count == 0)
    order: list[str] = []
    while ready:
        wnid = ready.pop()
        order.append(wnid)
        for child in children[wnid]:
            missing_parents[child] -= 1
            if missing_parents[child] == 0:
                ready.append(child)
    if len(order) != len(by_wnid):
        stuck = sorted(wnid for wnid, count in missing_parents.items() if count > 0)
        raise TaxonomyError(
            f"the hypernym graph has a cycle through {len(stuck)} synsets, e.g. "
            f"{', '.join(stuck[:5])}"
        )
    return order


def _gloss_excerpt(gloss: str) -> str:
    words = gloss.split()
    excerpt = " ".join(words[:GLOSS_WORDS])
    return excerpt + "…" if len(words) > GLOSS_WORDS else excerpt


def _display_names(*, by_wnid: dict[str, dict]) -> dict[str, str]:
    """Names, with a hint in parentheses where a name is shared.

    Classes are disambiguated among classes only (crane, maillot), so every other class keeps its
    plain ImageNet name. Ancestors are disambiguated among all nodes: the tree shows both tank.n.01
    (a class) and tank.n.02 (a vessel), and the ancestor is the one that gets the hint.
    """
    all_names = Counter(item["name"] for item in by_wnid.values())
    class_names = Counter(
        item["name"] for item in by_wnid.values() if item["class_index"] is not None
    )
    names = {}
    for wnid, item in by_wnid.items():
        counts = class_names if item["class_index"] is not None else all_names
        if counts[item["name"]] == 1:
            names[wnid] = item["name"]
            continue
        others = [lemma for lemma in item["lemmas"] if lemma.lower() != item["name"].lower()]
        hint = others[0] if others else _gloss_excerpt(item["gloss"]) or item["nltk_name"]
        names[wnid] = f"{item['name']} ({hint})"[:300]
    # Two hints can still coincide (same other lemma); the nltk name always differs.
    repeated = Counter(names.values())
    for wnid, name in names.items():
        if repeated[name] > 1 and name != by_wnid[wnid]["name"]:
            names[wnid] = f"{by_wnid[wnid]['name']} ({by_wnid[wnid]['nltk_name']})"
    return names


def taxonomy_derive(*, document: Any) -> dict[str, Any]:
    """Validate the document and compute every stored value: synset fields, edges, closure."""
    by_wnid = taxonomy_validate(document=document)
    order = _topological_order(by_wnid=by_wnid)
    # Shortest distance to every ancestor, parents before children, so one pass suffices.
    closure: dict[str, dict[str, int]] = {}
    for wnid in order:
        distances = {wnid: 0}
        for parent in by_wnid[wnid]["hypernyms"]:
            for ancestor, distance in closure[parent].items():
                if distance + 1 < distances.get(ancestor, 1 << 30):
                    distances[ancestor] = distance + 1
        closure[wnid] = distances
    root = order[0]
    class_count: Counter[str] = Counter()
    for wnid, item in by_wnid.items():
        if item["class_index"] is not None:
            class_count.update(closure[wnid].keys())
    display_names = _display_names(by_wnid=by_wnid)

    fields: dict[str, dict[str, Any]] = {}
    for wnid, item in by_wnid.items():
        group = ""
        if item["class_index"] is not None:
            if DOG_WNID in closure[wnid]:
                group = ClassGroup.DOG.value
            elif ORGANISM_WNID in closure[wnid]:
                group = ClassGroup.ORGANISM.value
            else:
                group = ClassGroup.OBJECT.value
        search_terms = dict.fromkeys([item["name"], *item["lemmas"], wnid])  # ordered, unique
        fields[wnid] = {
            "nltk_name": item["nltk_name"],
            "name": item["name"],
            "display_name": display_names[wnid],
            "lemmas": list(item["lemmas"]),
            "gloss": item["gloss"],
            "class_index": item["class_index"],
            "group": group,
            "depth": closure[wnid][root],
            "class_count": class_count[wnid],
            "search_text": fold(" | ".join(search_terms)),
        }
    edges = {(wnid, parent) for wnid, item in by_wnid.items() for parent in item["hypernyms"]}
    return {"fields": fields, "edges": edges, "closure": closure}


def taxonomy_summary(*, document: dict) -> dict[str, int]:
    """Sizes of a (valid) document, for the build command's report."""
    synsets = document["synsets"]
    classes = sum(1 for item in synsets if item["class_index"] is not None)
    return {
        "synsets": len(synsets),
        "classes": classes,
        "ancestors": len(synsets) - classes,
        "edges": sum(len(item["hypernyms"]) for item in synsets),
        "multi_parent": sum(1 for item in synsets if len(item["hypernyms"]) > 1),
    }
