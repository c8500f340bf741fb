"""Predictions are imported from CSV or JSON Lines files, streamed, in one batch or not at all.

Each file is written by the test. Images are named as in the study's annotation files (the val
file name, or the ImageNetV2 SHA-1 id); every predicted (image, class) becomes a candidate with the
number of models that predicted it.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from labeling.images.services import image_create
from labeling.predictions import importing
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.review.models import Candidate
from tests.images.factories import make_image, picture, v2_source
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db

NORFOLK, NORWICH, LAPTOP = "n02094114", "n02094258", "n03642806"
V2_ID = "024c53fd8983f39ba674e416ea275a197dbc5b8c"


def val_name(n: int) -> str:
    return f"ILSVRC2012_val_{n:08d}.JPEG"


@pytest.fixture
def images(db):
    """Three val images and one ImageNetV2 image, by name."""
    for key in ("norfolk", "norwich", "laptop"):
        make_class(key)
    named = {val_name(n): make_image(seed=n) for n in (1, 2, 3)}
    named[V2_ID] = image_create(
        source=v2_source(),
        original_name=V2_ID,
        original_label=make_class("laptop"),
        data=picture(seed=40),
        file_name=f"{V2_ID}.jpeg",
    )
    return named


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(
        "import_predictions", *args, stdout=out, stderr=io.StringIO(), no_progress=True, **options
    )
    return out.getvalue()


def run_failing(*args: str, **options) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_predictions",
            *args,
            stdout=out,
            stderr=io.StringIO(),
            no_progress=True,
            **options,
        )
    return out.getvalue(), str(caught.value)


def csv_file(path: Path, rows: list[str], header: str = "image,model,wnid,rank,score") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GOOD_ROWS = [
    f"{val_name(1)},resnet50,{NORFOLK},1,0.91",
    f"{val_name(2)},resnet50,{NORWICH},1,0.5",
    f"{val_name(3)},resnet50,{LAPTOP},1,",
    f"{V2_ID},resnet50,{LAPTOP},1,0.7",
    f"{val_name(1)},vgg16,{NORWICH},1,0.4",
    f"{val_name(2)},vgg16,{NORWICH},1,0.6",
    f"{val_name(3)},vgg16,{LAPTOP},1,0.99",
    f"{V2_ID},vgg16,{LAPTOP},1,0.8",
]


def stored() -> set[tuple]:
    return set(
        ModelPrediction.objects.values_list(
            "model__name", "image__original_name", "synset__wnid", "rank", "score"
        )
    )


def candidates() -> dict[tuple[str, str], tuple[int, str]]:
    return {
        (name, wnid): (count, added_by)
        for name, wnid, count, added_by in Candidate.objects.values_list(
            "image__original_name", "synset__wnid", "model_count", "added_by"
        )
    }


# --- formats --------------------------------------------------------------------------------


def test_a_csv_file_is_imported_and_its_models_created(images, tmp_path):
    output = run(str(csv_file(tmp_path / "predictions.csv", GOOD_ROWS)))

    assert "8 imported, 0 skipped as duplicate, 0 rejected" in output
    assert set(ClassifierModel.objects.values_list("name", flat=True)) == {"resnet50", "vgg16"}
    assert (("resnet50", val_name(1), NORFOLK, 1, 0.91)) in stored()
    assert (("resnet50", val_name(3), LAPTOP, 1, None)) in stored()
    assert len(stored()) == 8


def test_every_predicted_class_becomes_a_candidate_counting_its_models(images, tmp_path):
    run(str(csv_file(tmp_path / "predictions.csv", GOOD_ROWS)))
    assert candidates() == {
        (val_name(1), NORFOLK): (1, "model"),
        (val_name(1), NORWICH): (1, "model"),
        (val_name(2), NORWICH): (2, "model"),
        (val_name(3), LAPTOP): (2, "model"),
        (V2_ID, LAPTOP): (2, "model"),
    }
    # A third model agreeing on one image raises that count only.
    run(str(csv_file(tmp_path / "more.csv", [f"{val_name(1)},alexnet,{NORFOLK},1,0.3"])))
    assert candidates()[(val_name(1), NORFOLK)] == (2, "model")
    assert candidates()[(val_name(2), NORWICH)] == (2, "model")


def test_a_json_lines_file_is_imported_with_optional_rank_and_score(images, tmp_path):
    lines = [
        {"image": val_name(1), "model": "resnet50", "wnid": NORFOLK},
        {"image": val_name(1), "model": "resnet50", "wnid": NORWICH, "rank": 2, "score": 0.2},
        {"image": V2_ID.upper(), "model": "resnet50", "wnid": LAPTOP, "score": None},
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")

    assert "3 imported" in run(str(path))
    assert stored() == {
        ("resnet50", val_name(1), NORFOLK, 1, None),
        ("resnet50", val_name(1), NORWICH, 2, 0.2),
        ("resnet50", V2_ID, LAPTOP, 1, None),
    }


def test_columns_may_come_in_any_order_and_rank_and_score_may_be_left_out(images, tmp_path):
    path = csv_file(
        tmp_path / "p.csv", [f"{NORWICH},vgg16,{val_name(2)}"], header="wnid,model,image"
    )
    assert "1 imported" in run(str(path))
    assert stored() == {("vgg16", val_name(2), NORWICH, 1, None)}


def test_a_gzipped_file_is_read_too(images, tmp_path):
    path = tmp_path / "predictions.csv.gz"
    path.write_bytes(gzip.compress(("image,model,wnid\n" + "\n".join(
        row.rsplit(",", 2)[0] for row in GOOD_ROWS
    ) + "\n").encode()))  # fmt: skip
    assert "8 imported" in run(str(path))


def test_model_metadata_comes_from_a_models_file(images, tmp_path):
    models = tmp_path / "models.json"
    models.write_text(json.dumps({"resnet50": {"year": 2015, "paper": "He et al.", "top1": 76.1}}))
    run(str(csv_file(tmp_path / "p.csv", GOOD_ROWS)), models=str(models))
    resnet = ClassifierModel.objects.get(name="resnet50")
    assert resnet.metadata == {"year": 2015, "paper": "He et al.", "top1": 76.1}
    assert ClassifierModel.objects.get(name="vgg16").metadata == {}


def test_a_malformed_models_file_is_an_error(images, tmp_path):
    models = tmp_path / "models.json"
    models.write_text('["resnet50"]')
    _, error = run_failing(str(csv_file(tmp_path / "p.csv", GOOD_ROWS)), models=str(models))
    assert "expected" in error
    assert ModelPrediction.objects.count() == 0


def test_a_models_file_nested_too_deeply_is_an_error_not_a_traceback(images, tmp_path):
    models = tmp_path / "models.json"
    models.write_text("{" + '"a":{' * 100_000)
    _, error = run_failing(str(csv_file(tmp_path / "p.csv", GOOD_ROWS)), models=str(models))
    assert "cannot read the models file (JSON nested too deeply to read)" in error


# --- re-runs and dry runs ------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(images, tmp_path):
    path = csv_file(tmp_path / "p.csv", GOOD_ROWS)
    run(str(path))
    before = (stored(), candidates(), list(ModelPrediction.objects.values_list("id", flat=True)))

    output = run(str(path))

    assert "0 imported, 8 skipped as duplicate, 0 rejected" in output
    assert (
        stored(),
        candidates(),
        list(ModelPrediction.objects.values_list("id", flat=True)),
    ) == before


def test_a_dry_run_reports_what_would_be_imported_and_writes_nothing(images, tmp_path):
    output = run(str(csv_file(tmp_path / "p.csv", GOOD_ROWS)), dry_run=True)
    assert "dry run: nothing was written. 8 would be imported" in output
    assert ModelPrediction.objects.count() == 0
    assert ClassifierModel.objects.count() == 0 and Candidate.objects.count() == 0


# --- bad input --------------------------------------------------------------------------------

BAD_CSV_ROWS = {
    "unknown image": (f"{val_name(9)},resnet50,{NORFOLK},1,0.1", f"unknown image '{val_name(9)}'"),
    "unknown wnid": (
        f"{val_name(1)},alexnet,n99999999,1,0.1",
        "unknown wnid n99999999: not one of the 1000 ImageNet classes",
    ),
    "not a wnid": (f"{val_name(1)},alexnet,terrier,1,0.1", "'terrier' is not a wnid"),
    "too few fields": (
        f"{val_name(1)},alexnet",
        f"expected 5 fields as in the header, got ['{val_name(1)}', 'alexnet']",
    ),
    "bad rank": (f"{val_name(1)},alexnet,{NORFOLK},first,0.1", "rank must be a whole number"),
    "rank zero": (f"{val_name(1)},alexnet,{NORFOLK},0,0.1", "rank must be a whole number"),
    "bad score": (f"{val_name(1)},alexnet,{NORFOLK},1,high", "score must be a finite number"),
    "infinite score": (f"{val_name(1)},alexnet,{NORFOLK},1,inf", "score must be a finite number"),
    "no model": (f"{val_name(1)},,{NORFOLK},1,0.1", "no model name"),
}


@pytest.mark.parametrize("case", BAD_CSV_ROWS)
def test_a_bad_csv_row_rejects_the_batch_and_is_listed_with_its_line(case, images, tmp_path):
    bad, problem = BAD_CSV_ROWS[case]
    path = csv_file(tmp_path / "p.csv", [*GOOD_ROWS[:3], bad, *GOOD_ROWS[3:]])

    output, error = run_failing(str(path))

    assert f"  {path}:5: {problem}" in output, output
    assert "batch rejected" in error
    assert ModelPrediction.objects.count() == 0
    assert ClassifierModel.objects.count() == 0 and Candidate.objects.count() == 0


@pytest.mark.parametrize("case", BAD_CSV_ROWS)
def test_with_skip_bad_the_good_rows_are_imported_and_the_bad_listed(case, images, tmp_path):
    bad, problem = BAD_CSV_ROWS[case]
    path = csv_file(tmp_path / "p.csv", [*GOOD_ROWS[:3], bad, *GOOD_ROWS[3:]])
    output = run(str(path), skip_bad=True)
    assert "8 imported, 0 skipped as duplicate, 1 rejected" in output
    assert f"  {path}:5: {problem}" in output
    assert len(stored()) == 8


def test_an_unterminated_quote_is_reported_at_the_line_where_its_record_starts(images, tmp_path):
    # CSV lets a quoted value run over lines: the rest of the file becomes one bad record.
    path = csv_file(tmp_path / "p.csv", [*GOOD_ROWS[:3], f'"{val_name(1)},alexnet', *GOOD_ROWS[3:]])
    output, _ = run_failing(str(path))
    assert f"  {path}:5: expected 5 fields as in the header, got" in output
    assert "characters)" in output  # the swallowed rest is cut short in the report
    assert "3 imported" in run(str(path), skip_bad=True)


def test_every_bad_json_line_is_listed_with_its_line(images, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"image": val_name(1), "model": "m", "wnid": NORFOLK}),
                '{"image": "' + val_name(2) + '", "model": "m", ',  # cut short
                json.dumps(["not", "an", "object"]),
                json.dumps({"image": val_name(2), "model": "m"}),
                json.dumps({"image": val_name(2), "model": "m", "wnid": NORWICH, "rank": 1.5}),
                json.dumps({"image": val_name(2), "model": "m", "wnid": NORWICH, "rank": True}),
                json.dumps(
                    {"image": "ILSVRC2012_val_00000099.JPEG", "model": "m", "wnid": NORWICH}
                ),
                json.dumps({"image": val_name(3), "model": "m", "wnid": LAPTOP, "score": "0.5"}),
            ]
        )
        + "\n"
    )
    output, _ = run_failing(str(path))
    assert f"  {path}:2: malformed JSON line" in output
    for line in (3, 4):
        assert (
            f'  {path}:{line}: expected an object with string "image", "model" and "wnid"' in output
        )
    assert f"  {path}:5: rank must be a whole number" in output
    assert f"  {path}:6: rank must be a whole number" in output
    assert f"  {path}:7: unknown image 'ILSVRC2012_val_00000099.JPEG'" in output
    assert "6 rejected" in output
    assert ModelPrediction.objects.count() == 0

    output = run(str(path), skip_bad=True)
    assert "2 imported, 0 skipped as duplicate, 6 rejected" in output


def test_a_row_contradicting_a_stored_prediction_is_rejected(images, tmp_path):
    run(str(csv_file(tmp_path / "p.csv", GOOD_ROWS)))
    path = csv_file(
        tmp_path / "again.csv",
        [GOOD_ROWS[0], f"{val_name(2)},resnet50,{LAPTOP},1,0.5", GOOD_ROWS[2]],
    )

    output, _ = run_failing(str(path))

    assert (
        f"  {path}:3: resnet50 already predicts {NORWICH} (not {LAPTOP}) for {val_name(2)} "
        "at rank 1" in output
    )
    assert ("resnet50", val_name(2), NORWICH, 1, 0.5) in stored()
    output = run(str(path), skip_bad=True)
    assert "0 imported, 2 skipped as duplicate, 1 rejected" in output


def test_two_rows_of_the_file_contradicting_each_other_keep_the_first(images, tmp_path):
    path = csv_file(
        tmp_path / "p.csv",
        [f"{val_name(1)},resnet50,{NORFOLK},1,", f"{val_name(1)},resnet50,{NORWICH},1,"],
    )
    output, _ = run_failing(str(path))
    assert f"  {path}:3: resnet50 already predicts {NORFOLK} (not {NORWICH})" in output
    assert ModelPrediction.objects.count() == 0

    run(str(path), skip_bad=True)
    assert stored() == {("resnet50", val_name(1), NORFOLK, 1, None)}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "the file is empty"),
        (f"{val_name(1)},resnet50,{NORFOLK}\n", "the header must name the columns"),
        ("picture,model,wnid\n", "missing image"),
    ],
)
def test_a_file_without_a_proper_header_is_an_error(content, problem, images, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(content)
    _, error = run_failing(str(path))
    assert problem in error and "nothing was written" in error


def test_a_file_of_another_format_is_an_error(images, tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_text("x")
    _, error = run_failing(str(path))
    assert "name it .csv, .jsonl or .ndjson" in error


# --- bulk loads (PostgreSQL; elsewhere these take the general way) ----------------------------


@pytest.fixture
def small_bulk_threshold(monkeypatch):
    """Make a test-sized file count as a bulk load (a batch larger than the table)."""
    monkeypatch.setattr(importing, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(importing, "AVERAGE_ROW_BYTES", 1)


def constraints_and_indexes() -> dict:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, ModelPrediction._meta.db_table)
    return {
        name: (info["columns"], info["unique"], info["foreign_key"]) for name, info in found.items()
    }


def test_a_bulk_load_restores_every_index_and_constraint(images, tmp_path, small_bulk_threshold):
    before = constraints_and_indexes()
    output = run(str(csv_file(tmp_path / "p.csv", GOOD_ROWS)), verbosity=2)
    assert "8 imported" in output
    if connection.vendor == "postgresql":
        assert "index and constraint builds" in output  # it was a bulk load
    assert constraints_and_indexes() == before
    assert len(stored()) == 8 and len(candidates()) == 5


def test_a_bulk_load_overlapping_stored_rows_is_redone_the_general_way(
    images, tmp_path, small_bulk_threshold
):
    run(str(csv_file(tmp_path / "first.csv", GOOD_ROWS[4:])))  # vgg16's rows
    before = constraints_and_indexes()
    # resnet50 is new (so a bulk load is chosen), but the file repeats one of vgg16's rows,
    # and contradicts another.
    path = csv_file(
        tmp_path / "p.csv",
        [*GOOD_ROWS[:4], GOOD_ROWS[4], f"{val_name(2)},vgg16,{LAPTOP},1,0.6"],
    )
    output, _ = run_failing(str(path))
    assert f"  {path}:7: vgg16 already predicts {NORWICH} (not {LAPTOP})" in output

    output = run(str(path), skip_bad=True)
    assert "4 imported, 1 skipped as duplicate, 1 rejected" in output
    assert len(stored()) == 8
    assert constraints_and_indexes() == before


def test_a_bulk_load_with_a_row_given_twice_keeps_one(images, tmp_path, small_bulk_threshold):
    path = csv_file(tmp_path / "p.csv", [*GOOD_ROWS, GOOD_ROWS[1]])
    output = run(str(path))
    assert "8 imported, 1 skipped as duplicate, 0 rejected" in output
    assert len(stored()) == 8


# --- hostile input: bounded, and nothing raw reaches COPY ---------------------------------------


def jsonl_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_deeply_nested_json_is_a_problem_of_its_line_not_a_traceback(images, tmp_path):
    good = json.dumps({"image": val_name(1), "model": "m", "wnid": NORFOLK})
    path = jsonl_file(tmp_path / "p.jsonl", [good, "[" * 100_000, "{" + '"a":{' * 100_000])

    output, _ = run_failing(str(path))

    assert f"  {path}:2: malformed JSON line (JSON nested too deeply to read)" in output
    assert f"  {path}:3: malformed JSON line (JSON nested too deeply to read)" in output


def test_a_huge_value_is_echoed_cut_short(images, tmp_path):
    huge = "x" * 10_000_000
    record = {"image": huge, "model": "m", "wnid": NORFOLK}
    path = jsonl_file(tmp_path / "p.jsonl", [json.dumps(record)])

    output, _ = run_failing(str(path))

    assert f"  {path}:1: unknown image 'xxxx" in output
    assert "(10,000,000 characters)" in output
    assert len(output) < 1_000


@pytest.mark.parametrize("score", ["0.5\t", "0.5\n1\t2", " 0.5", "0x10", "1_0", "٣"])
def test_a_score_that_is_not_a_plain_decimal_is_rejected_before_copy(score, images, tmp_path):
    record = {"image": val_name(1), "model": "m", "wnid": NORFOLK, "score": score}
    path = jsonl_file(tmp_path / "p.jsonl", [json.dumps(record)])

    output, _ = run_failing(str(path))

    assert f"  {path}:1: score must be a finite number" in output
    assert ModelPrediction.objects.count() == 0


def test_blanks_around_a_csv_score_are_trimmed_not_copied(images, tmp_path):
    path = csv_file(tmp_path / "p.csv", [f'{val_name(1)},m,{NORFOLK},1,"0.5\t"'])

    assert "1 imported" in run(str(path))

    assert list(ModelPrediction.objects.values_list("score", flat=True)) == [0.5]
