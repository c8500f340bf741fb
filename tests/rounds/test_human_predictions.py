"""`manage.py import_human_predictions`: answers made elsewhere, all or nothing."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.accounts.roles import Role, user_roles
from labeling.rounds.models import Answer, Assignment
from tests.rounds.conftest import VAL_NAMES
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH

pytestmark = pytest.mark.django_db


@pytest.fixture
def round(images):
    return make_round(images)


def run(path, round, *args: str) -> str:
    out = io.StringIO()
    call_command("import_human_predictions", str(path), "--round", str(round.pk), *args, stdout=out)
    return out.getvalue()


def csv_file(tmp_path, text: str):
    path = tmp_path / "humans.csv"
    path.write_text(text)
    return path


def test_csv_rows_become_answers_of_pseudonymous_participants(tmp_path, round):
    path = csv_file(
        tmp_path,
        "image,labeler,wnid,served_at,answered_at,active_seconds\n"
        f"{VAL_NAMES[0]},Human A,{TENCH},2020-01-01T10:00:00Z,2020-01-01T10:00:30Z,12.5\n"
        f"{VAL_NAMES[1]},Human A,{GOLDFISH},,,\n"
        f"{VAL_NAMES[0]},Human B,{SHARK},,,\n",
    )
    out = run(path, round)
    assert "3 imported" in out
    a = User.objects.get(username=f"r{round.pk}-Human-A")
    assert not a.has_usable_password() and user_roles(a) == {Role.ANNOTATOR}
    assert Assignment.objects.get(round=round, user=a).answered == 2
    timed = Answer.objects.get(labeler=a, round_image__image__original_name=VAL_NAMES[0])
    assert (timed.synset_id, timed.active_time) == (TENCH, timedelta(seconds=12.5))
    assert timed.answered_at is not None and timed.served_at is not None
    assert timed.answered_at - timed.served_at == timedelta(seconds=30)
    assert Answer.objects.filter(labeler__username=f"r{round.pk}-Human-B").count() == 1


def test_json_lines_are_read_and_a_rerun_changes_nothing(tmp_path, round):
    path = tmp_path / "humans.jsonl"
    path.write_text(
        "\n".join(json.dumps({"image": name, "labeler": "h1", "wnid": TENCH}) for name in VAL_NAMES)
    )
    assert "5 imported" in run(path, round)
    assert "0 imported, 5 skipped as duplicate" in run(path, round)
    assert Answer.objects.count() == 5


def test_one_bad_row_rejects_the_batch_and_every_problem_is_listed(tmp_path, round):
    path = csv_file(
        tmp_path,
        "image,labeler,wnid,served_at,answered_at,active_seconds\n"
        f"{VAL_NAMES[0]},A,{TENCH},,,\n"
        f"ILSVRC2012_val_09999999.JPEG,A,{TENCH},,,\n"
        f"{VAL_NAMES[1]},A,n99999999,,,\n"
        f"{VAL_NAMES[2]},A,{TENCH},2020-01-01T10:00:30Z,2020-01-01T10:00:00Z,\n"
        f"{VAL_NAMES[0]},A,{GOLDFISH},,,\n"
        f"{VAL_NAMES[3]},A,{TENCH},2020-01-01T10:00:00Z,2020-01-01T10:00:05Z,9\n",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="batch rejected: 5 problem"):
        call_command("import_human_predictions", str(path), "--round", str(round.pk), stdout=out)
    text = out.getvalue()
    assert "humans.csv:3: image 'ILSVRC2012_val_09999999.JPEG' is not in the round" in text
    assert "humans.csv:4: unknown wnid n99999999" in text
    assert "humans.csv:5: answered_at is before served_at" in text
    assert "humans.csv:6: labeler 'A' answers this image again (first on line 2)" in text
    assert "humans.csv:7: active_seconds is longer than answered_at - served_at" in text
    assert (
        not Answer.objects.exists() and not User.objects.filter(username__startswith="r").exists()
    )


def test_skip_bad_imports_the_good_rows(tmp_path, round):
    path = csv_file(
        tmp_path, f"image,labeler,wnid\n{VAL_NAMES[0]},A,{TENCH}\n{VAL_NAMES[1]},A,nope\n"
    )
    assert "1 imported" in run(path, round, "--skip-bad")
    assert Answer.objects.count() == 1


def test_another_class_for_a_stored_answer_is_a_problem(tmp_path, round):
    run(csv_file(tmp_path, f"image,labeler,wnid\n{VAL_NAMES[0]},A,{TENCH}\n"), round)
    with pytest.raises(CommandError):
        run(csv_file(tmp_path, f"image,labeler,wnid\n{VAL_NAMES[0]},A,{SHARK}\n"), round)
    assert Answer.objects.get().synset_id == TENCH


def test_a_labeler_named_like_a_real_user_is_refused(tmp_path, round, annotator):
    annotator.username = f"r{round.pk}-A"
    annotator.save()
    with pytest.raises(CommandError):
        run(csv_file(tmp_path, f"image,labeler,wnid\n{VAL_NAMES[0]},A,{TENCH}\n"), round)
    assert not Answer.objects.exists()


def test_a_file_without_the_columns_is_refused(tmp_path, round):
    with pytest.raises(CommandError, match="missing labeler"):
        run(csv_file(tmp_path, f"image,wnid\n{VAL_NAMES[0]},{TENCH}\n"), round)


def test_an_unknown_round_is_refused(tmp_path, db):
    with pytest.raises(CommandError, match="No round with id 999"):
        call_command("import_human_predictions", str(csv_file(tmp_path, "x")), "--round", "999")
