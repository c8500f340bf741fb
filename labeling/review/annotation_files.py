"""Multi-label annotation files in the format of the study's published annotations.

A JSON object keyed by image name: an ImageNet val file name (`ILSVRC2012_val_00038768.JPEG`)
or an ImageNetV2 id (the 40-hex SHA-1 naming its file, without extension). Each value is an
object with `correct`, `wrong` and `unclear` lists of wnids; a missing list is empty.

Three wrappings are read, so that every file the study published loads as it is:

* the plain object: `{"ILSVRC2012_val_00038768.JPEG": {"correct": ["n09193705"]}, …}`;
* `{"_meta": {…}, "data": {…}}`, as the published samples are;
* `{"labels": {…}, "problematic": ["<image name>", …]}`, which also lists problematic images.

Export writes the plain object, or the last form when some images are problematic; lists are
sorted and empty ones left out, so importing an export and exporting again gives the same file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from labeling.images.models import Image
from labeling.images.selectors import image_resolve_names
from labeling.images.services import images_mark_problematic
from labeling.importing.report import (
    BatchRejected,
    ImportReport,
    echo,
    json_parse,
    shorten,
    unknown_wnid,
)
from labeling.review.models import ImageLabel, LabelState
from labeling.review.services import image_labels_replace
from labeling.taxonomy.selectors import classes_by_wnid

STATES = tuple(LabelState.values)  # correct, wrong, unclear
WRAPPER_KEYS = {"_meta", "data", "labels", "problematic"}
# A key: "name":  (the line of an image's key is reported for its entry's problems)
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


class AnnotationFileError(ValueError):
    """The file as a whole cannot be read."""


@dataclass
class Annotations:
    """A checked annotation file: labels and problematic images by image id."""

    labels: dict[int, dict[int, str]] = field(default_factory=dict)  # image -> synset -> state
    problematic: list[int] = field(default_factory=list)


class _Lines:
    """Line numbers of the entries of a JSON text, found once."""

    def __init__(self, text: str):
        self.text = text
        self.entries: dict[str, int] = {}
        self.repeated: list[tuple[str, int]] = []
        line, last = 1, 0
        for match in _KEY.finditer(text):
            line += text.count("\n", last, match.start())
            last = match.start()
            name = match.group(1)
            if name in self.entries:
                self.repeated.append((name, line))
            else:
                self.entries[name] = line

    def of(self, name: str) -> int | None:
        return self.entries.get(name)

    def of_string(self, value: str, after: str) -> int | None:
        """The line of the string `value` in the list that follows the key `after`."""
        start = self.text.find(f'"{after}"')
        position = self.text.find(json.dumps(value), max(start, 0))
        return self.text.count("\n", 0, position) + 1 if position >= 0 else None


def annotations_read(*, path: Path, report: ImportReport) -> Annotations:
    """Read and check an annotation file; every problem goes on the report with its line."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationFileError(f"{where}: cannot read the file ({exc})") from None
    try:
        document = json_parse(text)
    except json.JSONDecodeError as exc:
        report.reject(where, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")
        return Annotations()
    except ValueError as exc:
        report.reject(where, None, f"not readable JSON: {exc}")
        return Annotations()
    lines = _Lines(text)
    entries, problematic_names = _unwrap(document, where, report)
    if entries is None:
        return Annotations()
    for name, repeated_line in lines.repeated:
        if name in entries:
            report.reject(
                where,
                repeated_line,
                f"{shorten(name)} is listed twice (also line {lines.of(name)})",
            )

    classes = {wnid: synset.pk for wnid, synset in classes_by_wnid().items()}
    names = list(entries)
    image_ids = image_resolve_names(names=[*names, *problematic_names])
    annotations = Annotations()
    for name in names:
        line = lines.of(name)
        image_id = image_ids.get(name)
        if image_id is None:
            report.reject(where, line, f"unknown image {echo(name)}")
            continue
        labels = _check_entry(entries[name], classes, where, line, report, name)
        if labels is not None:
            annotations.labels[image_id] = labels
    for name in problematic_names:
        image_id = image_ids.get(name)
        if image_id is None:
            line = lines.of_string(name, after="problematic")
            report.reject(where, line, f"unknown problematic image {echo(name)}")
        else:
            annotations.problematic.append(image_id)
    return annotations


def _unwrap(document: object, where: str, report: ImportReport) -> tuple[dict | None, list[str]]:
    """The entries keyed by image name, and the problematic names, of any accepted form."""
    if not isinstance(document, dict):
        report.reject(where, 1, "expected a JSON object keyed by image name")
        return None, []
    if isinstance(document.get("labels"), dict) and set(document) <= WRAPPER_KEYS - {"data"}:
        entries = document["labels"]
    elif isinstance(document.get("data"), dict) and set(document) <= WRAPPER_KEYS - {"labels"}:
        entries = document["data"]
    else:
        entries = {key: value for key, value in document.items() if key != "_meta"}
        return entries, []
    problematic = document.get("problematic", [])
    if not isinstance(problematic, list) or not all(isinstance(n, str) for n in problematic):
        report.reject(where, None, '"problematic" must be a list of image names')
        problematic = []
    return entries, list(dict.fromkeys(problematic))


def _check_entry(
    entry: object,
    classes: dict[str, int],
    where: str,
    line: int | None,
    report: ImportReport,
    name: str,
) -> dict[int, str] | None:
    name = shorten(name)
    if not isinstance(entry, dict):
        report.reject(where, line, f"{name}: expected an object of correct/wrong/unclear lists")
        return None
    unknown_keys = sorted(set(entry) - set(STATES))
    if unknown_keys:
        shown = ", ".join(shorten(key) for key in unknown_keys[:5])
        more = f" and {len(unknown_keys) - 5:,} more" if len(unknown_keys) > 5 else ""
        report.reject(where, line, f"{name}: unknown key(s) {shown}{more}; use {', '.join(STATES)}")
        return None
    labels: dict[int, str] = {}
    states_of: dict[str, str] = {}
    good = True
    for state in STATES:
        wnids = entry.get(state, [])
        if not isinstance(wnids, list) or not all(isinstance(w, str) for w in wnids):
            report.reject(where, line, f"{name}: {state} must be a list of wnids")
            good = False
            continue
        for wnid in dict.fromkeys(wnids):  # a wnid repeated in one list counts once
            synset_id = classes.get(wnid)
            if synset_id is None:
                report.reject(where, line, f"{name}: {unknown_wnid(wnid)}")
                good = False
            elif wnid in states_of:
                report.reject(where, line, f"{name}: {wnid} is both {states_of[wnid]} and {state}")
                good = False
            else:
                states_of[wnid] = state
                labels[synset_id] = state
    return labels if good else None


def annotations_import(*, path: Path, report: ImportReport, changed_by=None) -> ImportReport:
    """Set the listed images' labels to exactly the file's, and mark the listed problematic.

    Images the file does not name keep their labels. The report counts images whose labels
    changed as imported and those already so as skipped; details count labels added, changed
    and removed. Raises AnnotationFileError when the file cannot be read at all.
    """
    annotations = annotations_read(path=path, report=report)
    report.details["images in file"] = len(annotations.labels)
    if report.batch_rejected:
        return report
    source = f"import:{path.name}"
    try:
        with transaction.atomic():
            counts = image_labels_replace(
                labels=annotations.labels, source=source, changed_by=changed_by
            )
            marked = (
                images_mark_problematic(
                    image_ids=annotations.problematic,
                    reason=f"listed as problematic in {path.name}",
                )
                if annotations.problematic
                else 0
            )
            report.imported = counts["images_changed"]
            report.skipped_duplicate = counts["images_unchanged"]
            report.details.update(
                {
                    "labels added": counts["added"],
                    "changed": counts["changed"],
                    "removed": counts["removed"],
                    "marked problematic": marked,
                }
            )
            if report.dry_run:
                raise BatchRejected(report)  # roll back: a dry run writes nothing
    except BatchRejected:
        pass
    return report


def annotations_export() -> dict:
    """Every image's labels (and the problematic images) as an annotation document."""
    labels: dict[str, dict[str, list[str]]] = {}
    rows = ImageLabel.objects.values_list("image__original_name", "state", "synset__wnid")
    for name, state, wnid in rows.iterator(chunk_size=10_000):
        labels.setdefault(name, {}).setdefault(state, []).append(wnid)
    ordered = {
        name: {state: sorted(entry[state]) for state in STATES if entry.get(state)}
        for name, entry in sorted(labels.items())
    }
    problematic = sorted(
        Image.objects.filter(problematic=True).values_list("original_name", flat=True)
    )
    if problematic:
        return {"labels": ordered, "problematic": problematic}
    return ordered


def annotations_write(*, path: Path) -> dict[str, int]:
    """Write the export to `path`; returns counts of images and problematic images."""
    document = annotations_export()
    problematic = "problematic" in document and "labels" in document
    labels = document["labels"] if problematic else document
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return {
        "images": len(labels),
        "problematic": len(document["problematic"]) if problematic else 0,
    }
