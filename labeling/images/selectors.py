"""Reads for images and reference images."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth.models import AnonymousUser, User
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from labeling.accounts.roles import Role, user_roles
from labeling.images.models import AnnotatorCopy, Image, ImageSource, ReferenceImage
from labeling.importing.batch import chunked
from labeling.taxonomy.models import Synset

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _ClassWnid(TypedDict):
    wnid: str


def image_get_by_public_id(*, public_id: str) -> Image | None:
    return (
        Image.objects.select_related("source", "original_label").filter(public_id=public_id).first()
    )


def _shown(references: QuerySet[ReferenceImage]) -> QuerySet[ReferenceImage]:
    """Reference images a gallery may show: never one that is also an image to label (its class
    would be the answer). The services refuse to store such a pair; this keeps out any stored
    before they did."""
    return references.exclude(models.Exists(Image.objects.filter(sha256=models.OuterRef("sha256"))))


def references_for_class(*, synset: Synset, limit: int | None = None) -> QuerySet[ReferenceImage]:
    """The class's reference gallery in display order, the first `limit` of it if given."""
    references = _shown(ReferenceImage.objects.filter(synset=synset)).order_by("position")
    return references[:limit] if limit is not None else references


def references_first_for_classes(
    *, wnids: list[str], per_class: int
) -> list[WithAnnotations[ReferenceImage, _ClassWnid]]:
    """The first `per_class` reference images of each of these classes, in one query, ordered by
    class and position; each carries its class's `wnid`."""
    ranked = _shown(ReferenceImage.objects.filter(synset__wnid__in=wnids)).annotate(
        wnid=F("synset__wnid"),
        rank=Window(RowNumber(), partition_by=F("synset_id"), order_by=F("position").asc()),
    )
    return list(ranked.filter(rank__lte=per_class).order_by("synset_id", "position"))


def reference_count_for_class(*, synset: Synset) -> int:
    return ReferenceImage.objects.filter(synset=synset).count()


def references_without_thumbnail() -> QuerySet[ReferenceImage]:
    return ReferenceImage.objects.filter(thumbnail="")


def reference_get(*, reference_id: int) -> ReferenceImage | None:
    return ReferenceImage.objects.filter(pk=reference_id).first()


def image_visible_to(*, user: User | AnonymousUser, image: Image) -> bool:
    """May this user see this image to label?

    Admins and researchers see every image. An annotator sees an image only while it is in an
    open round assigned to them, and afterwards only where a closed training round of theirs
    held it: its answers were revealed as feedback already, the group review shows them, and
    the training pool rule keeps those images out of every evaluation round (one indexed
    query). Every check of "may see this image" goes through here.
    """
    from labeling.rounds.models import RoundImage, RoundKind, RoundState  # rounds builds on images

    roles = user_roles(user)
    if roles & {Role.ADMIN, Role.RESEARCHER}:
        return True
    if isinstance(user, AnonymousUser) or Role.ANNOTATOR not in roles:
        return False
    return (
        RoundImage.objects.filter(image=image, round__assignments__user=user)
        .filter(
            Q(round__state=RoundState.OPEN)
            | Q(round__state=RoundState.CLOSED, round__kind=RoundKind.TRAINING)
        )
        .exists()
    )


def image_served_as_original(*, user: User | AnonymousUser) -> bool:
    """Admins and researchers get an image's file as imported; everyone else the annotator copy
    (labeling.images.copies), which carries nothing but pixels."""
    return bool(user_roles(user) & {Role.ADMIN, Role.RESEARCHER})


def image_resolve_names(*, names, batch_size: int = 2000) -> dict[str, int]:
    """Image ids by the names the study's files use, looked up in batches.

    An ImageNet val image is named by its file name (ILSVRC2012_val_00038768.JPEG), an ImageNetV2
    image by the 40-hex SHA-1 id of its file (stored lower-case as its original name). Names no
    image has, and names several images share, are left out: callers report them as unknown.
    """
    wanted = list(dict.fromkeys(names))
    found: dict[str, int] = {}
    ambiguous: set[str] = set()
    for chunk in chunked(wanted, batch_size):
        lookup = set(chunk) | {name.lower() for name in chunk if _is_sha1(name)}
        for name, image_id in Image.objects.filter(original_name__in=lookup).values_list(
            "original_name", "id"
        ):
            if name in found and found[name] != image_id:
                ambiguous.add(name)
            found[name] = image_id
    result = {}
    for name in wanted:
        key = name.lower() if _is_sha1(name) else name
        if key in found and key not in ambiguous:
            result[name] = found[key]
    return result


def image_name_index() -> dict[str, int]:
    """Every image's id by its name (see image_resolve_names), for imports of millions of rows."""
    index: dict[str, int] = {}
    ambiguous: set[str] = set()
    for name, image_id in Image.objects.values_list("original_name", "id").iterator(5000):
        if name in index:
            ambiguous.add(name)
        index[name] = image_id
    for name in ambiguous:
        del index[name]
    return index


def _is_sha1(name: str) -> bool:
    return len(name) == 40 and all(char in "0123456789abcdefABCDEF" for char in name)


# The folders of default storage whose files belong to rows of this app, and the file fields of
# those rows.
STORED_FOLDERS = ("images", "thumbs", "references", "copies")
_FILE_FIELDS: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (Image, ("file", "thumbnail")),
    (ReferenceImage, ("file", "thumbnail")),
    (AnnotatorCopy, ("file", "thumbnail")),
)


def stored_files_referenced() -> set[str]:
    """Every storage name a row refers to (images, thumbnails, references, annotator copies)."""
    names: set[str] = set()
    for model, fields in _FILE_FIELDS:
        for row in model._default_manager.values_list(*fields).iterator(chunk_size=10_000):
            names.update(name for name in row if name)
    return names


def stored_files_unreferenced(*, older_than: timedelta) -> list[str]:
    """Files in the app's storage folders that no row refers to, last written at least
    `older_than` ago (an import stores its files before its transaction commits the rows: a
    younger file may be one of those), sorted."""
    referenced = stored_files_referenced()
    cutoff = timezone.now() - older_than
    found = []
    for folder in STORED_FOLDERS:
        for name in _walk(folder):
            if name not in referenced and default_storage.get_modified_time(name) <= cutoff:
                found.append(name)
    return sorted(found)


def _walk(folder: str) -> Iterator[str]:
    if not default_storage.exists(folder):
        return
    folders, files = default_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(f"{folder}/{sub}")


def reference_clashes_find(*, sha256s: Iterable[str]) -> dict[str, str]:
    """Of these files (by SHA-256), those that may not be stored as reference images because
    they are stored as images to label, each with why."""
    clashes: dict[str, str] = {}
    for chunk in chunked(sha256s, 500):
        for image in Image.objects.select_related("source").filter(sha256__in=chunk):
            clashes[image.sha256] = (
                f"the same file is stored as image {image.public_id} ({image.source.slug} "
                f"{image.original_name}) to label; a reference image must never be an image to "
                f"label (its class's gallery would show annotators the answer)"
            )
    return clashes


def image_clashes_find(*, sha256s: Iterable[str]) -> dict[str, str]:
    """Of these files (by SHA-256), those that may not be stored as images to label because
    they are reference images, each with why."""
    clashes: dict[str, str] = {}
    for chunk in chunked(sha256s, 500):
        references = ReferenceImage.objects.select_related("synset").filter(sha256__in=chunk)
        for reference in references.order_by("pk"):
            clashes.setdefault(
                reference.sha256,
                f"the same file is reference image #{reference.position} of "
                f"{reference.synset.wnid} ({reference.original_name}); an image to label must "
                f"never be a reference image (the class's gallery would show annotators the "
                f"answer): delete that reference first",
            )
    return clashes


def image_source_choices() -> list[tuple[str, str]]:
    """Every image source as a form choice: (slug, "name (slug)"), by slug."""
    return [
        (source.slug, f"{source.name} ({source.slug})")
        for source in ImageSource.objects.order_by("slug")
    ]
