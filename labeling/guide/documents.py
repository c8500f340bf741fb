"""The whole guide as one file, JSON or Markdown, and the checks an imported file must pass.

Both formats carry the same document (the JSON form):

    {"format": 1,
     "entries": [{"wnid": "n02094114", "text": "…"}],
     "notes": [{"title": "…", "text": "…", "wnids": ["n02094114", "n02094258"]}]}

The Markdown form is what people read and edit; `markdown_parse` reads back exactly what
`markdown_write` writes, so export → import changes nothing:

    # Labeling guide

    ## Norfolk terrier (n02094114)

    <entry text>

    ## Distinction: Norfolk vs Norwich: ears

    Classes: n02094114, n02094258

    <note text>

Text lines that would read as a section heading (`#` or `##` at the start) are written with one
more backslash in front, and read back without it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError

from labeling.taxonomy.text import WNID, WNID_RE

FORMAT = 1
MARKDOWN_TITLE = "# Labeling guide"
NOTE_HEADING = "## Distinction: "
CLASSES_PREFIX = "Classes:"
ENTRY_HEADING_RE = re.compile(rf"^## (?:(?P<name>.*?) )?\((?P<wnid>{WNID})\)\s*$")
# A line of text the parser (or a reader) would take for a heading of the file: escape it.
_NEEDS_ESCAPE = re.compile(r"^\\*#{1,2}(?:\s|$)")
_ESCAPED = re.compile(r"^\\+#{1,2}(?:\s|$)")
FORMATS = ("json", "markdown")


class GuideImportError(ValidationError):
    """The file cannot be imported. `problems` lists every problem found, each on one line (also
    the ValidationError's messages)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(problems)

    def __str__(self) -> str:
        count = len(self.problems)
        return f"{count} problem{'s' if count != 1 else ''} in the guide file: " + "; ".join(
            self.problems
        )


def format_for_filename(name: str) -> str | None:
    lowered = name.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith((".md", ".markdown", ".txt")):
        return "markdown"
    return None


# --- Writing --------------------------------------------------------------------------------


def json_write(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _escape(text: str) -> list[str]:
    return ["\\" + line if _NEEDS_ESCAPE.match(line) else line for line in text.split("\n")]


def _unescape(line: str) -> str:
    return line[1:] if _ESCAPED.match(line) else line


def markdown_write(document: dict, *, names: dict[str, str]) -> str:
    """The document as Markdown; `names` gives the display name for each entry's heading."""
    lines = [MARKDOWN_TITLE, ""]
    for entry in document["entries"]:
        name = " ".join(names.get(entry["wnid"], "").split())
        heading = f"## {name} ({entry['wnid']})" if name else f"## ({entry['wnid']})"
        lines += [heading, "", *_escape(entry["text"]), ""]
    for note in document["notes"]:
        title = note["title"].replace("\r", " ").replace("\n", " ")  # a heading is one line
        lines += [
            NOTE_HEADING + title,
            "",
            f"{CLASSES_PREFIX} {', '.join(note['wnids'])}",
            "",
            *_escape(note["text"]),
            "",
        ]
    return "\n".join(lines) + "\n"


# --- Reading --------------------------------------------------------------------------------


def document_parse(*, content: str | bytes, fmt: str) -> dict:
    """The document in a file's content, or GuideImportError listing what is wrong with it."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise GuideImportError([f"the file is not UTF-8 text (byte {error.start})"]) from None
    content = content.removeprefix("\ufeff")
    if fmt == "json":
        try:
            document = json.loads(content)
        except json.JSONDecodeError as error:
            raise GuideImportError(
                [f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"]
            ) from None
        except RecursionError:
            raise GuideImportError(["not readable JSON: nested too deeply"]) from None
        if not isinstance(document, dict):
            raise GuideImportError(["the JSON document must be an object with entries and notes"])
        return document
    if fmt == "markdown":
        return markdown_parse(content)
    raise GuideImportError([f"unknown format {fmt!r}: use json or markdown"])


def _strip_one_blank(lines: list[str], *, at_end: bool) -> list[str]:
    index = -1 if at_end else 0
    if lines and not lines[index].strip():
        return lines[:-1] if at_end else lines[1:]
    return lines


def markdown_parse(content: str) -> dict:
    """Read the Markdown form back into a document. Entries and notes carry the `line` of their
    heading, so later checks can say where a problem is."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    lines = content.split("\n")
    if content.endswith("\n"):
        lines.pop()  # the newline that ends the file ends the last line; it adds no line
    problems: list[str] = []

    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].rstrip() != MARKDOWN_TITLE:
        where = f"line {first + 1}" if first is not None else "the file"
        problems.append(f"{where}: the file must start with the heading '{MARKDOWN_TITLE}'")
        first = -1 if first is None or lines[first].startswith("## ") else first
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    before = [i for i in range(first + 1, headings[0] if headings else len(lines))]
    stray = next((i for i in before if lines[i].strip()), None)
    if stray is not None:
        problems.append(f"line {stray + 1}: text before the first '## ' section")

    entries: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for position, start in enumerate(headings):
        end = headings[position + 1] if position + 1 < len(headings) else len(lines)
        heading = lines[start]
        body = _strip_one_blank(lines[start + 1 : end], at_end=True)
        body = _strip_one_blank(body, at_end=False)
        line_no = start + 1
        if heading.startswith(NOTE_HEADING):
            title = heading[len(NOTE_HEADING) :].strip()
            if not body or not body[0].startswith(CLASSES_PREFIX):
                problems.append(
                    f"line {line_no + 2}: a distinction note needs a "
                    f"'{CLASSES_PREFIX} n…, n…' line after its heading"
                )
                continue
            wnids = [w for w in re.split(r"[,\s]+", body[0][len(CLASSES_PREFIX) :]) if w]
            text_lines = _strip_one_blank(body[1:], at_end=False)
            text = "\n".join(_unescape(line) for line in text_lines)
            notes.append({"title": title, "text": text, "wnids": wnids, "line": line_no})
            continue
        match = ENTRY_HEADING_RE.match(heading)
        if match is None:
            problems.append(
                f"line {line_no}: {heading.strip()!r} is neither a class entry "
                f"'## <name> (n…)' nor a note '{NOTE_HEADING.strip()} <title>'"
            )
            continue
        text = "\n".join(_unescape(line) for line in body)
        entries.append({"wnid": match["wnid"], "text": text, "line": line_no})
    if problems:
        raise GuideImportError(problems)
    return {"format": FORMAT, "entries": entries, "notes": notes}


# --- Checking ---------------------------------------------------------------------------------
# The shape of a document only: what the guide's rules say about each entry and note (known
# classes, the text limit, one-line titles) the import asks the services, as every save does.


def document_where(kind: str, index: int, item: Any) -> str:
    """Where a row is, for a problem: its line in a Markdown file, else `entries[3]`."""
    if isinstance(item, dict) and isinstance(item.get("line"), int):
        return f"line {item['line']}"
    return f"{kind}[{index}]"


def _entry_well_formed(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("wnid"), str)
        and bool(WNID_RE.match(entry["wnid"]))
        and isinstance(entry.get("text"), str)
    )


def _note_well_formed(note: Any) -> bool:
    return (
        isinstance(note, dict)
        and isinstance(note.get("title"), str)
        and isinstance(note.get("text"), str)
        and isinstance(note.get("wnids"), list)
        and all(isinstance(w, str) and WNID_RE.match(w) for w in note["wnids"])
    )


def document_rows(document: Any, kind: str) -> list[dict | None]:
    """The document's entries or notes, each row None where it is malformed (document_check
    says how), so indexes stay those of the document."""
    rows = document.get(kind) if isinstance(document, dict) else None
    if not isinstance(rows, list):
        return []
    well_formed = _entry_well_formed if kind == "entries" else _note_well_formed
    return [row if well_formed(row) else None for row in rows]


def document_check(document: Any) -> list[str]:
    """Every problem with the shape of a document. An empty list means each entry and note can
    go to the services, which check the rest."""
    if not isinstance(document, dict):
        return ["the document must be an object with entries and notes"]
    problems: list[str] = []
    unknown_keys = set(document) - {"format", "entries", "notes"}
    if unknown_keys:
        problems.append(f"unknown top-level keys: {', '.join(sorted(unknown_keys))}")
    if document.get("format") != FORMAT:
        problems.append(f"'format' must be {FORMAT} (found {document.get('format')!r})")
    entries = document.get("entries", [])
    notes = document.get("notes", [])
    if not isinstance(entries, list):
        problems.append("'entries' must be a list")
        entries = []
    if not isinstance(notes, list):
        problems.append("'notes' must be a list")
        notes = []

    def check_wnid(where: str, wnid: Any) -> None:
        if not isinstance(wnid, str) or not WNID_RE.match(wnid):
            problems.append(f"{where}: {wnid!r} is not a wnid (n + 8 digits)")

    seen_wnids = Counter(e.get("wnid") for e in entries if isinstance(e, dict))
    for index, entry in enumerate(entries):
        where = document_where("entries", index, entry)
        if not isinstance(entry, dict):
            problems.append(f"{where}: an entry must be an object with wnid and text")
            continue
        extra = set(entry) - {"wnid", "text", "line"}
        if extra:
            problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
        wnid = entry.get("wnid")
        check_wnid(where, wnid)
        if isinstance(wnid, str) and seen_wnids[wnid] > 1:
            problems.append(f"{where}: {wnid} has more than one entry")
        if not isinstance(entry.get("text"), str):
            problems.append(f"{where}: 'text' must be a string")

    seen_titles = Counter(
        n["title"].strip() for n in notes if isinstance(n, dict) and isinstance(n.get("title"), str)
    )
    for index, note in enumerate(notes):
        where = document_where("notes", index, note)
        if not isinstance(note, dict):
            problems.append(f"{where}: a note must be an object with title, text and wnids")
            continue
        extra = set(note) - {"title", "text", "wnids", "line"}
        if extra:
            problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
        title = note.get("title")
        if not isinstance(title, str):
            problems.append(f"{where}: 'title' must be a string")
        elif title.strip() and seen_titles[title.strip()] > 1:
            problems.append(f"{where}: the title {title.strip()!r} is used by another note")
        if not isinstance(note.get("text"), str):
            problems.append(f"{where}: 'text' must be a string")
        wnids = note.get("wnids")
        if not isinstance(wnids, list):
            problems.append(f"{where}: 'wnids' must be a list of the classes it tells apart")
            continue
        for wnid in wnids:
            check_wnid(where, wnid)
    return problems


def document_wnids(document: Any) -> set[str]:
    """Every wnid-looking string the document names, to look them up in one query."""
    found: set[str] = set()
    if not isinstance(document, dict):
        return found
    entries, notes = document.get("entries"), document.get("notes")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("wnid"), str):
            found.add(entry["wnid"])
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, dict) and isinstance(note.get("wnids"), list):
            found.update(w for w in note["wnids"] if isinstance(w, str))
    return {wnid for wnid in found if WNID_RE.match(wnid)}


def text_normalize(text: str) -> str:
    """What forms and the API store: Unix newlines, no trailing blanks at the end. (Browsers send
    textareas with CRLF; stored as is, the Markdown file would not read back the same text.)"""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
