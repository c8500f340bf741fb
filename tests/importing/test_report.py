"""The report says what was imported, skipped and rejected, and why, in one line."""

from __future__ import annotations

from labeling.importing import report as report_module
from labeling.importing.report import ImportReport, Problem, unknown_wnid


def test_a_problem_names_its_file_and_line():
    assert str(Problem("labels.csv", 3, "unknown wnid")) == "labels.csv:3: unknown wnid"
    assert str(Problem("folder/x.JPEG", None, "not an image")) == "folder/x.JPEG: not an image"


def test_one_problem_rejects_the_batch_unless_skip_bad():
    report = ImportReport(what="images", imported=2)
    report.reject("x.JPEG", None, "not an image")
    assert report.batch_rejected
    assert report.summary() == (
        "images: rejected: nothing was written. 2 would have been imported, "
        "0 skipped as duplicate, 1 rejected"
    )
    lenient = ImportReport(what="images", skip_bad=True, imported=2)
    lenient.reject("x.JPEG", None, "not an image")
    assert not lenient.batch_rejected
    assert lenient.summary().startswith("images: done. 2 imported")


def test_a_dry_run_says_what_would_be_imported_and_lists_the_details():
    report = ImportReport(what="prediction rows", dry_run=True, imported=1500)
    report.skip_duplicate("p.csv", 4, "stored already")
    report.details["models created"] = 2
    assert report.summary() == (
        "prediction rows: dry run: nothing was written. 1,500 would be imported, "
        "1 skipped as duplicate, 0 rejected; models created: 2"
    )


def test_beyond_the_listing_limit_only_the_count_grows(monkeypatch):
    monkeypatch.setattr(report_module, "MAX_LISTED", 2)
    report = ImportReport(what="rows")
    for line in range(5):
        report.reject("big.csv", line, "malformed")
    assert report.rejected_count == 5 and len(report.rejected) == 2


def test_a_second_attempts_report_replaces_the_first():
    first = ImportReport(what="rows")
    first.reject("a.csv", 1, "clash")
    second = ImportReport(what="rows", imported=3)
    first.replace_with(second)
    assert first.rejected_count == 0 and first.imported == 3


def test_an_unknown_wnid_is_told_apart_from_text_that_is_no_wnid():
    assert unknown_wnid("n99999999") == (
        "unknown wnid n99999999: not one of the 1000 ImageNet classes"
    )
    assert unknown_wnid("terrier") == "'terrier' is not a wnid (n + 8 digits)"
