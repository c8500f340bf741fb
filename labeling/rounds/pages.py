"""The labeling screen's pages: the screen at /label/R/ and the class panel it loads beside the
image (guide entry, distinction notes, reference images) when a candidate is viewed."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import Role
from labeling.guide.selectors import guide_for_class
from labeling.images.gallery import gallery_for_class
from labeling.images.selectors import reference_count_for_class
from labeling.taxonomy.browse import class_get
from labeling.taxonomy.search_index import PATH_SEPARATOR, short_path_names, taxonomy_snapshot

PANEL_REFERENCES = 24  # enough to judge a class by; the class page has all of them
COMPARE_REFERENCES = 8  # per column when up to four classes stand side by side


@require_safe
@role_required(Role.ANNOTATOR, Role.ADMIN, Role.RESEARCHER)
def candidate_panel(request: HttpRequest, wnid: str) -> HttpResponse:
    """A class as a fragment of HTML for the labeling screen; `?compact=1` for a compare column.
    It says nothing about the image being labeled, so it is the same for every round."""
    synset = class_get(wnid=wnid)
    if synset is None:
        raise Http404(f"No ImageNet class {wnid}.")
    compact = request.GET.get("compact") == "1"
    path = taxonomy_snapshot().short_path(synset.wnid)
    response = render(
        request,
        "rounds/_candidate.html",
        {
            "synset": synset,
            "compact": compact,
            "short_path": PATH_SEPARATOR.join(short_path_names(path)),
            "gallery": gallery_for_class(
                synset=synset, limit=COMPARE_REFERENCES if compact else PANEL_REFERENCES
            ),
            "reference_count": reference_count_for_class(synset=synset),
            **guide_for_class(synset=synset),
        },
    )
    # Guide edits must show up on the next view; the browser keeps it only for this page's life.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
