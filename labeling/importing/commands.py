"""The base of every import command: --dry-run, --skip-bad, --no-progress, and the report."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from labeling.importing.report import ImportReport

T = TypeVar("T")

BATCH_HELP = (
    "By default one bad file or row rejects the whole batch: nothing is written, every problem "
    "is listed with its file and line, and the command exits non-zero. --skip-bad imports the "
    "good part and lists the rest. What is stored already is skipped, so a re-run changes nothing."
)


class ImportCommand(BaseCommand):
    """Base of the import commands: --dry-run, --skip-bad, --no-progress, and the summary.

    A subclass adds its own arguments (then calls super().add_arguments), and in `handle` makes
    the report with `new_report`, passes `self.progress` to the import, and ends with `finish`.
    End the help text with BATCH_HELP.
    """

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check everything and report what would happen, without writing anything",
        )
        parser.add_argument(
            "--skip-bad",
            action="store_true",
            help="import the good part of a batch that has problems, and list the problems",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (none when not a TTY)"
        )

    def execute(self, *args, **options):
        self._progress_enabled = not options.get("no_progress", False)
        self.verbosity = int(options.get("verbosity", 1))
        return super().execute(*args, **options)

    def new_report(self, what: str, options: dict[str, Any]) -> ImportReport:
        """An empty report of `what` ("images", …) with the command's --dry-run and --skip-bad."""
        return ImportReport(what=what, dry_run=options["dry_run"], skip_bad=options["skip_bad"])

    def progress(
        self, iterable: Iterable[T], *, total: int | None = None, desc: str = ""
    ) -> Iterable[T]:
        """The iterable, drawn as a progress bar on stderr when that is a terminal."""
        stream = getattr(self.stderr, "_out", sys.stderr)
        enabled = getattr(self, "_progress_enabled", True) and _isatty(stream)
        if not enabled:
            return iterable
        return tqdm(
            iterable,
            total=total,
            desc=desc,
            file=stream,
            unit=" items",
            unit_scale=True,
            leave=False,
        )

    def finish(self, report: ImportReport) -> ImportReport:
        """Print the summary and the problems; raise CommandError if the batch was rejected."""
        self.stdout.write(report.summary())
        if report.rejected_count:
            self.stdout.write(f"rejected ({report.rejected_count:,}):")
            for problem in report.rejected:
                self.stdout.write(f"  {problem}")
            hidden = report.rejected_count - len(report.rejected)
            if hidden:
                self.stdout.write(f"  … and {hidden:,} more")
        if report.notes:
            self.stdout.write(f"notes ({len(report.notes):,}):")
            for problem in report.notes:
                self.stdout.write(f"  {problem}")
        if report.duplicates and self.verbosity >= 2:
            self.stdout.write(f"skipped as duplicate ({report.skipped_duplicate:,}):")
            for problem in report.duplicates:
                self.stdout.write(f"  {problem}")
        if report.timings and self.verbosity >= 2:
            phases = ", ".join(
                f"{name} {seconds:.1f} s" for name, seconds in report.timings.items()
            )
            self.stdout.write(f"timings: {phases}")
        if report.batch_rejected:
            raise CommandError(
                f"batch rejected: {report.rejected_count:,} problem(s), nothing was written "
                f"(--skip-bad imports the rest)"
            )
        return report


def _isatty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
