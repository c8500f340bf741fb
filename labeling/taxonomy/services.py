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
    rows and are reported as `detached`.
    """
    derived = taxonomy_derive(document=document)  # raises TaxonomyError before any write
    fields: dict[str, dict[str, Any]] = derived["fields"]
    counts: dict[str, Any] = {}
    with transaction.atomic():
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
        for synset in freed:
            synset.class_index, synset.group = None, ""
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

        # Edges: keep what stays, delete what went, create what is new.
        wanted_edges = {(ids[child], ids[parent]) for child, parent in derived["edges"]}
        edge_ids = {
            (child, parent): pk
            for pk, child, parent in Hypernymy.objects.values_list("id", "child_id", "parent_id")
        }
        counts["edges_deleted"] = _delete_ids(
            Hypernymy, (pk for pair, pk in edge_ids.items() if pair not in wanted_edges)
        )
        new_edges = sorted(wanted_edges - edge_ids.keys())
        Hypernymy.objects.bulk_create(
            [Hypernymy(child_id=child, parent_id=parent) for child, parent in new_edges],
            batch_size=BATCH_SIZE,
        )

        # Closure: the same, plus distance updates.
        wanted_closure = {
            (ids[descendant], ids[ancestor]): distance
            for descendant, distances in derived["closure"].items()
            for ancestor, distance in distances.items()
        }
        closure_rows = {
            (descendant, ancestor): (pk, distance)
            for pk, descendant, ancestor, distance in SynsetClosure.objects.values_list(
                "id", "descendant_id", "ancestor_id", "distance"
            )
        }
        counts["closure_deleted"] = _delete_ids(
            SynsetClosure,
            (pk for pair, (pk, _) in closure_rows.items() if pair not in wanted_closure),
        )
        moved = [
            SynsetClosure(id=pk, distance=wanted_closure[pair])
            for pair, (pk, distance) in closure_rows.items()
            if pair in wanted_closure and wanted_closure[pair] != distance
        ]
        SynsetClosure.objects.bulk_update(moved, ["distance"], batch_size=BATCH_SIZE)
        new_closure = sorted(wanted_closure.keys() - closure_rows.keys())
        SynsetClosure.objects.bulk_create(
            [
                SynsetClosure(descendant_id=d, ancestor_id=a, distance=wanted_closure[(d, a)])
                for d, a in new_closure
            ],
            batch_size=BATCH_SIZE,
        )

    groups = Counter(values["group"] for values in fields.values() if values["group"])
    counts.update(
        {
            "synsets": len(fields),
            "classes": sum(1 for values in fields.values() if values["class_index"] is not None),
            "edges": len(wanted_edges),
            "closure_rows": len(wanted_closure),
            "multi_parent": sum(1 for item in document["synsets"] if len(item["hypernyms"]) > 1),
            "synsets_created": len(created),
            "synsets_updated": len(changed),
            "synsets_detached": len(detached),
            "edges_created": len(new_edges),
            "closure_created": len(new_closure),
            "closure_updated": len(moved),
            # Stored groups are exclusive; the study's "organism" count includes the dogs.
            "groups": {group.value: groups[group.value] for group in ClassGroup},
            "organism_incl_dogs": groups[ClassGroup.DOG.value] + groups[ClassGroup.ORGANISM.value],
        }
    )
    return counts
