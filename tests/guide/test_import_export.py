"""The whole guide in one file, JSON or Markdown: export → import changes nothing, and a bad file
is refused as a whole with every problem listed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line

from labeling.guide.documents import GuideImportError, document_parse, markdown_parse
from labeling.guide.models import DistinctionNote, GuideEntry, GuideRevision
from labeling.guide.selectors import guide_document
from labeling.guide.services import (
    distinction_note_save,
    guide_entry_save,
    guide_export,
    guide_import,
)
from labeling.taxonomy.fixture import taxonomy_fixture_path, taxonomy_read
from labeling.taxonomy.models import Synset
from labeling.taxonomy.services import taxonomy_load
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db

# Texts that a naive Markdown format would mangle.
AWKWARD_TEXTS = [
    "Drop ears, **folded** forward. Link: [[n02094258]].",
    "## Looks like a section heading\n\nand more",
    "# Looks like the file's title",
    "\\## already escaped once\n\\\\# twice",
    "## Distinction: not a note\nClasses: n02094114, n02094258",
    "##no space is not a heading\n### a level-3 heading is fine",
    "\nstarts with a blank line",
    "ends with newlines\n\n",
    "",
    "   indented first line\n\n    code block\n",
    "Ünïcödé — “quotes” 日本語 🐕",
    "```\n## in a fence\n# also\n```",
    "trailing spaces   \nline two\t",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]


def everything(annotator) -> None:
    """A guide using every awkward text, for both entries and notes."""
    wnids = ["norfolk", "norwich", "crane_bird", "crane_machine", "laptop"]
    synsets = [make_class(key) for key in wnids]
    for synset, text in zip(synsets, AWKWARD_TEXTS, strict=False):
        guide_entry_save(synset=synset, text=text or "placeholder", author=annotator)
    for index, text in enumerate(AWKWARD_TEXTS):
        distinction_note_save(
            title=f"Note {index:02d}: {text.splitlines()[0][:20] if text.strip() else 'empty'}",
            text=text,
            synsets=[synsets[index % 5], synsets[(index + 1) % 5]],
            author=annotator,
        )


def wipe() -> None:
    DistinctionNote.objects.all().delete()
    GuideEntry.objects.all().delete()


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_export_then_import_into_an_empty_guide_is_lossless(fmt, annotator, study_admin):
    everything(annotator)
    before = guide_document()
    exported = guide_export(fmt=fmt)

    wipe()
    summary = guide_import(document=document_parse(content=exported, fmt=fmt), author=study_admin)
    assert summary.entries_created == len(before["entries"])
    assert summary.notes_created == len(before["notes"])
    assert guide_document() == before
    assert guide_export(fmt=fmt) == exported


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_importing_the_current_guide_changes_nothing(fmt, annotator, study_admin):
    everything(annotator)
    revisions = GuideRevision.objects.count()
    exported = guide_export(fmt=fmt)
    summary = guide_import(
        document=document_parse(content=exported.encode(), fmt=fmt), author=study_admin
    )
    assert summary.entries_created == summary.entries_updated == 0
    assert summary.notes_created == summary.notes_updated == 0
    assert GuideRevision.objects.count() == revisions


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_each_awkward_text_reads_back_from_markdown_exactly(text, annotator):
    make_class("norfolk"), make_class("norwich")
    if text:
        guide_entry_save(synset=make_class("norfolk"), text=text, author=annotator)
    distinction_note_save(
        title="t",
        text=text,
        synsets=[make_class("norfolk"), make_class("norwich")],
        author=annotator,
    )
    document = markdown_parse(guide_export(fmt="markdown"))
    for row in document["entries"] + document["notes"]:
        row.pop("line")
    assert document == guide_document()


def test_the_markdown_file_reads_as_the_issue_describes(annotator):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    guide_entry_save(synset=norfolk, text="Drop ears.", author=annotator)
    distinction_note_save(
        title="Norwich vs Norfolk terrier: ears",
        text="Norwich: prick ears.",
        synsets=[norwich, norfolk],
        author=annotator,
    )
    assert guide_export(fmt="markdown") == (
        "# Labeling guide\n"
        "\n"
        "## Norfolk terrier (n02094114)\n"
        "\n"
        "Drop ears.\n"
        "\n"
        "## Distinction: Norwich vs Norfolk terrier: ears\n"
        "\n"
        "Classes: n02094114, n02094258\n"
        "\n"
        "Norwich: prick ears.\n"
        "\n"
    )
    assert json.loads(guide_export(fmt="json")) == {
        "format": 1,
        "entries": [{"wnid": "n02094114", "text": "Drop ears."}],
        "notes": [
            {
                "title": "Norwich vs Norfolk terrier: ears",
                "text": "Norwich: prick ears.",
                "wnids": ["n02094114", "n02094258"],
            }
        ],
    }


def test_hand_edited_markdown_is_read_leniently():
    make_class("norfolk"), make_class("norwich")
    # CRLF line ends, a byte-order mark, no final newline, a heading without the class name.
    content = "\ufeff# Labeling guide\r\n\r\n## (n02094114)\r\n\r\nDrop ears.\r\nSecond line."
    document = document_parse(content=content.encode(), fmt="markdown")
    assert [(e["wnid"], e["text"]) for e in document["entries"]] == [
        ("n02094114", "Drop ears.\nSecond line.")
    ]


def test_an_import_updates_only_changed_texts_and_credits_the_author(annotator, study_admin):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    guide_entry_save(synset=norfolk, text="same", author=annotator)
    guide_entry_save(synset=norwich, text="old", author=annotator)
    note = distinction_note_save(
        title="Ears", text="a", synsets=[norfolk, norwich], author=annotator
    )
    laptop = make_class("laptop")
    summary = guide_import(
        document={
            "format": 1,
            "entries": [
                {"wnid": "n02094114", "text": "same"},
                {"wnid": "n02094258", "text": "new"},
                {"wnid": "n03642806", "text": "A laptop."},
            ],
            "notes": [
                {"title": "Ears", "text": "b", "wnids": ["n02094114", "n02094258"]},
                {"title": "Screens", "text": "c", "wnids": ["n03642806", "n02094114"]},
            ],
        },
        author=study_admin,
    )
    assert summary.as_dict() == {
        "entries_created": 1,
        "entries_updated": 1,
        "entries_unchanged": 1,
        "entries_cleared": 0,
        "notes_created": 1,
        "notes_updated": 1,
        "notes_unchanged": 0,
        "notes_deleted": 0,
    }
    assert "1 created, 1 updated, 1 unchanged" in str(summary)
    assert GuideRevision.objects.filter(entry__synset=norfolk).count() == 1
    newest = GuideRevision.objects.filter(entry__synset=norwich).order_by("-number").first()
    assert newest is not None
    assert (newest.number, newest.text, newest.author) == (2, "new", study_admin)
    assert GuideEntry.objects.get(synset=laptop).text == "A laptop."
    note.refresh_from_db()
    assert note.text == "b" and note.revisions.count() == 2


def test_replace_empties_missing_entries_and_deletes_missing_notes(annotator, study_admin):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    guide_entry_save(synset=norfolk, text="keep", author=annotator)
    guide_entry_save(synset=norwich, text="drop", author=annotator)
    distinction_note_save(title="Gone", text="x", synsets=[norfolk, norwich], author=annotator)
    document: dict[str, Any] = {
        "format": 1,
        "entries": [{"wnid": "n02094114", "text": "keep"}],
        "notes": [{"title": "New", "text": "y", "wnids": ["n02094114", "n02094258"]}],
    }
    summary = guide_import(document=document, author=study_admin, replace=True)
    assert (summary.entries_cleared, summary.notes_created, summary.notes_deleted) == (1, 1, 1)
    assert guide_document() == document
    # The emptied entry keeps its history.
    assert [r.text for r in GuideRevision.objects.filter(entry__synset=norwich)] == ["", "drop"]


def test_a_bad_document_lists_every_problem_and_writes_nothing(annotator, study_admin):
    norfolk = make_class("norfolk")
    make_class("norwich")
    make_ancestor()
    guide_entry_save(synset=norfolk, text="before", author=annotator)
    revisions = GuideRevision.objects.count()
    document: dict[str, Any] = {
        "format": 2,
        "extra": True,
        "entries": [
            {"wnid": "n02094114", "text": "changed"},  # fine, but must not be written
            {"wnid": "n99999999", "text": "unknown class"},
            {"wnid": "n02092468", "text": "an ancestor, not a class"},
            {"wnid": "dog", "text": "not a wnid"},
            {"wnid": "n02094258", "text": 5},
            {"wnid": "n02094258", "text": "duplicate"},
            "not an object",
            {"wnid": "n02094114", "txt": "typo"},
        ],
        "notes": [
            {"title": "", "text": "no title", "wnids": ["n02094114", "n02094258"]},
            {"title": "One class", "text": "x", "wnids": ["n02094114"]},
            {"title": "Unknown", "text": "x", "wnids": ["n02094114", "n88888888"]},
            {"title": "Two\nlines", "text": "x", "wnids": ["n02094114", "n02094258"]},
            {"title": "Same", "text": "x", "wnids": ["n02094114", "n02094258"]},
            {"title": "Same", "text": "x", "wnids": "n02094114"},
        ],
    }
    with pytest.raises(GuideImportError) as caught:
        guide_import(document=document, author=study_admin)
    problems = caught.value.problems
    expected = [
        "'format' must be 1",
        "unknown top-level keys: extra",
        "entries[1]: Not ImageNet classes: n99999999.",
        "entries[2]: Not ImageNet classes: n02092468.",
        "entries[3]: 'dog' is not a wnid",
        "entries[4]: 'text' must be a string",
        "entries[5]: n02094258 has more than one entry",
        "entries[6]: an entry must be an object",
        "entries[7]: unknown keys txt",
        "notes[0]: A distinction note needs a title.",
        "notes[1]: A distinction note compares at least two different classes.",
        "notes[2]: Not ImageNet classes: n88888888.",
        "notes[3]: The title must be one line.",
        "notes[4]: the title 'Same' is used by another note",
        "notes[5]: 'wnids' must be a list",
    ]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert GuideRevision.objects.count() == revisions
    assert GuideEntry.objects.get(synset=norfolk).text == "before"
    assert DistinctionNote.objects.count() == 0


def test_markdown_problems_name_their_lines():
    make_class("norfolk")
    content = (
        "Not the title\n"
        "\n"
        "## Norfolk terrier (n02094114)\n"
        "\n"
        "fine\n"
        "\n"
        "## A heading without wnid\n"
        "\n"
        "## Distinction: no classes line\n"
        "\n"
        "just text\n"
    )
    with pytest.raises(GuideImportError) as caught:
        document_parse(content=content, fmt="markdown")
    problems = caught.value.problems
    assert problems[0].startswith("line 1: the file must start with the heading '# Labeling guide'")
    assert any(p.startswith("line 7: '## A heading without wnid' is neither") for p in problems)
    assert any(p.startswith("line 11: a distinction note needs a 'Classes:") for p in problems)

    unknown = "# Labeling guide\n\n## Mystery (n99999999)\n\nx\n"
    with pytest.raises(GuideImportError, match="line 3: Not ImageNet classes: n99999999"):
        guide_import(document=document_parse(content=unknown, fmt="markdown"), author=None)


def test_unreadable_files_are_refused():
    with pytest.raises(GuideImportError, match="not valid JSON"):
        document_parse(content="{oops", fmt="json")
    with pytest.raises(GuideImportError, match="not UTF-8"):
        document_parse(content=b"\xff\xfe\x00", fmt="markdown")
    with pytest.raises(GuideImportError, match="must be an object"):
        document_parse(content="[]", fmt="json")


# --- The full class list ----------------------------------------------------------------------


@pytest.fixture
def taxonomy(db) -> None:
    taxonomy_load(document=taxonomy_read(path=taxonomy_fixture_path()))


def test_a_guide_of_431_entries_round_trips_through_markdown(taxonomy, annotator, study_admin):
    # The paper's labelers wrote entries for 431 classes: a guide of that size, each entry linking
    # to the next class, and notes on pairs of dog breeds.
    classes = list(Synset.objects.filter(class_index__isnull=False).order_by("class_index"))
    document: dict[str, Any] = {
        "format": 1,
        "entries": [
            {"wnid": c.wnid, "text": f"Entry {i}.\n\n- trait\n\nSee [[{classes[i + 1].wnid}]]."}
            for i, c in enumerate(classes[:431])
        ],
        "notes": sorted(
            (
                {
                    "title": f"{a.display_name} vs {b.display_name}",
                    "text": "## Ears\nLook at the ears.",
                    "wnids": [a.wnid, b.wnid],
                }
                for a, b in zip(classes[151:269:2], classes[152:269:2], strict=True)
            ),
            key=lambda note: note["title"],
        ),
    }
    summary = guide_import(document=document, author=annotator)
    assert summary.entries_created == 431
    exported = guide_export(fmt="markdown")
    assert exported.count("\n## ") == 431 + len(document["notes"])
    wipe()
    guide_import(document=document_parse(content=exported, fmt="markdown"), author=study_admin)
    assert guide_document() == document
    assert guide_export(fmt="markdown") == exported


# --- Management commands ----------------------------------------------------------------------


def test_export_and_import_commands_round_trip(tmp_path, annotator, study_admin, capsys):
    everything(annotator)
    before = guide_document()
    for name in ["guide.json", "guide.md"]:
        path = tmp_path / name
        call_command("export_guide", str(path))
        assert "wrote the guide" in capsys.readouterr().out
        wipe()
        call_command("import_guide", str(path), "--author", study_admin.username)
        out = capsys.readouterr().out
        assert f"imported {path}" in out and "entries: 5 created" in out
        assert guide_document() == before
    assert GuideRevision.objects.filter(author=study_admin).exists()


def test_the_export_format_can_be_forced_or_written_to_stdout(tmp_path, annotator, capsys):
    guide_entry_save(synset=make_class("norfolk"), text="Drop ears.", author=annotator)
    call_command("export_guide", str(tmp_path / "guide.txt"), "--format", "json")
    assert json.loads((tmp_path / "guide.txt").read_text())["entries"][0]["text"] == "Drop ears."
    capsys.readouterr()
    call_command("export_guide", "-", "--format", "markdown")
    assert capsys.readouterr().out.startswith("# Labeling guide\n")
    with pytest.raises(CommandError, match="cannot tell the format"):
        call_command("export_guide", str(tmp_path / "guide.bin"))


def test_the_import_command_rejects_a_bad_file_with_every_problem(tmp_path, capsys):
    make_class("norfolk")
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "format": 1,
                "entries": [
                    {"wnid": "n02094114", "text": "ok"},
                    {"wnid": "n99999999", "text": "x"},
                    {"wnid": "n88888888", "text": "y"},
                ],
                "notes": [],
            }
        )
    )
    with pytest.raises(CommandError, match=r"rejected, 2 problems.*nothing was written"):
        call_command("import_guide", str(path))
    err = capsys.readouterr().err
    assert "n99999999" in err and "n88888888" in err
    assert GuideEntry.objects.count() == 0


def test_the_import_command_reports_missing_files_users_and_a_frozen_guide(tmp_path, study_admin):
    from labeling.guide.services import guide_freeze

    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_guide", str(tmp_path / "missing.json"))
    path = tmp_path / "guide.md"
    path.write_text("# Labeling guide\n")
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("import_guide", str(path), "--author", "nobody")
    guide_freeze(name="Round 1", by=study_admin)
    with pytest.raises(CommandError, match="frozen"):
        call_command("import_guide", str(path))


def test_the_import_command_exits_non_zero_on_a_rejected_file(tmp_path, capsys):
    path = tmp_path / "bad.md"
    path.write_text("no title here\n")
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "import_guide", str(path)])
    assert exited.value.code == 1
    assert "must start with the heading" in capsys.readouterr().err


def test_a_json_guide_nested_too_deeply_is_an_import_error_not_a_crash():
    from labeling.guide.documents import GuideImportError, document_parse

    with pytest.raises(GuideImportError, match="nested too deeply"):
        document_parse(content="[" * 100_000, fmt="json")
