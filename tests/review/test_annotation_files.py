"""Multi-label annotations load from, and export back to, the study's published format.

The round trip is tested on the study's own published sample (1000 final multi-labels: 860
ImageNet val images and 140 ImageNetV2 images). Importing sets each listed image's labels to
exactly the file's and records every change; a re-run changes nothing; one bad entry rejects
the file unless --skip-bad.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.images.models import Image
from labeling.review.annotation_files import annotations_export
from labeling.review.models import Candidate, ImageLabel, LabelChange
from tests.images.factories import make_images

pytestmark = pytest.mark.django_db

VAL = "ILSVRC2012_val_00038768.JPEG"
OTHER = "ILSVRC2012_val_00000001.JPEG"
V2 = "991fcfbf753cd482479b874aaa99da24e798ef43"
TENCH, GOLDFISH, SHARK = "n01440764", "n01443537", "n01484850"


def run(command: str, *args: str, **options) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def run_failing(*args: str, **options) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="batch rejected"):
        call_command("import_annotations", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, indent=1))
    return path


def labels_of(name: str) -> dict[str, str]:
    return dict(
        ImageLabel.objects.filter(image__original_name=name).values_list("synset__wnid", "state")
    )


@pytest.fixture
def few_images(imagenet_classes):
    return make_images([VAL, OTHER, V2])


# --- the published sample, round trip -------------------------------------------------------


def test_the_published_sample_imports_and_exports_back_unchanged(sample, sample_images, tmp_path):
    source = write_json(tmp_path / "image_labels_sample.json", sample)  # the {_meta, data} form

    output = run("import_annotations", str(source))

    assert "1,000 imported, 0 skipped as duplicate, 0 rejected" in output
    labels = sum(len(wnids) for entry in sample["data"].values() for wnids in entry.values())
    assert ImageLabel.objects.count() == labels
    exported = tmp_path / "export.json"
    assert "exported the labels of 1,000 images and 0 problematic images" in run(
        "export_annotations", str(exported)
    )
    assert json.loads(exported.read_text()) == sample["data"]  # the plain form: nothing lost


def test_an_export_imports_and_exports_again_byte_for_byte(sample, sample_images, tmp_path):
    run("import_annotations", str(write_json(tmp_path / "sample.json", sample)))
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    run("export_annotations", str(first))
    ImageLabel.objects.all().delete()
    run("import_annotations", str(first))
    run("export_annotations", str(second))
    assert first.read_bytes() == second.read_bytes()


def test_importing_the_same_file_again_changes_nothing(sample, sample_images, tmp_path):
    path = write_json(tmp_path / "sample.json", sample)
    run("import_annotations", str(path))
    labels = list(ImageLabel.objects.order_by("id").values_list("id", "state", "updated_at"))
    changes = LabelChange.objects.count()

    output = run("import_annotations", str(path))

    assert "0 imported, 1,000 skipped as duplicate, 0 rejected" in output
    assert (
        list(ImageLabel.objects.order_by("id").values_list("id", "state", "updated_at")) == labels
    )
    assert LabelChange.objects.count() == changes


def test_every_imported_label_is_recorded_as_a_change_from_none(sample, sample_images, tmp_path):
    run("import_annotations", str(write_json(tmp_path / "sample.json", sample)))
    assert LabelChange.objects.count() == ImageLabel.objects.count()
    change = LabelChange.objects.filter(image__original_name=VAL, synset__wnid="n09193705").get()
    assert (change.old_state, change.new_state, change.source) == (
        "",
        "correct",
        "import:sample.json",
    )
    assert (
        ImageLabel.objects.filter(source="import:sample.json").count() == ImageLabel.objects.count()
    )


def test_imported_labels_make_their_classes_candidates(few_images, tmp_path):
    run("import_annotations", str(write_json(tmp_path / "a.json", {VAL: {"correct": [TENCH]}})))
    assert list(
        Candidate.objects.values_list("image__original_name", "synset__wnid", "added_by")
    ) == [(VAL, TENCH, "import")]


# --- replacing, problematic images, forms ---------------------------------------------------


def test_a_later_file_sets_an_images_labels_to_exactly_its_lists(few_images, tmp_path):
    first = {
        VAL: {"correct": [TENCH], "wrong": [GOLDFISH]},
        OTHER: {"correct": [SHARK]},
    }
    run("import_annotations", str(write_json(tmp_path / "first.json", first)))
    later = {VAL: {"correct": [TENCH, SHARK], "unclear": [GOLDFISH]}}  # OTHER is not listed

    output = run("import_annotations", str(write_json(tmp_path / "later.json", later)))

    assert "1 imported, 0 skipped as duplicate" in output
    assert "labels added: 1; changed: 1; removed: 0" in output
    assert labels_of(VAL) == {TENCH: "correct", SHARK: "correct", GOLDFISH: "unclear"}
    assert labels_of(OTHER) == {SHARK: "correct"}  # untouched
    changes = LabelChange.objects.filter(source="import:later.json")
    assert set(changes.values_list("synset__wnid", "old_state", "new_state")) == {
        (SHARK, "", "correct"),
        (GOLDFISH, "wrong", "unclear"),
    }

    run("import_annotations", str(write_json(tmp_path / "last.json", {VAL: {"wrong": [TENCH]}})))
    assert labels_of(VAL) == {TENCH: "wrong"}
    removed = LabelChange.objects.filter(source="import:last.json", new_state="")
    assert set(removed.values_list("synset__wnid", "old_state")) == {
        (SHARK, "correct"),
        (GOLDFISH, "unclear"),
    }


def test_listed_problematic_images_are_marked_and_exported_in_the_labels_form(few_images, tmp_path):
    document = {"labels": {VAL: {"correct": [TENCH]}, V2: {"wrong": [SHARK]}}, "problematic": [V2]}
    output = run("import_annotations", str(write_json(tmp_path / "with_problems.json", document)))

    assert "marked problematic: 1" in output
    image = Image.objects.get(original_name=V2)
    assert image.problematic
    assert image.problematic_reason == "listed as problematic in with_problems.json"
    assert annotations_export() == document
    exported = tmp_path / "export.json"
    run("export_annotations", str(exported))
    assert json.loads(exported.read_text()) == document


def test_an_image_already_problematic_keeps_its_own_reason(few_images, tmp_path):
    Image.objects.filter(original_name=V2).update(problematic=True, problematic_reason="blurry")
    document = {"labels": {}, "problematic": [V2]}
    run("import_annotations", str(write_json(tmp_path / "p.json", document)))
    assert Image.objects.get(original_name=V2).problematic_reason == "blurry"


def test_the_plain_form_is_read_and_a_missing_list_is_empty(few_images, tmp_path):
    run("import_annotations", str(write_json(tmp_path / "plain.json", {V2: {"unclear": [TENCH]}})))
    assert labels_of(V2) == {TENCH: "unclear"}


def test_an_imagenetv2_id_is_found_whatever_its_case(few_images, tmp_path):
    run(
        "import_annotations", str(write_json(tmp_path / "p.json", {V2.upper(): {"wrong": [TENCH]}}))
    )
    assert labels_of(V2) == {TENCH: "wrong"}


def test_a_dry_run_reports_the_changes_and_writes_nothing(few_images, tmp_path):
    path = write_json(tmp_path / "p.json", {VAL: {"correct": [TENCH]}, OTHER: {"wrong": [SHARK]}})
    output = run("import_annotations", str(path), dry_run=True)
    assert "dry run: nothing was written. 2 would be imported" in output
    assert ImageLabel.objects.count() == 0 and LabelChange.objects.count() == 0


# --- bad input ------------------------------------------------------------------------------

BAD_ENTRIES = {
    "wnid in two lists": (
        {"correct": [TENCH], "wrong": [TENCH]},
        f"{VAL}: {TENCH} is both correct and wrong",
    ),
    "unknown wnid": ({"correct": ["n99999999"]}, f"{VAL}: unknown wnid n99999999"),
    "not a wnid": ({"correct": ["tench"]}, f"{VAL}: 'tench' is not a wnid"),
    "unknown key": ({"correct": [TENCH], "maybe": [SHARK]}, f"{VAL}: unknown key(s) maybe"),
    "list is not a list": ({"correct": TENCH}, f"{VAL}: correct must be a list of wnids"),
    "entry is not an object": ([TENCH], f"{VAL}: expected an object of correct/wrong/unclear"),
}


@pytest.mark.parametrize("case", BAD_ENTRIES)
def test_a_bad_entry_rejects_the_file_and_is_listed_with_its_line(case, few_images, tmp_path):
    entry, problem = BAD_ENTRIES[case]
    document = {OTHER: {"correct": [SHARK]}, VAL: entry}
    path = write_json(tmp_path / "bad.json", document)
    line = (
        path.read_text()
        .splitlines()
        .index(f' "{VAL}": ' + ("[" if case.startswith("entry") else "{"))
        + 1
    )

    output = run_failing(str(path))

    assert f"  {path}:{line}: {problem}" in output, output
    assert ImageLabel.objects.count() == 0 and LabelChange.objects.count() == 0

    output = run("import_annotations", str(path), skip_bad=True)
    assert "1 imported, 0 skipped as duplicate, 1 rejected" in output
    assert labels_of(OTHER) == {SHARK: "correct"} and labels_of(VAL) == {}


def lines(path: Path, *text: str) -> Path:
    path.write_text("\n".join(text) + "\n")
    return path


def test_the_line_of_a_problem_is_that_of_its_images_key(few_images, tmp_path):
    path = lines(
        tmp_path / "bad.json",
        "{",
        f' "{OTHER}": {{"correct": ["{SHARK}"]}},',
        "",
        f' "{VAL}":',
        '   {"correct": ["n99999999"]}',
        "}",
    )
    assert f"  {path}:4: {VAL}: unknown wnid n99999999" in run_failing(str(path))


def test_an_unknown_image_is_listed_with_its_line(few_images, tmp_path):
    path = lines(
        tmp_path / "bad.json",
        "{",
        f' "{VAL}": {{"correct": ["{TENCH}"]}},',
        ' "ILSVRC2012_val_00099999.JPEG": {}',
        "}",
    )
    assert f"  {path}:3: unknown image 'ILSVRC2012_val_00099999.JPEG'" in run_failing(str(path))


def test_an_unknown_problematic_image_is_listed(few_images, tmp_path):
    path = write_json(tmp_path / "bad.json", {"labels": {}, "problematic": [VAL, "nope.JPEG"]})
    output = run_failing(str(path))
    assert "unknown problematic image 'nope.JPEG'" in output
    assert not Image.objects.filter(problematic=True).exists()


def test_an_image_listed_twice_is_a_problem(few_images, tmp_path):
    path = lines(
        tmp_path / "twice.json",
        "{",
        f' "{VAL}": {{"correct": ["{TENCH}"]}},',
        f' "{VAL}": {{"wrong": ["{TENCH}"]}}',
        "}",
    )
    assert f"  {path}:3: {VAL} is listed twice (also line 2)" in run_failing(str(path))


def test_a_file_that_is_not_json_is_reported_at_its_line(few_images, tmp_path):
    path = lines(tmp_path / "broken.json", "{", f' "{VAL}": {{"correct": ["{TENCH}"]}},', "}")
    output = run_failing(str(path))
    assert f"  {path}:3: not valid JSON" in output


def test_a_file_that_is_not_an_object_is_rejected(few_images, tmp_path):
    output = run_failing(str(write_json(tmp_path / "list.json", [VAL])))
    assert "expected a JSON object keyed by image name" in output


def test_a_missing_file_is_an_error(few_images, tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        run("import_annotations", str(tmp_path / "missing.json"))


def test_deeply_nested_json_is_reported_not_a_traceback(few_images, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    assert f"  {path}: not readable JSON: JSON nested too deeply to read" in run_failing(str(path))

    path.write_text(f'{{"{VAL}": {{"correct": ' + "[" * 100_000)
    assert f"  {path}: not readable JSON: JSON nested too deeply to read" in run_failing(str(path))


def test_a_huge_unknown_key_is_echoed_cut_short(few_images, tmp_path):
    huge = "k" * 10_000_000
    path = write_json(tmp_path / "huge.json", {VAL: {"correct": [TENCH], huge: []}})

    output = run_failing(str(path))

    assert f"{VAL}: unknown key(s) kkkk" in output and "(10,000,000 characters)" in output
    assert len(output) < 1_000


def test_an_image_name_with_a_newline_is_quoted_so_it_cannot_forge_a_report_line(
    few_images, tmp_path
):
    path = write_json(tmp_path / "nl.json", {"x\n  fake.json:1: fine": {"maybe": []}})
    output = run_failing(str(path))
    assert "unknown image 'x\\n  fake.json:1: fine'" in output
    assert "\n  fake.json" not in output
