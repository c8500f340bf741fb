"""Import of human predictions made elsewhere (another labeling tool, or the study's published
answers) as answers of a round: rows `image, labeler, wnid[, served_at, answered_at,
active_seconds]` from CSV or JSON Lines.

Each labeler named in the file becomes a pseudonymous participant of the round: a user
`r<round>-<name>` with the annotator role and no usable password (nobody logs in as them),
assigned to the round. All or nothing, like every import (labeling.importing).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from labeling.accounts.roles import Role
from labeling.accounts.services import roles_ensure
from labeling.importing.batch import Progress, StoredFiles, no_progress, write_batch
from labeling.importing.report import ImportReport, unknown_wnid
from labeling.rounds.models import Answer, Assignment, Round, RoundImage
from labeling.taxonomy.selectors import classes_by_wnid

REQUIRED = ("image", "labeler", "wnid")
MAX_LABELER_NAME = 100
_NOT_USERNAME = re.compile(r"[^\w.@+-]+")


class HumanPredictionFileError(ValueError):
    """The file as a whole cannot be read (unknown format, no header…)."""


@dataclass(frozen=True)
class HumanRow:
    line: int
    round_image_id: int
    labeler: str
    wnid: str
    served_at: datetime | None
    answered_at: datetime | None
    active_seconds: float | None


def labeler_username(*, round: Round, name: str) -> str:
    """The pseudonymous participant's username for a labeler named `name` in the file."""
    return f"r{round.pk}-{_NOT_USERNAME.sub('-', name.strip())}"


def _records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """(line, {column: value}) of a CSV file with a header, or of JSON Lines."""
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if suffix == ".csv":
            reader = csv.reader(handle)
            header = [cell.strip().lower() for cell in next(reader, [])]
            missing = [column for column in REQUIRED if column not in header]
            if missing:
                raise HumanPredictionFileError(
                    f"{path.name}:1: the header must name image, labeler, wnid (and optionally "
                    f"served_at, answered_at, active_seconds); missing {', '.join(missing)}"
                )
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    yield reader.line_num, {"_error": f"expected {len(header)} fields"}
                    continue
                yield reader.line_num, {k: v.strip() for k, v in zip(header, row, strict=True)}
        elif suffix in (".jsonl", ".ndjson"):
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except ValueError as error:
                    yield line, {"_error": f"not JSON ({error})"}
                    continue
                if not isinstance(record, dict):
                    yield line, {"_error": "expected a JSON object"}
                    continue
                yield line, record
        else:
            raise HumanPredictionFileError(f"{path.name}: name it .csv, .jsonl or .ndjson")


def _moment(value: object) -> datetime | str | None:
    """An aware datetime, None when empty, or the problem (a str)."""
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return f"not an ISO 8601 time: {value!r}"
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def _seconds(value: object) -> float | str | None:
    if value in (None, ""):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"active_seconds must be a number, got {value!r}"
    if not 0 <= seconds < 10**7:
        return f"active_seconds must be 0 or more, got {value!r}"
    return seconds


def _check(
    line: int,
    record: dict[str, object],
    *,
    items: dict[str, int],
    classes: set[str],
) -> HumanRow | str:
    """The row, or its problem."""
    if "_error" in record:
        return str(record["_error"])
    image, labeler, wnid = (str(record.get(column) or "").strip() for column in REQUIRED)
    served, answered = _moment(record.get("served_at")), _moment(record.get("answered_at"))
    seconds = _seconds(record.get("active_seconds"))
    round_image_id = items.get(image) or items.get(image.lower())
    if round_image_id is None:
        return f"image {image!r} is not in the round" if image else "no image name"
    if not labeler or len(labeler) > MAX_LABELER_NAME:
        return "no labeler" if not labeler else f"labeler longer than {MAX_LABELER_NAME}"
    if wnid not in classes:
        return unknown_wnid(wnid)
    for problem in (served, answered, seconds):
        if isinstance(problem, str):
            return problem
    assert not isinstance(served, str) and not isinstance(answered, str)
    assert not isinstance(seconds, str)
    if (served is None) != (answered is None):
        return "give both served_at and answered_at, or neither"
    if served is not None and answered is not None:
        if answered < served:
            return "answered_at is before served_at"
        if seconds is not None and seconds > (answered - served).total_seconds():
            return "active_seconds is longer than answered_at - served_at"
    return HumanRow(line, round_image_id, labeler, wnid, served, answered, seconds)


def human_predictions_import(
    *, path: Path, round: Round, report: ImportReport, progress: Progress = no_progress
) -> ImportReport:
    """Check every row of the file, then store the answers and participants in one transaction
    (nothing when a row is bad, unless report.skip_bad). A row stored already is skipped; one
    that gives another class than the stored answer is a problem."""
    where = path.name
    items: dict[str, int] = {}
    for pk, name in RoundImage.objects.filter(round=round).values_list(
        "pk", "image__original_name"
    ):
        items[name] = pk
    classes = set(classes_by_wnid())
    rows: list[HumanRow] = []
    first_line: dict[tuple[int, str], int] = {}
    for line, record in progress(_records(path), desc="rows"):
        checked = _check(line, record, items=items, classes=classes)
        if isinstance(checked, str):
            report.reject(where, line, checked)
            continue
        key = (checked.round_image_id, checked.labeler)
        if key in first_line:
            report.reject(
                where,
                line,
                f"labeler {checked.labeler!r} answers this image again "
                f"(first on line {first_line[key]})",
            )
            continue
        first_line[key] = line
        rows.append(checked)

    usernames: dict[str, str] = {}
    by_username: dict[str, str] = {}
    for row in rows:
        if row.labeler in usernames:
            continue
        username = labeler_username(round=round, name=row.labeler)
        usernames[row.labeler] = username
        if by_username.setdefault(username, row.labeler) != row.labeler:
            report.reject(
                where,
                row.line,
                f"labelers {by_username[username]!r} and "
                f"{row.labeler!r} make the same participant name {username}",
            )
    users = {u.username: u for u in User.objects.filter(username__in=usernames.values())}
    for username, user in users.items():
        if user.has_usable_password():
            report.reject(
                where,
                None,
                f"{username} is a user who logs in, not an imported "
                "participant; rename the labeler in the file",
            )
    stored = {
        (round_image_id, username): wnid
        for round_image_id, username, wnid in Answer.objects.filter(
            round_image__round=round, labeler__username__in=usernames.values()
        ).values_list("round_image_id", "labeler__username", "synset__wnid")
    }
    new: list[HumanRow] = []
    for row in rows:
        previous = stored.get((row.round_image_id, usernames[row.labeler]))
        if previous is None:
            new.append(row)
        elif previous == row.wnid:
            report.skip_duplicate(where, row.line, "stored already")
        else:
            report.reject(
                where,
                row.line,
                f"{row.labeler!r} has answer {previous} stored for this image already",
            )
    report.imported = len(new)
    report.details["labelers"] = len(usernames)

    def write(files: StoredFiles) -> None:
        participants = _participants(round=round, names=usernames, existing=users)
        Answer.objects.bulk_create(
            [
                Answer(
                    round_image_id=row.round_image_id,
                    labeler=participants[row.labeler],
                    synset_id=row.wnid,
                    served_at=row.served_at,
                    answered_at=row.answered_at,
                    active_time=(
                        None
                        if row.active_seconds is None
                        else timedelta(seconds=row.active_seconds)
                    ),
                    idempotency_key=f"import-{row.round_image_id}",
                )
                for row in new
            ],
            batch_size=2000,
        )
        for user in participants.values():
            Assignment.objects.filter(round=round, user=user).update(
                answered=Answer.objects.filter(round_image__round=round, labeler=user).count()
            )

    return write_batch(report, write)


def _participants(
    *, round: Round, names: dict[str, str], existing: dict[str, User]
) -> dict[str, User]:
    """The users behind the file's labeler names, created and assigned to the round as needed.
    An assignment's `answered` counts the imported answers (they need not be the first items)."""
    annotators = roles_ensure()[Role.ANNOTATOR]
    participants: dict[str, User] = {}
    for name, username in names.items():
        user = existing.get(username)
        if user is None:
            user = User(username=username, first_name=name[:150])
            user.set_unusable_password()
            user.save()
            user.groups.add(annotators)
        Assignment.objects.get_or_create(round=round, user=user)
        participants[name] = user
    return participants
