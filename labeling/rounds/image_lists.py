"""Image lists as people write them (a file for the command, a text box in the admin): one image
name per line, named as the study's annotation files name them (an ImageNet val file name or an
ImageNetV2 40-hex id); blank lines and `#` comments are ignored. Also the labelers given by name."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from labeling.images.selectors import image_resolve_names
from labeling.rounds.services import labelers_check


@dataclass(frozen=True)
class ListedName:
    line: int  # 1-based line number in the text
    name: str


def image_list_parse(text: str) -> list[ListedName]:
    names = []
    for number, raw in enumerate(text.splitlines(), start=1):
        name = raw.split("#", 1)[0].strip()
        if name:
            names.append(ListedName(number, name))
    return names


def image_list_resolve(listed: list[ListedName]) -> tuple[list[int], list[str]]:
    """The image ids in the list's order, and a problem per bad line (unknown or repeated
    names). Callers write nothing unless the problems are empty."""
    found = image_resolve_names(names=[entry.name for entry in listed])
    first_line: dict[int, int] = {}
    ids: list[int] = []
    problems: list[str] = []
    for entry in listed:
        image_id = found.get(entry.name)
        if image_id is None:
            problems.append(f"line {entry.line}: no image named {entry.name!r}")
        elif image_id in first_line:
            problems.append(
                f"line {entry.line}: {entry.name!r} is listed again (first on line "
                f"{first_line[image_id]})"
            )
        else:
            first_line[image_id] = entry.line
            ids.append(image_id)
    return ids, problems


def image_list_file_resolve(path: str) -> tuple[list[int], list[str]]:
    """image_list_resolve of a file's list (- reads stdin); each problem names where. Raises
    OSError or UnicodeDecodeError when the file cannot be read."""
    if path == "-":
        text, where = sys.stdin.read(), "stdin"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), path
    ids, problems = image_list_resolve(image_list_parse(text))
    return ids, [f"{where}: {problem}" for problem in problems]


def labelers_resolve(usernames: Iterable[str]) -> tuple[list[User], list[str]]:
    """The users of these usernames, and a problem for each unknown one or non-annotator."""
    wanted = list(dict.fromkeys(name.strip() for name in usernames if name.strip()))
    users = {u.username: u for u in get_user_model().objects.filter(username__in=wanted)}
    problems = [f"no user named {name!r}" for name in wanted if name not in users]
    found = [users[name] for name in wanted if name in users]
    problems += labelers_check(found)
    return found, problems
