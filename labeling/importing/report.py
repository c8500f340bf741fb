"""What an import reports: what it wrote, what it skipped as stored already, and every problem."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from labeling.taxonomy.text import WNID_RE

# Beyond this many problems only the count grows: a wholly malformed 3-million-row file must not
# exhaust memory just listing itself.
MAX_LISTED = 100_000
# A value from the input is quoted in a problem up to this many characters (an unknown key of
# 10 MB is not echoed in full), and no problem is longer than MAX_REASON.
ECHO_MAX = 80
MAX_REASON = 1_000


def echo(value: object, limit: int = ECHO_MAX) -> str:
    """repr() of a value read from the input, cut to `limit` characters, saying how long it was."""
    text = value if isinstance(value, str) else None
    if text is not None and len(text) > limit:
        return f"{text[:limit]!r}… ({len(text):,} characters)"
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}… ({len(shown):,} characters)"


def shorten(text: str, limit: int = ECHO_MAX) -> str:
    """A name read from the input as it is, cut to `limit` characters; quoted like echo() if it
    holds anything unprintable (a newline would forge a line of the report)."""
    if not text.isprintable():
        return echo(text, limit)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def json_parse(text: str) -> object:
    """json.loads, with nesting too deep to read as a ValueError rather than a RecursionError
    (100,000 `[` are valid JSON to the scanner until Python runs out of recursion)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


@dataclass(frozen=True)
class Problem:
    """What is wrong (or was skipped) where: `line` is None for a whole file."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """The outcome of one import batch; see labeling.importing for the rules."""

    what: str  # "images", "prediction rows", …
    dry_run: bool = False
    skip_bad: bool = False
    imported: int = 0  # written (or, in a dry run, that would be written)
    skipped_duplicate: int = 0
    rejected: list[Problem] = field(default_factory=list)
    rejected_count: int = 0  # may exceed len(rejected): see MAX_LISTED
    duplicates: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # imported, but worth a look
    details: dict[str, object] = field(default_factory=dict)  # import-specific counts
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def reject(self, file: str | Path, line: int | None, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_LISTED:
            self.rejected.append(Problem(str(file), line, _bounded(reason)))

    def skip_duplicate(self, file: str | Path, line: int | None, reason: str) -> None:
        self.skipped_duplicate += 1
        if len(self.duplicates) < MAX_LISTED:
            self.duplicates.append(Problem(str(file), line, _bounded(reason)))

    def note(self, file: str | Path, line: int | None, reason: str) -> None:
        """Something odd about an input that is imported all the same (a broken EXIF block)."""
        if len(self.notes) < MAX_LISTED:
            self.notes.append(Problem(str(file), line, _bounded(reason)))

    def replace_with(self, other: ImportReport) -> None:
        """Take over everything `other` reports (e.g. a second attempt's)."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(other, name))

    @property
    def batch_rejected(self) -> bool:
        """True when problems stop the batch: then nothing is (or was) written."""
        return self.rejected_count > 0 and not self.skip_bad

    def summary(self) -> str:
        if self.batch_rejected:
            verb = "rejected: nothing was written"
            imported = f"{self.imported:,} would have been imported"
        elif self.dry_run:
            verb = "dry run: nothing was written"
            imported = f"{self.imported:,} would be imported"
        else:
            verb = "done"
            imported = f"{self.imported:,} imported"
        parts = [
            imported,
            f"{self.skipped_duplicate:,} skipped as duplicate",
            f"{self.rejected_count:,} rejected",
        ]
        extra = "".join(f"; {key}: {value}" for key, value in self.details.items())
        return f"{self.what}: {verb}. {', '.join(parts)}{extra}"


def _bounded(reason: str) -> str:
    if len(reason) <= MAX_REASON:
        return reason
    return f"{reason[:MAX_REASON]}… ({len(reason):,} characters)"


class BatchRejected(Exception):
    """Raised inside the batch's transaction to roll it back; carries the report."""

    def __init__(self, report: ImportReport):
        super().__init__(report.summary())
        self.report = report


def unknown_wnid(wnid: str) -> str:
    """The problem with a wnid that names no class (look it up in taxonomy's classes_by_wnid)."""
    if not WNID_RE.match(wnid):
        return f"{echo(wnid)} is not a wnid (n + 8 digits)"
    return f"unknown wnid {wnid}: not one of the 1000 ImageNet classes"
