"""Writes for the taxonomy: load the fixture's tree into the database.

Building, reading and checking the fixture is labeling.taxonomy.fixture; `taxonomy_load` stores
what `taxonomy_derive` computes from it: synsets, then edges, then the closure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from labeling.importing.batch import chunked
from labeling.taxonomy.fixture import taxonomy_derive
from labeling.taxonomy.models import ClassGroup, Hypernymy, Synset, SynsetClosure

BATCH_SIZE = 1000  # Django lowers it further where the backend needs (SQLite's 999 parameters)
SYNSET_FIELDS = (
    "nltk_name",
    "name",
    "display_name",
    "lemmas",
    "gloss",
    "class_index",
    "group",
    "depth",
    "class_count",
    "search_text",
)


def _delete_ids(model, ids: Iterable[int]) -> int:
    deleted = 0
    for batch in chunked(sorted(ids), BATCH_SIZE):
        deleted += model.objects.filter(id__in=batch).delete()[0]
    return deleted


def taxonomy_load(*, document: dict) -> dict[str, Any]:
    """Make the database hold exactly the document's taxonomy. Atomic and idempotent.

    Rows are matched by wnid (synsets) or by their pair of synsets (edges, closure): unchanged rows
    are left alone, changed ones updated in place, so ids stay stable and re-loading the same
    fixture writes nothing. Synsets missing from the document are not deleted (images, guide
    entries and predictions may point at them); they lose their class index, edges and closure
    rows and are reported as `detached`. Returns the sizes and what changed (see
    `taxonomy_load_text`).
    """
    derived = taxonomy_derive(document=document)  # raises TaxonomyError before any write
    fields: dict[str, dict[str, Any]] = derived["fields"]
    with transaction.atomic():
        ids, counts = _synsets_load(fields=fields)
        counts |= _edges_load(
            wanted={(ids[child], ids[parent]) for child, parent in derived["edges"]}
        )
        counts |= _closure_load(
            wanted={
                (ids[descendant], ids[ancestor]): distance
                for descendant, distances in derived["closure"].items()
                for ancestor, distance in distances.items()
            }
        )
    groups = Counter(values["group"] for values in fields.values() if values["group"])
    return {
        "synsets": len(fields),
        "classes": sum(1 for values in fields.values() if values["class_index"] is not None),
        "multi_parent": sum(1 for item in document["synsets"] if len(item["hypernyms"]) > 1),
        **counts,
        # Stored groups are exclusive; the study's "organism" count includes the dogs.
        "groups": {group.value: groups[group.value] for group in ClassGroup},
        "organism_incl_dogs": groups[ClassGroup.DOG.value] + groups[ClassGroup.ORGANISM.value],
    }


def _synsets_load(*, fields: dict[str, dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Create, update and detach synsets; returns the id of every wnid loaded, and the counts."""
    existing = {synset.wnid: synset for synset in Synset.objects.select_for_update()}
    detached = {wnid: synset for wnid, synset in existing.items() if wnid not in fields}
    detach_values = {"class_index": None, "group": "", "depth": 0, "class_count": 0}
    # Free class indexes that move (or leave) first: the unique constraint is checked row by
    # row, so swapping two indexes in one bulk update would fail on PostgreSQL.
    freed = [
        synset
        for wnid, synset in existing.items()
        if synset.class_index is not None
        and (wnid in detached or fields[wnid]["class_index"] != synset.class_index)
    ]
    for batch in chunked((synset.id for synset in freed), BATCH_SIZE):
        Synset.objects.filter(id__in=batch).update(class_index=None, group="")
    for row in freed:
        row.class_index, row.group = None, ""
    for batch in chunked((synset.id for synset in detached.values()), BATCH_SIZE):
        Synset.objects.filter(id__in=batch).update(**detach_values)

    created = [
        Synset(wnid=wnid, **values) for wnid, values in fields.items() if wnid not in existing
    ]
    Synset.objects.bulk_create(created, batch_size=BATCH_SIZE)
    changed = []
    for wnid, values in fields.items():
        synset = existing.get(wnid)
        if synset is not None and any(getattr(synset, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(synset, key, value)
            changed.append(synset)
    Synset.objects.bulk_update(changed, SYNSET_FIELDS, batch_size=BATCH_SIZE)
    ids = dict(Synset.objects.filter(wnid__in=list(fields)).values_list("wnid", "id"))
    return ids, {
        "synsets_created": len(created),
        "synsets_updated": len(changed),
        "synsets_detached": len(detached),
    }


def _edges_load(*, wanted: set[tuple[int, int]]) -> dict[str, int]:
    """Keep the (child id, parent id) edges that stay, delete those that went, create the new."""
    edge_ids = {
        (child, parent): pk
        for pk, child, parent in Hypernymy.objects.values_list("id", "child_id", "parent_id")
    }
    deleted = _delete_ids(Hypernymy, (pk for pair, pk in edge_ids.items() if pair not in wanted))
    new_edges = sorted(wanted - edge_ids.keys())
    Hypernymy.objects.bulk_create(
        [Hypernymy(child_id=child, parent_id=parent) for child, parent in new_edges],
        batch_size=BATCH_SIZE,
    )
    return {"edges": len(wanted), "edges_created": len(new_edges), "edges_deleted": deleted}


def _closure_load(*, wanted: dict[tuple[int, int], int]) -> dict[str, int]:
    """The same for the closure's (descendant id, ancestor id) rows, plus distance updates."""
    closure_rows = {
        (descendant, ancestor): (pk, distance)
        for pk, descendant, ancestor, distance in SynsetClosure.objects.values_list(
            "id", "descendant_id", "ancestor_id", "distance"
        )
    }
    deleted = _delete_ids(
        SynsetClosure, (pk for pair, (pk, _) in closure_rows.items() if pair not in wanted)
    )
    moved = [
        SynsetClosure(id=pk, distance=wanted[pair])
        for pair, (pk, distance) in closure_rows.items()
        if pair in wanted and wanted[pair] != distance
    ]
    SynsetClosure.objects.bulk_update(moved, ["distance"], batch_size=BATCH_SIZE)
    new_closure = sorted(wanted.keys() - closure_rows.keys())
    SynsetClosure.objects.bulk_create(
        [
            SynsetClosure(descendant_id=d, ancestor_id=a, distance=wanted[(d, a)])
            for d, a in new_closure
        ],
        batch_size=BATCH_SIZE,
    )
    return {
        "closure_rows": len(wanted),
        "closure_created": len(new_closure),
        "closure_updated": len(moved),
        "closure_deleted": deleted,
    }


def taxonomy_load_text(*, counts: dict[str, Any]) -> str:
    """What a load did, in three lines: sizes, the study's groups, and the changes."""
    groups = counts["groups"]
    return (
        f"{counts['synsets']} synsets ({counts['classes']} classes), {counts['edges']} edges, "
        f"{counts['closure_rows']} closure rows, {counts['multi_parent']} nodes with several "
        f"parents\n"
        f"classes: {groups['dog']} dog, {counts['organism_incl_dogs']} organism (incl. dogs), "
        f"{groups['object']} object\n"
        f"changes: {counts['synsets_created']} synsets created, "
        f"{counts['synsets_updated']} updated, {counts['synsets_detached']} detached; "
        f"edges +{counts['edges_created']} -{counts['edges_deleted']}; closure rows "
        f"+{counts['closure_created']} ~{counts['closure_updated']} "
        f"-{counts['closure_deleted']}"
    )
