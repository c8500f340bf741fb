"""`manage.py create_evaluation_round`: a round from a list of image names, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.rounds.models import Assignment, Round, RoundImage, RoundKind, RoundState
from labeling.rounds.services import round_create
from tests.helpers import make_user
from tests.images.factories import make_images

pytestmark = pytest.mark.django_db

V2_ID = "024c53fd8983f39ba674e416ea275a197dbc5b8c"
VAL = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in (391, 1379, 1555)]


@pytest.fixture
def stored(imagenet_classes):
    return make_images([*VAL, V2_ID])


def create(tmp_path, text: str, *args: str) -> tuple[str, str]:
    listing = tmp_path / "images.txt"
    listing.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    call_command("create_evaluation_round", "--images", str(listing), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_round_is_created_open_and_its_id_is_the_last_line(tmp_path, stored, annotator):
    text = f"# evaluation sample\n{VAL[0]}\n\n{VAL[1]}  # a comment\n{V2_ID.upper()}\n{VAL[2]}\n"
    out, _ = create(tmp_path, text, "--name", "Final", "--labelers", "anna", "--seed", "11")

    round = Round.objects.get()
    assert out.strip().splitlines()[-1] == str(round.pk)
    assert "4 images shuffled with seed 11" in out
    assert (round.name, round.kind, round.state, round.seed) == (
        "Final",
        RoundKind.EVALUATION,
        RoundState.OPEN,
        11,
    )
    assert set(RoundImage.objects.values_list("image__original_name", flat=True)) == {
        *VAL,
        V2_ID,
    }
    assert list(Assignment.objects.values_list("user__username", flat=True)) == ["anna"]


def test_a_draft_in_the_lists_order(tmp_path, stored):
    out, _ = create(tmp_path, "\n".join(VAL[::-1]), "--name", "D", "--draft", "--keep-order")
    round = Round.objects.get()
    assert round.state == RoundState.DRAFT and round.seed is None
    assert (
        list(RoundImage.objects.order_by("position").values_list("image__original_name", flat=True))
        == VAL[::-1]
    )
    assert "in the list's order" in out


def test_every_bad_line_and_labeler_is_listed_and_nothing_is_written(
    tmp_path, stored, annotator, researcher
):
    listing = tmp_path / "images.txt"
    listing.write_text(f"{VAL[0]}\nILSVRC2012_val_99999999.JPEG\n{VAL[0]}\nnot-an-image\n")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="5 problem"):
        call_command(
            "create_evaluation_round",
            *("--images", str(listing), "--name", "X", "--labelers", "anna,rita,ghost"),
            stdout=io.StringIO(),
            stderr=errors,
        )
    assert errors.getvalue().splitlines() == [
        f"{listing}: line 2: no image named 'ILSVRC2012_val_99999999.JPEG'",
        f"{listing}: line 3: '{VAL[0]}' is listed again (first on line 1)",
        f"{listing}: line 4: no image named 'not-an-image'",
        "--labelers: no user named 'ghost'",
        "--labelers: rita is not an annotator; only annotators can be assigned to a round",
    ]
    assert not Round.objects.exists() and not Assignment.objects.exists()


def test_a_failing_run_exits_non_zero(tmp_path, stored):
    listing = tmp_path / "images.txt"
    listing.write_text("nothing-like-this\n")
    with pytest.raises(CommandError) as error:
        call_command(
            "create_evaluation_round", "--images", str(listing), "--name", "X", stderr=io.StringIO()
        )
    # manage.py exits with the error's return code (run_from_argv), printing its message.
    assert error.value.returncode == 1
    assert "no round was created" in str(error.value)
    assert not Round.objects.exists()


def test_an_empty_list_or_an_unreadable_file_is_refused(tmp_path, stored):
    with pytest.raises(CommandError, match="problem"):
        create(tmp_path, "# nothing\n\n", "--name", "X")
    with pytest.raises(CommandError, match="cannot read"):
        call_command(
            "create_evaluation_round", "--images", str(tmp_path / "missing.txt"), "--name", "X"
        )


def test_a_round_can_be_rebuilt_from_the_same_list_and_seed(tmp_path, stored):
    create(tmp_path, "\n".join([*VAL, V2_ID]), "--name", "A", "--seed", "3")
    create(tmp_path, "\n".join([V2_ID, *VAL[::-1]]), "--name", "B", "--seed", "3")
    one, two = Round.objects.order_by("pk")
    orders = [
        list(
            RoundImage.objects.filter(round=r)
            .order_by("position")
            .values_list("image__original_name", flat=True)
        )
        for r in (one, two)
    ]
    assert orders[0] == orders[1]


def test_a_labeler_must_be_an_annotator(tmp_path, stored):
    make_user("ada", "admin")
    with pytest.raises(CommandError):
        create(tmp_path, VAL[0], "--name", "X", "--labelers", "ada")


def test_images_of_a_training_round_are_refused_for_an_evaluation_round(tmp_path, stored):
    round_create(name="Practice", kind=RoundKind.TRAINING, image_ids=[stored[VAL[0]].pk])
    with pytest.raises(CommandError) as refused:
        create(tmp_path, f"{VAL[0]}\n{VAL[1]}\n", "--name", "Final")
    assert VAL[0] in str(refused.value) and "Practice" in str(refused.value)
    assert Round.objects.count() == 1
