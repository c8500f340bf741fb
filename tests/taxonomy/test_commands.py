from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from labeling.taxonomy.fixture import (
    taxonomy_classes_path,
    taxonomy_fixture_path,
    taxonomy_serialize,
)
from labeling.taxonomy.models import Hypernymy, Synset, SynsetClosure


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def nothing_written() -> bool:
    return not (
        Synset.objects.exists() or Hypernymy.objects.exists() or SynsetClosure.objects.exists()
    )


def test_rebuilding_the_fixture_from_wordnet_is_byte_identical_to_the_committed_one(
    wordnet, tmp_path
):
    output = tmp_path / "taxonomy.json"
    printed = run("build_taxonomy", "--output", str(output))
    assert output.read_bytes() == taxonomy_fixture_path().read_bytes()
    assert "1000 classes, 860 ancestors, 1937 edges, 75 nodes with several parents" in printed


def test_rebuilding_onto_an_identical_file_reports_it_unchanged(wordnet, tmp_path):
    output = tmp_path / "taxonomy.json"
    output.write_bytes(taxonomy_fixture_path().read_bytes())
    assert run("build_taxonomy", "--output", str(output)).startswith("unchanged")


def test_building_from_a_class_list_with_a_bad_header_is_a_readable_command_error(tmp_path):
    classes = tmp_path / "classes.tsv"
    classes.write_text("idx\twnid\tname\n0\tn01440764\ttench\n")
    with pytest.raises(CommandError, match=r"first line must be the header") as raised:
        run("build_taxonomy", "--classes", str(classes), "--output", str(tmp_path / "out.json"))
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "out.json").exists()


def test_building_from_a_class_list_naming_a_wrong_class_is_a_command_error(wordnet, tmp_path):
    lines = taxonomy_classes_path().read_text().splitlines()
    lines[1] = "0\tn01440764\tcarp"
    classes = tmp_path / "classes.tsv"
    classes.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match=r"class 0: n01440764 is 'tench' in WordNet but 'carp'"):
        run("build_taxonomy", "--classes", str(classes), "--output", str(tmp_path / "out.json"))


def test_building_from_a_missing_class_list_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"cannot read class list .*absent\.tsv"):
        run(
            "build_taxonomy",
            "--classes",
            str(tmp_path / "absent.tsv"),
            "--output",
            str(tmp_path / "o"),
        )


@pytest.mark.django_db
def test_loading_prints_the_counts_and_the_three_groups():
    printed = run("load_taxonomy")
    assert "1860 synsets (1000 classes), 1937 edges" in printed
    assert "75 nodes with several parents" in printed
    assert "classes: 118 dog, 410 organism (incl. dogs), 590 object" in printed
    assert Synset.objects.filter(class_index__isnull=False).count() == 1000


@pytest.mark.django_db
def test_loading_again_reports_no_changes():
    run("load_taxonomy")
    printed = run("load_taxonomy")
    assert "0 synsets created, 0 updated, 0 detached; edges +0 -0; closure rows +0 ~0 -0" in printed


@pytest.mark.django_db
def test_loading_a_missing_fixture_is_a_readable_command_error(tmp_path):
    with pytest.raises(CommandError, match=r"^fixture not found: .*absent\.json; nothing was"):
        run("load_taxonomy", "--fixture", str(tmp_path / "absent.json"))
    assert nothing_written()


@pytest.mark.django_db
def test_loading_a_fixture_that_is_not_json_is_a_readable_command_error(tmp_path):
    fixture = tmp_path / "broken.json"
    fixture.write_text('{"format": 1,\n "synsets": [')
    with pytest.raises(CommandError, match=r"is not valid JSON: .* at line 2"):
        run("load_taxonomy", "--fixture", str(fixture))
    assert nothing_written()


@pytest.mark.django_db
def test_loading_a_fixture_with_a_dangling_hypernym_is_a_command_error_that_writes_nothing(
    tmp_path, document
):
    document["synsets"][0]["hypernyms"] = ["n00000042"]
    fixture = tmp_path / "bad.json"
    fixture.write_text(taxonomy_serialize(document=document))
    with pytest.raises(CommandError, match=r"hypernym n00000042, which is not in the file"):
        run("load_taxonomy", "--fixture", str(fixture))
    assert nothing_written()


@pytest.mark.django_db
def test_loading_an_empty_object_is_a_command_error(tmp_path):
    fixture = tmp_path / "empty.json"
    fixture.write_text(json.dumps({}))
    with pytest.raises(CommandError, match=r"fixture format None, expected 1"):
        run("load_taxonomy", "--fixture", str(fixture))
    assert nothing_written()
