"""Images and reference images are imported from folders in one batch, or not at all.

Every folder here is made by the test with Pillow. The rules: a bad file rejects the whole batch
(nothing is written, every problem is listed with its file and line, the command fails) unless
--skip-bad, which imports the rest; --dry-run writes nothing; a re-run changes nothing; and what is
stored never reveals an image's class, class folder or file name.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.images.importing import FileTooLarge, NotARegularFile, read_regular_file
from labeling.images.models import Image, ImageSource, ReferenceImage
from tests.helpers import stored_name
from tests.images.factories import picture, picture_with_broken_exif
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db

NORFOLK, NORWICH, LAPTOP = "n02094114", "n02094258", "n03642806"
V2_IDS = [
    "024c53fd8983f39ba674e416ea275a197dbc5b8c",
    "7e6d4e5f3f5d1d7b3b1d9d1a9b5f1d2b1e3c5a7f",
    "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
]


@pytest.fixture(autouse=True)
def classes(db):
    return {key: make_class(key) for key in ("norfolk", "norwich", "laptop")}


def run(command: str, *args: str, **options) -> str:
    """Run a command quietly; its report (stdout) is returned, a CommandError propagates."""
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO(), no_progress=True, **options)
    return out.getvalue()


def run_failing(command: str, *args: str, **options) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(command, *args, stdout=out, stderr=io.StringIO(), no_progress=True, **options)
    return out.getvalue(), str(caught.value)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def val_name(n: int) -> str:
    return f"ILSVRC2012_val_{n:08d}.JPEG"


def flat_val_folder(root: Path, count: int = 3) -> tuple[Path, Path]:
    """ILSVRC2012_val_*.JPEG files and a labels CSV (with a header) beside the folder."""
    folder = root / "val"
    rows = ["file,wnid"]
    for n in range(1, count + 1):
        write(folder / val_name(n), picture(64, 48, seed=n))
        rows.append(f"{val_name(n)},{(NORFOLK, NORWICH, LAPTOP)[n % 3]}")
    labels = root / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    return folder, labels


def wnid_folders(root: Path, per_class: int = 2, seed: int = 0) -> Path:
    folder = root / "by_class"
    for k, wnid in enumerate((NORFOLK, NORWICH)):
        for n in range(per_class):
            write(folder / wnid / val_name(100 * k + n), picture(64, 48, seed=seed + 100 * k + n))
    return folder


def v2_folder(root: Path) -> Path:
    """ImageNetV2's layout: <class index>/<sha1>.jpeg (185 = Norfolk terrier, 620 = laptop)."""
    folder = root / "imagenetv2-matched-frequency-format-val"
    write(folder / "185" / f"{V2_IDS[0]}.jpeg", picture(64, 48, seed=41))
    write(folder / "185" / f"{V2_IDS[1]}.jpeg", picture(64, 48, seed=42))
    write(folder / "620" / f"{V2_IDS[2]}.jpeg", picture(64, 48, seed=43))
    return folder


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- the three layouts ----------------------------------------------------------------------


def test_a_flat_val_folder_is_imported_with_its_labels_csv_and_thumbnails(tmp_path):
    folder, labels = flat_val_folder(tmp_path)
    output = run("import_images", str(folder), source="imagenet-val", labels=str(labels))

    assert "3 imported, 0 skipped as duplicate, 0 rejected" in output
    images = {image.original_name: image for image in Image.objects.select_related("source")}
    assert set(images) == {val_name(1), val_name(2), val_name(3)}
    first = images[val_name(1)]
    assert (first.source.slug, first.original_label_id, first.width, first.height) == (
        "imagenet-val",
        NORWICH,
        64,
        48,
    )
    assert all(
        image.thumbnail.name and image.file.storage.exists(image.thumbnail.name)
        for image in images.values()
    )
    assert len(first.sha256) == 64


def test_the_wnid_folder_layout_needs_no_labels_file(tmp_path):
    output = run("import_images", str(wnid_folders(tmp_path)), source="imagenet-val")
    assert "4 imported" in output
    labels = dict(Image.objects.values_list("original_name", "original_label__wnid"))
    assert labels == {
        val_name(0): NORFOLK,
        val_name(1): NORFOLK,
        val_name(100): NORWICH,
        val_name(101): NORWICH,
    }


def test_imagenetv2_images_are_named_by_their_sha1_and_labeled_by_the_class_index_folder(tmp_path):
    output = run(
        "import_imagenetv2", str(v2_folder(tmp_path)), source="imagenetv2-matched-frequency"
    )
    assert "3 imported" in output
    labels = dict(Image.objects.values_list("original_name", "original_label__wnid"))
    assert labels == {V2_IDS[0]: NORFOLK, V2_IDS[1]: NORFOLK, V2_IDS[2]: LAPTOP}
    assert set(Image.objects.values_list("source__slug", flat=True)) == {
        "imagenetv2-matched-frequency"
    }


def test_an_admin_added_source_can_be_imported_into(tmp_path):
    ImageSource.objects.create(slug="my-photos", name="Our photos", dataset="other")
    assert "4 imported" in run("import_images", str(wnid_folders(tmp_path)), source="my-photos")


def test_an_unknown_source_is_an_error_naming_the_known_ones(tmp_path):
    _, error = run_failing("import_images", str(wnid_folders(tmp_path)), source="imagenet-vall")
    assert "no image source 'imagenet-vall'" in error and "imagenet-val" in error


def test_imagenetv2_cannot_be_imported_into_the_val_source(tmp_path):
    _, error = run_failing("import_imagenetv2", str(v2_folder(tmp_path)), source="imagenet-val")
    assert "not ImageNetV2" in error


def test_stored_paths_reveal_neither_class_nor_class_folder_nor_file_name(tmp_path):
    run("import_imagenetv2", str(v2_folder(tmp_path)), source="imagenetv2-matched-frequency")
    run("import_images", str(wnid_folders(tmp_path)), source="imagenet-val")
    assert Image.objects.count() == 7
    for image in Image.objects.all():
        for path in (stored_name(image.file), stored_name(image.thumbnail)):
            assert path.startswith(("images/", "thumbs/")) and image.public_id in path
            for revealing in (
                NORFOLK, NORWICH, LAPTOP, "/185/", "/620/", "185", "620",
                image.original_name, image.original_name[:8], "ILSVRC", "val", "imagenetv2",
            ):  # fmt: skip
                assert revealing not in path.replace(image.public_id, ""), (path, revealing)


def test_many_images_are_checked_and_thumbnailed_by_a_pool_of_processes(tmp_path):
    folder = wnid_folders(tmp_path, per_class=20)
    output = run("import_images", str(folder), source="imagenet-val", workers=2)
    assert "40 imported" in output
    assert Image.objects.filter(thumbnail="").count() == 0


# --- duplicates, re-runs and dry runs ------------------------------------------------------


def test_running_the_same_import_again_changes_nothing(tmp_path):
    folder, labels = flat_val_folder(tmp_path)
    run("import_images", str(folder), source="imagenet-val", labels=str(labels))
    files = stored_files()
    images = list(Image.objects.values_list("id", "public_id", "file", "thumbnail"))

    output = run("import_images", str(folder), source="imagenet-val", labels=str(labels))

    assert "0 imported, 3 skipped as duplicate, 0 rejected" in output
    assert list(Image.objects.values_list("id", "public_id", "file", "thumbnail")) == images
    assert stored_files() == files


def test_the_same_file_twice_in_a_batch_is_stored_once(tmp_path):
    folder = tmp_path / "dupes"
    write(folder / NORFOLK / val_name(1), picture(64, 48, seed=5))
    write(folder / NORFOLK / val_name(2), picture(64, 48, seed=5))
    output = run("import_images", str(folder), source="imagenet-val", verbosity=2)
    assert "1 imported, 1 skipped as duplicate, 0 rejected" in output
    assert f"{NORFOLK}/{val_name(2)}: same file as {NORFOLK}/{val_name(1)} in this batch" in output
    assert Image.objects.count() == 1


def test_an_image_shared_by_two_imagenetv2_sets_is_stored_once(tmp_path):
    folder = v2_folder(tmp_path)
    run("import_imagenetv2", str(folder), source="imagenetv2-matched-frequency")
    output = run("import_imagenetv2", str(folder), source="imagenetv2-threshold0.7")
    assert "0 imported, 3 skipped as duplicate" in output
    assert Image.objects.count() == 3


def test_a_different_file_under_a_stored_name_is_rejected(tmp_path):
    run("import_images", str(wnid_folders(tmp_path)), source="imagenet-val")
    other = tmp_path / "other"
    write(other / NORFOLK / val_name(0), picture(64, 48, seed=99))
    output, _ = run_failing("import_images", str(other), source="imagenet-val")
    assert f"imagenet-val already has a different image named {val_name(0)}" in output


def test_a_dry_run_checks_everything_and_writes_nothing(tmp_path):
    folder, labels = flat_val_folder(tmp_path)
    output = run(
        "import_images", str(folder), source="imagenet-val", labels=str(labels), dry_run=True
    )
    assert "dry run: nothing was written. 3 would be imported" in output
    assert Image.objects.count() == 0 and stored_files() == []


def test_a_dry_run_with_a_bad_file_lists_it_and_fails(tmp_path):
    folder, labels = flat_val_folder(tmp_path)
    write(folder / val_name(1), b"not a picture")
    output, _ = run_failing(
        "import_images", str(folder), source="imagenet-val", labels=str(labels), dry_run=True
    )
    assert f"{val_name(1)}: The file is not an image" in output
    assert Image.objects.count() == 0


# --- bad input: each reported with its file (and line), nothing written unless --skip-bad -----


def break_val_folder(case: str, folder: Path, labels: Path, settings) -> str:
    """Spoil a 3-image flat val folder in one way; returns the expected problem line."""
    if case == "unreadable file":
        os.remove(folder / val_name(1))
        os.symlink(folder / "gone.JPEG", folder / val_name(1))  # a link to nothing
        return f"{val_name(1)}: cannot read the file (No such file or directory)"
    if case == "truncated jpeg":
        data = (folder / val_name(1)).read_bytes()
        write(folder / val_name(1), data[: len(data) // 2])
        return f"{val_name(1)}: The image is damaged or incomplete"
    if case == "not an image":
        write(folder / val_name(1), b"%PDF-1.4 not a picture")
        return f"{val_name(1)}: The file is not an image in a supported format"
    if case == "decompression bomb":
        settings.IMAGE_MAX_PIXELS = 100 * 100
        write(folder / val_name(1), picture(200, 100, seed=1))
        for n in (2, 3):
            write(folder / val_name(n), picture(60, 40, seed=n))
        return f"{val_name(1)}: The image is too large: 200 x 100 = 20,000 pixels"
    if case == "unknown wnid":
        text = labels.read_text().replace(f"{val_name(1)},{NORWICH}", f"{val_name(1)},n99999999")
        labels.write_text(text)
        return f"{labels}:2: unknown wnid n99999999: not one of the 1000 ImageNet classes"
    if case == "malformed csv row":
        labels.write_text(labels.read_text().replace(f"{val_name(1)},{NORWICH}", val_name(1)))
        return f"{labels}:2: expected 2 columns file,wnid; got ['{val_name(1)}']"
    if case == "not a wnid":
        labels.write_text(labels.read_text().replace(f",{NORWICH}", ",norwich terrier"))
        return f"{labels}:2: 'norwich terrier' is not a wnid (n + 8 digits)"
    if case == "no such file":
        os.remove(folder / val_name(1))
        return f"{labels}:2: {val_name(1)}: no such file in {folder}"
    if case == "file without a label":
        write(folder / val_name(9), picture(64, 48, seed=9))
        return f"{val_name(9)}: has no label in labels.csv"
    if case == "file listed twice":
        labels.write_text(labels.read_text() + f"{val_name(2)},{LAPTOP}\n")
        return f"{labels}:5: {val_name(2)} is listed twice (also line 3)"
    raise AssertionError(case)


BAD_VAL_CASES = [
    "unreadable file",
    "truncated jpeg",
    "not an image",
    "decompression bomb",
    "unknown wnid",
    "malformed csv row",
    "not a wnid",
    "no such file",
    "file without a label",
    "file listed twice",
]


@pytest.mark.parametrize("case", BAD_VAL_CASES)
def test_one_bad_input_rejects_the_whole_batch_and_is_listed_with_its_file(
    case, tmp_path, settings
):
    folder, labels = flat_val_folder(tmp_path)
    problem = break_val_folder(case, folder, labels, settings)

    output, error = run_failing(
        "import_images", str(folder), source="imagenet-val", labels=str(labels)
    )

    assert "rejected: nothing was written" in output
    assert f"  {problem}" in output, output
    assert "batch rejected" in error and "--skip-bad" in error
    assert Image.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize("case", BAD_VAL_CASES)
def test_with_skip_bad_the_good_files_are_imported_and_the_bad_listed(case, tmp_path, settings):
    folder, labels = flat_val_folder(tmp_path)
    problem = break_val_folder(case, folder, labels, settings)

    output = run(
        "import_images", str(folder), source="imagenet-val", labels=str(labels), skip_bad=True
    )

    assert "1 rejected" in output and f"  {problem}" in output
    spoiled = {"file without a label": 9, "file listed twice": 2}.get(case, 1)
    expected = {val_name(n) for n in (1, 2, 3) if n != spoiled}
    assert set(Image.objects.values_list("original_name", flat=True)) == expected


def test_an_unknown_wnid_folder_rejects_its_files(tmp_path):
    folder = wnid_folders(tmp_path)
    write(folder / "n99999999" / "x.JPEG", picture(64, 48, seed=77))
    output, _ = run_failing("import_images", str(folder), source="imagenet-val")
    assert "  n99999999/x.JPEG: unknown wnid n99999999" in output
    assert Image.objects.count() == 0


def test_a_file_outside_the_class_folders_is_rejected(tmp_path):
    folder = wnid_folders(tmp_path)
    write(folder / val_name(7), picture(64, 48, seed=7))
    output, _ = run_failing("import_images", str(folder), source="imagenet-val")
    assert f"  {val_name(7)}: not inside a <wnid>/ folder (a flat folder needs --labels)" in output


@pytest.mark.parametrize(
    ("folder_name", "file_name", "problem"),
    [
        ("1000", f"{V2_IDS[0]}.jpeg", "folder '1000' is not the class index (0-999) of a class"),
        ("terrier", f"{V2_IDS[0]}.jpeg", "folder 'terrier' is not the class index"),
        ("0", f"{V2_IDS[0]}.jpeg", "folder '0' is not the class index"),  # tench: not loaded
        ("185", "not-a-sha1.jpeg", "not named <sha1>.jpeg"),
    ],
)
def test_a_wrong_class_index_folder_or_file_name_in_the_v2_layout_is_rejected(
    folder_name, file_name, problem, tmp_path
):
    folder = tmp_path / "v2"
    write(folder / "620" / f"{V2_IDS[2]}.jpeg", picture(64, 48, seed=43))
    write(folder / folder_name / file_name, picture(64, 48, seed=44))

    output, _ = run_failing("import_imagenetv2", str(folder), source="imagenetv2-top-images")
    assert f"  {folder_name}/{file_name}: {problem}" in output
    assert Image.objects.count() == 0

    output = run("import_imagenetv2", str(folder), source="imagenetv2-top-images", skip_bad=True)
    assert "1 imported" in output
    assert list(Image.objects.values_list("original_name", flat=True)) == [V2_IDS[2]]


# --- reference images ------------------------------------------------------------------------


def train_folder(root: Path, per_class: int = 6) -> Path:
    """The ImageNet train layout: <wnid>/<wnid>_<n>.JPEG."""
    folder = root / "train"
    for k, wnid in enumerate((NORFOLK, NORWICH)):
        for n in range(per_class):
            write(folder / wnid / f"{wnid}_{n}.JPEG", picture(80, 60, seed=100 + 10 * k + n))
    return folder


def chosen() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for reference in ReferenceImage.objects.select_related("synset").order_by("synset", "position"):
        result.setdefault(reference.synset.wnid, []).append(reference.original_name)
    return result


def test_at_most_n_references_per_class_are_taken_chosen_by_the_seed(tmp_path):
    folder = train_folder(tmp_path)
    output = run("import_references", str(folder), per_class=3, seed=7)
    assert "6 imported" in output
    first = chosen()
    assert {wnid: len(names) for wnid, names in first.items()} == {NORFOLK: 3, NORWICH: 3}
    references = ReferenceImage.objects.all()
    assert all(r.thumbnail and r.thumbnail_width and r.thumbnail_height for r in references)

    ReferenceImage.objects.all().delete()
    run("import_references", str(folder), per_class=3, seed=7)
    assert chosen() == first  # the same seed picks the same files, in the same order


def test_another_seed_picks_other_references_and_a_larger_n_a_superset(tmp_path):
    folder = train_folder(tmp_path, per_class=12)
    run("import_references", str(folder), per_class=4, seed=1)
    seed_one = chosen()
    ReferenceImage.objects.all().delete()
    run("import_references", str(folder), per_class=4, seed=2)
    assert chosen() != seed_one

    ReferenceImage.objects.all().delete()
    run("import_references", str(folder), per_class=4, seed=1)
    output = run("import_references", str(folder), per_class=6, seed=1)
    assert "4 imported, 8 skipped as duplicate" in output
    larger = chosen()
    assert all(larger[wnid][:4] == seed_one[wnid] for wnid in seed_one)


def test_reimporting_references_changes_nothing(tmp_path):
    folder = train_folder(tmp_path)
    run("import_references", str(folder), per_class=3)
    before = list(ReferenceImage.objects.values_list("id", "file", "thumbnail", "position"))
    output = run("import_references", str(folder), per_class=3)
    assert "0 imported, 6 skipped as duplicate, 0 rejected" in output
    assert list(ReferenceImage.objects.values_list("id", "file", "thumbnail", "position")) == before


def test_references_beyond_the_class_limit_are_rejected(tmp_path, settings):
    settings.REFERENCE_IMAGES_PER_CLASS = 4
    folder = train_folder(tmp_path)
    run("import_references", str(folder), per_class=3, seed=1)
    output, _ = run_failing("import_references", str(folder), per_class=4, seed=2)
    assert "would have more than 4 reference images" in output


def test_a_bad_reference_file_or_unknown_class_folder_rejects_the_batch(tmp_path):
    folder = train_folder(tmp_path, per_class=2)
    write(folder / NORFOLK / f"{NORFOLK}_0.JPEG", b"GIF89a broken")
    write(folder / "n99999999" / "n99999999_1.JPEG", picture(80, 60, seed=3))
    output, _ = run_failing("import_references", str(folder), per_class=5)
    assert f"  {NORFOLK}/{NORFOLK}_0.JPEG: The" in output
    assert "  n99999999: unknown wnid n99999999" in output
    assert ReferenceImage.objects.count() == 0 and stored_files() == []

    output = run("import_references", str(folder), per_class=5, skip_bad=True)
    assert "3 imported, 0 skipped as duplicate, 2 rejected" in output


def test_a_reference_file_that_is_an_image_to_label_is_refused_and_the_batch_with_it(tmp_path):
    # A val image dropped among the training files: its class's gallery would show annotators
    # the very image they label.
    folder, labels = flat_val_folder(tmp_path)
    run("import_images", str(folder), source="imagenet-val", labels=str(labels))
    references = train_folder(tmp_path, per_class=2)
    write(references / NORWICH / "n02094258_9.JPEG", (folder / val_name(1)).read_bytes())
    before = stored_files()

    output, _ = run_failing("import_references", str(references), per_class=5)

    stored = Image.objects.get(original_name=val_name(1))
    assert f"  {NORWICH}/n02094258_9.JPEG: the same file is stored as image {stored.public_id}" in (
        output
    )
    assert ReferenceImage.objects.count() == 0 and stored_files() == before
    output = run("import_references", str(references), per_class=5, skip_bad=True)
    assert "4 imported, 0 skipped as duplicate, 1 rejected" in output


def test_an_image_to_label_that_is_a_reference_file_is_refused_and_the_batch_with_it(tmp_path):
    references = train_folder(tmp_path, per_class=2)
    run("import_references", str(references), per_class=2)
    folder, labels = flat_val_folder(tmp_path)
    write(folder / val_name(2), (references / NORFOLK / f"{NORFOLK}_1.JPEG").read_bytes())
    before = stored_files()

    output, _ = run_failing("import_images", str(folder), source="imagenet-val", labels=str(labels))

    assert f"  {val_name(2)}: the same file is reference image #" in output
    assert f"of {NORFOLK} ({NORFOLK}_1.JPEG)" in output
    assert Image.objects.count() == 0 and stored_files() == before
    output = run(
        "import_images", str(folder), source="imagenet-val", labels=str(labels), skip_bad=True
    )
    assert "2 imported, 0 skipped as duplicate, 1 rejected" in output
    assert not Image.objects.filter(original_name=val_name(2)).exists()


def test_per_class_beyond_the_limit_is_an_error(tmp_path):
    _, error = run_failing("import_references", str(train_folder(tmp_path)), per_class=101)
    assert "--per-class must be between 1 and 100" in error


# --- the command's progress bar --------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_unless_turned_off(tmp_path):
    folder = wnid_folders(tmp_path)
    terminal = Terminal()
    call_command(
        "import_images", str(folder), source="imagenet-val", stdout=io.StringIO(), stderr=terminal
    )
    assert "checking" in terminal.getvalue() and "importing" in terminal.getvalue()

    quiet = Terminal()
    call_command(
        "import_images", str(folder), source="imagenet-val", stdout=io.StringIO(), stderr=quiet,
        no_progress=True,
    )  # fmt: skip
    assert quiet.getvalue() == ""


def test_no_progress_bar_is_drawn_when_stderr_is_not_a_terminal(tmp_path):
    log = io.StringIO()
    call_command(
        "import_images", str(wnid_folders(tmp_path)), source="imagenet-val", stdout=io.StringIO(),
        stderr=log,
    )  # fmt: skip
    assert log.getvalue() == ""


# --- only regular files inside the folder are read -------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("link to /dev/zero", "a link that leads outside the folder"),
        ("fifo", "not a regular file: a device, FIFO or socket is never read"),
        ("link outside the folder", "a link that leads outside the folder"),
    ],
)
def test_only_regular_files_inside_the_folder_are_read(case, expected, tmp_path):
    folder, labels = flat_val_folder(tmp_path)
    os.remove(folder / val_name(1))
    if case == "link to /dev/zero":
        os.symlink("/dev/zero", folder / val_name(1))
    elif case == "fifo":
        os.mkfifo(folder / val_name(1))  # reading it would wait for a writer forever
    else:
        outside = write(tmp_path / "elsewhere" / "secret.JPEG", picture(64, 48, seed=1))
        os.symlink(outside, folder / val_name(1))

    output = run(
        "import_images", str(folder), source="imagenet-val", labels=str(labels), skip_bad=True
    )

    assert f"  {val_name(1)}: {expected}" in output, output
    assert "1 rejected" in output  # not also "no such file" from the labels
    assert set(Image.objects.values_list("original_name", flat=True)) == {val_name(2), val_name(3)}


def test_a_device_is_never_read():
    with pytest.raises(NotARegularFile):
        read_regular_file(Path("/dev/zero"))  # would otherwise read until memory runs out


def test_an_image_file_above_the_byte_limit_is_refused_by_name_and_the_rest_imported(
    tmp_path, settings
):
    folder, labels = flat_val_folder(tmp_path)
    settings.IMAGE_MAX_BYTES = max((folder / val_name(n)).stat().st_size for n in (2, 3))
    write(folder / val_name(1), picture(64, 48, seed=1) + b"\0" * settings.IMAGE_MAX_BYTES)
    size = (folder / val_name(1)).stat().st_size

    output = run(
        "import_images", str(folder), source="imagenet-val", labels=str(labels), skip_bad=True
    )

    limit = settings.IMAGE_MAX_BYTES
    assert (
        f"  {val_name(1)}: the file is too large: it has {size:,} bytes, more than the "
        f"{limit:,} bytes allowed (IMAGE_MAX_BYTES); it was not read"
    ) in output, output
    assert "2 imported, 0 skipped as duplicate, 1 rejected" in output
    assert set(Image.objects.values_list("original_name", flat=True)) == {val_name(2), val_name(3)}


def test_a_file_of_exactly_the_byte_limit_is_imported(tmp_path, settings):
    folder, labels = flat_val_folder(tmp_path, count=1)
    settings.IMAGE_MAX_BYTES = (folder / val_name(1)).stat().st_size
    output = run("import_images", str(folder), source="imagenet-val", labels=str(labels))
    assert "1 imported" in output


def test_a_reference_file_above_the_byte_limit_is_refused_and_the_batch_with_it(tmp_path, settings):
    folder = train_folder(tmp_path, per_class=2)
    settings.IMAGE_MAX_BYTES = 100_000
    big = write(folder / NORFOLK / f"{NORFOLK}_0.JPEG", picture(80, 60, seed=5) + b"\0" * 100_000)

    output, _ = run_failing("import_references", str(folder), per_class=5)

    assert (
        f"  {NORFOLK}/{NORFOLK}_0.JPEG: the file is too large: it has {big.stat().st_size:,} "
        "bytes, more than the 100,000 bytes allowed (IMAGE_MAX_BYTES)"
    ) in output, output
    assert ReferenceImage.objects.count() == 0
    output = run("import_references", str(folder), per_class=5, skip_bad=True)
    assert "3 imported, 0 skipped as duplicate, 1 rejected" in output


def test_the_byte_limit_is_checked_before_a_byte_is_read(tmp_path):
    # 8 GB that take no disk: reading it whole would take the memory it has; the default limit
    # (50 MB) refuses it at once.
    huge = tmp_path / "huge.JPEG"
    with huge.open("wb") as handle:
        handle.truncate(8 * 1024**3)
    with pytest.raises(FileTooLarge) as caught:
        read_regular_file(huge)
    assert str(caught.value) == (
        "the file is too large: it has 8,589,934,592 bytes (8,192.0 MB), more than the "
        "52,428,800 bytes (50.0 MB) allowed (IMAGE_MAX_BYTES); it was not read"
    )


def test_a_class_folder_linked_from_outside_is_not_followed(tmp_path):
    folder = wnid_folders(tmp_path)
    elsewhere = tmp_path / "elsewhere" / LAPTOP
    write(elsewhere / "x.JPEG", picture(64, 48, seed=55))
    os.symlink(elsewhere, folder / LAPTOP)

    output, _ = run_failing("import_images", str(folder), source="imagenet-val")

    assert f"  {LAPTOP}: a link that leads outside the folder" in output
    assert Image.objects.count() == 0


def test_a_link_inside_the_folder_to_a_file_inside_it_is_imported(tmp_path):
    folder, labels = flat_val_folder(tmp_path, count=2)
    os.rename(folder / val_name(2), folder / ".kept.jpg")  # hidden: not itself imported
    os.symlink(folder / ".kept.jpg", folder / val_name(2))

    output = run("import_images", str(folder), source="imagenet-val", labels=str(labels))

    assert "2 imported" in output and "0 rejected" in output


# --- Pillow's warnings are notes, not stderr --------------------------------------------------


def test_a_broken_exif_block_is_a_note_and_nothing_reaches_stderr(tmp_path, capfd):
    folder, labels = flat_val_folder(tmp_path)
    write(folder / val_name(1), picture_with_broken_exif(seed=1))

    output = run("import_images", str(folder), source="imagenet-val", labels=str(labels))

    assert "3 imported" in output
    assert f"notes (1):\n  {val_name(1)}: Pillow: " in output, output
    assert capfd.readouterr().err == ""
