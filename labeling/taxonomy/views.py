"""Pages for looking classes up while labeling: the class index, a class, a tree node, and a side
by side comparison of two to four confusable classes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import Role
from labeling.guide.selectors import guide_for_class
from labeling.images.gallery import gallery_for_class
from labeling.images.selectors import reference_count_for_class
from labeling.taxonomy.models import Synset
from labeling.taxonomy.search import ClassRecord, SearchHit
from labeling.taxonomy.selectors import (
    CLASS_GROUP_MEMBERS,
    class_get_or_404,
    class_groups,
    class_wikipedia_links,
    classes_by_wnid,
    classes_in_group,
    classes_under,
    group_label,
    node_children,
    synset_get,
    synset_paths,
    taxonomy_root,
)
from labeling.taxonomy.snapshot import class_search_index
from labeling.taxonomy.text import WNID_RE

ANY_ROLE = (Role.ANNOTATOR, Role.ADMIN, Role.RESEARCHER)
COMPARE_MIN, COMPARE_MAX = 2, 4
QUERY_MAX = 200
SEARCH_LIMIT = 100  # the search API allows as many


def compare_url(wnids: list[str]) -> str:
    return f"{reverse('taxonomy:compare')}?{urlencode({'wnids': ','.join(wnids)})}"


@require_safe
@role_required(*ANY_ROLE)
def class_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    group = request.GET.get("group", "").strip()
    classes: list[ClassRecord] | list[Synset] | None = None
    hits: list[SearchHit] | None = None
    if query:
        # The same ranked, typo-tolerant search as the API and the labeling picker; each row
        # says what matched (a synonym, words of the gloss).
        hits = class_search_index().search(query, SEARCH_LIMIT)
        classes = [hit.record for hit in hits]
    elif group in CLASS_GROUP_MEMBERS:
        classes = list(classes_in_group(group=group))
    return render(
        request,
        "taxonomy/class_index.html",
        {
            "query": query,
            "group": group if group in CLASS_GROUP_MEMBERS else "",
            "unknown_group": group if group and group not in CLASS_GROUP_MEMBERS else "",
            "groups": class_groups(),
            "classes": classes,
            "rows": [
                {"c": c, "hit": hit}
                for c, hit in zip(
                    classes, hits if hits is not None else [None] * len(classes), strict=True
                )
            ]
            if classes is not None
            else None,
            "cut": hits is not None and len(hits) == SEARCH_LIMIT,
            "limit": SEARCH_LIMIT,
            "root": taxonomy_root(),
        },
    )


def _rows(classes: list, hits: list[SearchHit] | None) -> list[dict]:
    return [{"c": c, "hit": hits[i] if hits else None} for i, c in enumerate(classes)]


@require_safe
@role_required(*ANY_ROLE)
def class_detail(request: HttpRequest, wnid: str) -> HttpResponse:
    try:
        synset = class_get_or_404(wnid=wnid)
    except Http404:
        if synset_get(wnid=wnid) is not None:  # an ancestor node: show it on its own page
            return redirect("taxonomy:node", wnid=wnid)
        raise
    guide = guide_for_class(synset=synset)
    return render(
        request,
        "taxonomy/class_detail.html",
        {
            "synset": synset,
            "group_label": group_label(synset.group),
            "paths": synset_paths(synset=synset),
            "wikipedia": class_wikipedia_links(wnid=synset.wnid),
            "gallery": gallery_for_class(synset=synset),
            "reference_count": reference_count_for_class(synset=synset),
            "partners": _note_partners(synset, guide["guide_notes"]),
            **guide,
        },
    )


def _note_partners(synset: Synset, notes: list) -> list[dict]:
    """The classes that share a distinction note with this one, to compare with in one click."""
    partners: dict[str, dict] = {}
    for note in notes:
        for other in note.synsets.all():
            if other.pk == synset.pk or not other.is_class:
                continue
            partner = partners.setdefault(
                other.wnid,
                {"synset": other, "url": compare_url([synset.wnid, other.wnid]), "notes": []},
            )
            partner["notes"].append(note.title)
    return sorted(partners.values(), key=lambda partner: partner["synset"].class_index)


@require_safe
@role_required(*ANY_ROLE)
def node_detail(request: HttpRequest, wnid: str) -> HttpResponse:
    node = synset_get(wnid=wnid)
    if node is None:
        raise Http404(f"No synset {wnid} in the taxonomy.")
    if node.is_class:
        return redirect("taxonomy:class", wnid=wnid)
    return render(
        request,
        "taxonomy/node_detail.html",
        {
            "node": node,
            "paths": synset_paths(synset=node),
            "children": list(node_children(synset=node)),
            "classes": list(classes_under(wnid=node.wnid)),
        },
    )


@require_safe
@role_required(*ANY_ROLE)
def compare(request: HttpRequest) -> HttpResponse:
    parts = list(
        dict.fromkeys(
            part.strip() for part in request.GET.get("wnids", "").split(",") if part.strip()
        )
    )
    typed = request.GET.get("with", "").strip()[:QUERY_MAX]
    # Anything but a wnid is a name as a person types it ("norwich"), resolved by the class search;
    # once every part is a wnid, the canonical URL shows the comparison.
    wnids: list[str] = []
    for number, part in enumerate([*parts, typed] if typed else parts):
        if WNID_RE.match(part.lower()):
            wnids.append(part.lower())
            continue
        meant, candidates = class_search_index().resolve(part[:QUERY_MAX])
        compared = [*wnids, *(p.lower() for p in parts[number + 1 :] if WNID_RE.match(p.lower()))]
        if meant is not None and meant.record.wnid not in compared:
            wnids.append(meant.record.wnid)
            continue
        rest = parts[number + 1 :]
        choices = [hit.record for hit in candidates if hit.record.wnid not in compared]
        if meant is not None:
            message = f"“{part}” is {meant.record.display_name}, already compared."
        elif not choices:
            message = f"No class other than those already compared matches “{part}”."
        else:
            message = f"No single class is called “{part}”: pick one."
        return _compare_error(
            request,
            message,
            compared,
            candidates=[
                {"synset": record, "url": compare_url([*wnids, record.wnid, *rest])}
                for record in choices
            ],
        )
    wnids = list(dict.fromkeys(wnids))
    if typed or wnids != [part.lower() for part in parts]:
        return redirect(compare_url(wnids))

    if not COMPARE_MIN <= len(wnids) <= COMPARE_MAX:
        return _compare_error(
            request,
            f"Compare {COMPARE_MIN} to {COMPARE_MAX} different classes; "
            f"{len(wnids)} {'was' if len(wnids) == 1 else 'were'} given.",
            wnids,
        )
    found = classes_by_wnid(wnids=wnids)
    unknown = [wnid for wnid in wnids if wnid not in found]
    if unknown:
        return _compare_error(request, f"Not an ImageNet class: {', '.join(unknown)}.", wnids)

    columns = []
    notes: dict[int, object] = {}
    for wnid in wnids:
        synset = found[wnid]
        guide = guide_for_class(synset=synset)
        for note in guide["guide_notes"]:
            notes.setdefault(note.pk, note)
        columns.append(
            {
                "synset": synset,
                "guide_entry": guide["guide_entry"],
                "gallery": gallery_for_class(synset=synset),
                "remove_url": compare_url([w for w in wnids if w != wnid])
                if len(wnids) > COMPARE_MIN
                else None,
            }
        )
    return render(
        request,
        "taxonomy/compare.html",
        {
            "columns": columns,
            "wnids": wnids,
            "shared_notes": _shared_notes(list(notes.values()), found),
            "can_add": len(wnids) < COMPARE_MAX,
        },
    )


def _shared_notes(notes: list, compared: dict[str, Synset]) -> list[dict]:
    """Notes about at least two of the compared classes: what tells exactly these apart."""
    shared = []
    for note in notes:
        covered = [s for s in note.synsets.all() if s.wnid in compared]
        if len(covered) >= 2:
            shared.append({"note": note, "covered": covered})
    shared.sort(key=lambda item: (-len(item["covered"]), item["note"].title))
    return shared


def _compare_error(
    request: HttpRequest, message: str, wnids: list[str], candidates: list | None = None
) -> HttpResponse:
    known = classes_by_wnid(wnids=wnids)
    return render(
        request,
        "taxonomy/compare_error.html",
        {
            "message": message,
            "candidates": candidates or [],
            "known": [known[w] for w in wnids if w in known],
            "wnids": ",".join(w for w in wnids if w in known),
            "max": COMPARE_MAX,
        },
        status=400,
    )
