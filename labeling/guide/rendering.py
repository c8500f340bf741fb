"""Markdown of the guide to HTML that is safe to put in any page, in time linear in the text.

Python-Markdown passes raw HTML through, so its output is never trusted: nh3 (ammonia) cleans it
with a small allow-list afterwards. Whatever an author writes, no script, event handler, style,
frame, image or `javascript:` URL reaches the browser. Raw HTML is read inline only: Python-
Markdown's reader of HTML blocks runs the standard library's HTML parser, which is quadratic on
unclosed tags (`<a <a <a …`), and nh3 would remove those blocks' tags anyway.

`[[n02094114]]` links to the class's page with its display name; an unknown wnid stays text.

Linear time. Python-Markdown is not: its inline processor rebuilds a paragraph's string after
every match; a `[` or `[text](` without its end is scanned, in a Python loop, to the end of the
paragraph; its block processors take a block apart a line at a time and search what is left each
time (the tables extension splitting all of it again); an opening code fence without its
closing is searched for to the end of the text; lists nest by recursion. So

* the text is rendered in chunks of at most `CHUNK_CHARS` characters, cut between top-level
  blocks (never inside a fenced code block, a list or a quote), and no block has more than
  `BLOCK_LINES` lines; a block too long is cut between lines, a table carrying its header into
  the next piece and a code fence closed and opened again. Any superlinear step inside
  Python-Markdown then costs at most a constant per chunk. Reference definitions (`[id]: url`)
  are collected from the whole text first, so a link finds its definition in another chunk;
* links look for their `]` and `)` within a window (`LINK_TEXT_CHARS`, `LINK_URL_CHARS`), and
  all the scanning of one chunk's links stops at `LINK_WORK_PER_CHAR` characters per character
  of the chunk: past that, brackets are text. Real links never come near either bound;
* lists and quotes nest at most `MAX_NESTING` deep on one line (the next marker is escaped);
  deeper nesting by indentation renders its chunk as plain paragraphs rather than failing;
* tables test only the lines they need, a line that looks like a fence but opens none is kept
  from the fence search, and text without any inline markup skips the inline patterns;
* each chunk is sanitized on its own, so the cost of tags left open stays that of one chunk.

`render_work` counts renders, chunks and the characters links scanned, for the tests.

Rendered HTML is cached (Django's cache) under a digest of the text and the class names it
shows: each revision is rendered once per process, whichever page or endpoint shows it first.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import json
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import markdown
import nh3
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from markdown.blockprocessors import ReferenceProcessor
from markdown.extensions import Extension
from markdown.extensions.tables import PIPE_LEFT, PIPE_NONE, PIPE_RIGHT, TableProcessor
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    InlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from labeling.taxonomy.models import Synset
from labeling.taxonomy.text import WNID

CLASS_LINK_RE = re.compile(rf"\[\[({WNID})\]\]")
CLASS_URL = "/classes/{wnid}/"

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "a",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# `start`: a list cut between chunks goes on with its own numbers.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALIGN_VALUES = {
    "th": {"align": {"left", "center", "right"}},
    "td": {"align": {"left", "center", "right"}},
}
ALLOWED_CLASSES = {"a": {"class-link"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# Removed with their content, not just unwrapped: their text is code or junk, never prose.
CLEAN_CONTENT_TAGS = {
    "script",
    "style",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "template",
    "textarea",
    "select",
    "noscript",
    "title",
}

CHUNK_CHARS = 5_000
BLOCK_LINES = 200
CARRY_CHARS = 500  # at most this much of a table header or fence opening starts the next piece
MAX_NESTING = 8  # list and quote markers opening one line, e.g. `> > - `
LINK_TEXT_CHARS = 1_000
LINK_URL_CHARS = 2_000
LINK_WORK_PER_CHAR = 10
LINK_WORK_BASE = 10_000

CACHE_PREFIX = "guide-html:2:"  # bump when the rendering changes, so no old HTML is served
CACHE_SECONDS = 7 * 24 * 3600


@dataclass
class RenderWork:
    """What rendering has done since the counters were last reset (see the module's docstring)."""

    renders: int = 0  # texts rendered (not served from the cache)
    chunks: int = 0  # pieces handed to Python-Markdown
    largest_chunk: int = 0  # characters of the largest piece
    link_chars: int = 0  # characters the link patterns scanned

    def reset(self) -> None:
        self.renders = self.chunks = self.largest_chunk = self.link_chars = 0


render_work = RenderWork()


def class_names_for(texts: Iterable[str]) -> dict[str, str]:
    """Display names of every class linked as `[[wnid]]` in the texts, in one query."""
    wnids = {wnid for text in texts for wnid in CLASS_LINK_RE.findall(text or "")}
    if not wnids:
        return {}
    return dict(Synset.objects.classes().filter(wnid__in=wnids).values_list("wnid", "display_name"))


def markdown_render(text: str, *, class_names: dict[str, str] | None = None) -> SafeString:
    """Sanitized HTML of a guide text, from the cache when this text was rendered before. Pass
    `class_names` (from `class_names_for`) when rendering many texts, to resolve all their class
    links with one query."""
    if not text or not text.strip():
        return mark_safe("")
    if class_names is None:
        class_names = class_names_for([text])
    linked = sorted(set(CLASS_LINK_RE.findall(text)))
    names = {wnid: class_names[wnid] for wnid in linked if wnid in class_names}
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    digest.update(json.dumps(names, sort_keys=True).encode())
    key = CACHE_PREFIX + digest.hexdigest()
    cleaned = cache.get(key)
    if cleaned is None:
        cleaned = markdown_to_safe_html(text, class_names=names)
        cache.set(key, cleaned, CACHE_SECONDS)
    return mark_safe(cleaned)  # cleaned by nh3 in markdown_to_safe_html


def markdown_to_safe_html(text: str, *, class_names: dict[str, str]) -> str:
    """Render and sanitize, without the cache."""
    render_work.renders += 1
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    fences = _fences(lines)
    md = _markdown(class_names)
    references = _reference_definitions(lines, fences)
    parts = []
    for chunk in _chunks(lines, fences):
        render_work.chunks += 1
        render_work.largest_chunk = max(render_work.largest_chunk, len(chunk))
        md.reset()
        md.references.update(references)
        md.link_budget = LINK_WORK_BASE + LINK_WORK_PER_CHAR * len(chunk)
        try:
            converted = md.convert(chunk)
        except RecursionError:
            # Nested hundreds deep by indentation: nobody writes that to be read as such.
            converted = _plain_paragraphs(chunk)
            md = _markdown(class_names)
        # Each chunk on its own: tags a chunk leaves open end with it, and the sanitizer's cost
        # of deep nesting stays that of one chunk.
        parts.append(_sanitize(converted))
    return "\n".join(parts)


def _sanitize(html_text: str) -> str:
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALIGN_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


class _GuideMarkdown(markdown.Markdown):
    link_budget = 0  # characters the link patterns may still scan in this chunk


def _markdown(class_names: dict[str, str]) -> _GuideMarkdown:
    return _GuideMarkdown(
        extensions=["tables", "fenced_code", "sane_lists", _GuideExtension(class_names)],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


_NESTING_MARKER = re.compile(r"[ ]{0,3}(?:>[ ]?|(?:[*+-]|\d{1,9}[.)])[ \t]+)")
_RULE = re.compile(r"[ ]{0,3}([-*_])(?:[ ]*\1){2,}[ ]*")  # `- - -`, `* * *`: a rule, not lists


def _flatten_nesting(line: str) -> str:
    """The line with its list or quote marker number MAX_NESTING + 1 escaped, so nothing nests
    deeper than that (Python-Markdown recurses once per level)."""
    position = 0
    for _ in range(MAX_NESTING):
        match = _NESTING_MARKER.match(line, position)
        if match is None:
            return line
        position = match.end()
    match = _NESTING_MARKER.match(line, position)
    if match is None or _RULE.fullmatch(line):
        return line
    marker = match.group().strip()
    at = line.index(marker, position) + (len(marker) - 1 if marker[0].isdigit() else 0)
    return line[:at] + "\\" + line[at:]  # `\>`, `\-`, `12\.`: text, not a marker


def _plain_paragraphs(chunk: str) -> str:
    paragraphs = re.split(r"\n[ \t]*\n", chunk.strip())
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p.strip())


# --- Cutting a text into chunks ---------------------------------------------------------------

# A line that can open a fenced code block (as the fenced_code extension reads it) and one that
# can close it (the same fence alone on its line).
# (No two runs of the same characters side by side in these: a long line of spaces must not make
# them try every way of sharing it.)
_FENCE_ONLY = re.compile(r"`{3,}|~{3,}")
_FENCE_INFO = re.compile(r"\{[^\n]*\}|\.?[\w#.+-]*(?:[ ]*hl_lines=(?P<q>[\"']).*?(?P=q))?")
# A block that starting here would continue the one before the blank line: a list item (a loose
# list) or a quote (Python-Markdown joins quotes across a blank line), or indented content.
_CONTINUES = re.compile(r"[ \t]|(?:[*+-]|\d+[.)])(?:[ \t]|$)|>")


@dataclass(frozen=True)
class _Fence:
    opening: str  # the opening line, to open the fence again in the next chunk
    fence: str  # the closing line


def _fences(lines: list[str]) -> list[_Fence | None]:
    """For each line, the fenced code block it is inside of (after its opening line, up to and
    including its closing line), else None. A fence opens only where a closing one follows,
    as in the fenced_code extension.

    A line that starts like a fence but opens none is indented by a space in `lines` (a space
    that changes nothing once rendered): the fenced_code extension would otherwise search the
    rest of the chunk for its closing, once per such line."""
    closings: dict[str, list[int]] = {}
    for number, line in enumerate(lines):
        bare = line.expandtabs(4).rstrip(" ")
        if bare[:1] in ("`", "~") and _FENCE_ONLY.fullmatch(bare):
            closings.setdefault(bare, []).append(number)
    inside: list[_Fence | None] = [None] * len(lines)
    current: _Fence | None = None
    for number, line in enumerate(lines):
        if current is not None:
            inside[number] = current
            if line.expandtabs(4).rstrip(" ") == current.fence:
                current = None
            continue
        if line[:1] not in ("`", "~"):
            continue
        bare = line.expandtabs(4)
        fence = _FENCE_ONLY.match(bare)
        if fence is None:
            continue
        later = closings.get(fence.group(), [])
        if _FENCE_INFO.fullmatch(bare[fence.end() :].strip(" ")) and bisect.bisect_right(
            later, number
        ) < len(later):
            current = _Fence(opening=line, fence=fence.group())
        else:
            lines[number] = " " + line
    return inside


def _chunks(lines: list[str], fences: list[_Fence | None]) -> Iterator[str]:
    """The text in pieces of at most about CHUNK_CHARS characters, cut between top-level
    blocks; a block longer than that or than BLOCK_LINES lines is cut within."""
    piece: list[str] = []
    length = 0
    for start, end in _blocks(lines, fences):
        block = [
            line if fence is not None else _flatten_nesting(line)
            for line, fence in zip(lines[start:end], fences[start:end], strict=True)
        ]
        block_length = sum(len(line) + 1 for line in block)
        too_long = block_length > CHUNK_CHARS or end - start > BLOCK_LINES
        if piece and (too_long or length + block_length > CHUNK_CHARS):
            yield "\n".join(piece)
            piece, length = [], 0
        if too_long:
            # Python-Markdown takes a block apart a line at a time and searches what is left
            # each time: keep blocks short.
            yield from _cut_block(block, fences[start:end])
            continue
        piece += block
        length += block_length
    if piece:
        yield "\n".join(piece)


def _blocks(lines: list[str], fences: list[_Fence | None]) -> Iterator[tuple[int, int]]:
    """(start, end) line ranges that render the same alone as in the whole text: each starts
    after a blank line, outside any fence, with a line that continues nothing before it."""
    start = 0
    for number in range(1, len(lines)):
        line = lines[number]
        if (
            fences[number] is None
            and line.strip()
            and not lines[number - 1].strip()
            and not _CONTINUES.match(line)
        ):
            yield start, number
            start = number
    if lines:
        yield start, len(lines)


def _cut_block(block: list[str], fences: list[_Fence | None]) -> Iterator[str]:
    """A block too long for one chunk, cut between lines (a line longer than a chunk, between
    words): a code fence is closed and opened again, a table's header starts the next piece.
    (What is carried over is bounded, so it cannot make the pieces grow with the text.)"""
    piece: list[str] = []
    length = 0
    header: list[str] = []  # the table header (and separator) the current lines belong to
    for number, line in enumerate(block):
        fence = fences[number]
        closing = fence is not None and line.expandtabs(4).rstrip(" ") == fence.fence
        if "|" not in line:
            header = []
        elif number and _is_table_separator(line) and "|" in block[number - 1]:
            header = [block[number - 1], line]
            if len(header[0]) + len(line) > CARRY_CHARS:
                header = []
        for part in _cut_line(line, CHUNK_CHARS, flatten=fence is None):
            if piece and (length + len(part) + 1 > CHUNK_CHARS or len(piece) >= BLOCK_LINES):
                if fence is not None:
                    piece.append(fence.fence)
                yield "\n".join(piece)
                if closing:  # closed just above
                    piece, length = [], 0
                    continue
                if fence is not None:
                    opening = fence.opening
                    piece = [opening if len(opening) <= CARRY_CHARS else fence.fence]
                elif header and part not in header:
                    piece = list(header)
                else:
                    piece = []
                length = sum(len(kept) + 1 for kept in piece)
            piece.append(part)
            length += len(part) + 1
    if piece:
        yield "\n".join(piece)


def _is_table_separator(line: str) -> bool:
    return "-" in line and set(line) <= set("|:- \t")


def _cut_line(line: str, size: int, *, flatten: bool) -> Iterator[str]:
    while len(line) > size:
        cut = line.rfind(" ", size // 2, size)
        cut = cut + 1 if cut > 0 else size
        yield line[:cut]
        line = line[cut:]
        if flatten:  # the rest starts a line now: it may not nest deeper than the first part
            line = _flatten_nesting(line)
    yield line


def _reference_definitions(
    lines: list[str], fences: list[_Fence | None]
) -> dict[str, tuple[str, str | None]]:
    """Every `[id]: url "title"` of the text outside code fences, as Python-Markdown records
    them (a later definition of the same id wins)."""
    text = "\n".join("" if fences[n] is not None else line for n, line in enumerate(lines))
    found: dict[str, tuple[str, str | None]] = {}
    for match in ReferenceProcessor.RE.finditer(text):
        link = match.group(2).lstrip("<").rstrip(">")
        found[match.group(1).strip().lower()] = (link, match.group(5) or match.group(6))
    return found


# --- Python-Markdown, bounded -----------------------------------------------------------------


class _BoundedLinks:
    """Links and images that look for their end within a window, within the chunk's budget."""

    md: _GuideMarkdown

    def _window(self, data: str, index: int, size: int, closer: str) -> str | None:
        end = min(len(data), index + size)
        if self.md.link_budget <= 0 or data.find(closer, index, end) < 0:
            return None
        return data[index:end]

    def _spend(self, scanned: int) -> None:
        self.md.link_budget -= scanned
        render_work.link_chars += scanned

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        window = self._window(data, index, LINK_TEXT_CHARS, "]")
        if window is None:
            return "", index, False
        text, end, handled = super().getText(window, 0)  # type: ignore[misc]
        self._spend(end)
        return text, index + end, handled

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        window = self._window(data, index, LINK_URL_CHARS, ")")
        if window is None:
            return "", None, index, False
        href, title, end, handled = super().getLink(window, 0)  # type: ignore[misc]
        self._spend(end if handled else len(window))
        return href, title, index + end, handled


class _BoundedIds(_BoundedLinks):
    """The `[id]` of `[text][id]`, looked for within a window."""

    def evalId(self, data: str, index: int, text: str) -> tuple[str | None, int, bool]:
        window = self._window(data, index, LINK_TEXT_CHARS, "]")
        if window is None:
            return None, index, False
        found, end, handled = super().evalId(window, 0, text)  # type: ignore[misc]
        self._spend(end)
        return found, index + end, handled


# The link patterns as markdown.inlinepatterns.build_inlinepatterns registers them (name, its
# processor, pattern and priority), each made to look for its ends within a window.
_LINK_PATTERNS = [
    ("reference", ReferenceInlineProcessor, REFERENCE_RE, 170),
    ("link", LinkInlineProcessor, LINK_RE, 160),
    ("image_link", ImageInlineProcessor, IMAGE_LINK_RE, 150),
    ("image_reference", ImageReferenceInlineProcessor, IMAGE_REFERENCE_RE, 140),
    ("short_reference", ShortReferenceInlineProcessor, REFERENCE_RE, 130),
    ("short_image_ref", ShortImageReferenceInlineProcessor, IMAGE_REFERENCE_RE, 125),
]
_SHORT_FORMS = (ShortReferenceInlineProcessor, ShortImageReferenceInlineProcessor)


def _bounded(base: type) -> type:
    # `[text][id]` also looks for its id; the short forms `[id]` have none to look for.
    has_id = issubclass(base, ReferenceInlineProcessor) and not issubclass(base, _SHORT_FORMS)
    return type(f"Bounded{base.__name__}", (_BoundedIds if has_id else _BoundedLinks, base), {})


class _TableTest(TableProcessor):
    """The tables extension's processor, testing a block on its first two lines (the original
    splits the whole block each time it is asked, and it is asked once per piece another
    processor cuts off)."""

    def test(self, parent: etree.Element, block: str) -> bool:
        rows = [row.strip(" ") for row in block.split("\n", 2)[:2]]
        if len(rows) < 2:
            return False
        header = rows[0]
        self.border = PIPE_NONE
        if header.startswith("|"):
            self.border |= PIPE_LEFT
        if self.RE_END_BORDER.search(header) is not None:
            self.border |= PIPE_RIGHT
        columns = len(self._split_row(header))
        if columns == 1 and self.border:
            # A one-column table needs a pipe on every line: the only case that reads them all.
            return super().test(parent, block)
        if columns < 2:
            return False
        separator = self._split_row(rows[1])
        if len(separator) == columns and set("".join(separator)) <= set("|:- "):
            self.separator = separator
            return True
        return False


# Every inline pattern needs one of these to match (code, escapes, links and `[[wnid]]`, raw
# HTML and autolinks, entities, emphasis, a line break).
_INLINE_MARKUP = re.compile(r"[`\\\[<&*_]|  \n")


class _InlineSkippingPlainText(InlineTreeprocessor):
    """Python-Markdown's inline pass, which skips a text without any character an inline
    pattern could match: it would otherwise try every pattern on it (some 15 tries per heading,
    table cell or list item)."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if not _INLINE_MARKUP.search(data):
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


class _ClassLinkProcessor(InlineProcessor):
    def __init__(self, class_names: dict[str, str], md: markdown.Markdown) -> None:
        super().__init__(CLASS_LINK_RE.pattern, md)
        self.class_names = class_names

    def handleMatch(self, m: re.Match, data: str):
        wnid = m.group(1)
        name = self.class_names.get(wnid)
        if name is None:
            return None, None, None  # not a class: leave the text as written
        link = etree.Element("a", {"href": CLASS_URL.format(wnid=wnid), "class": "class-link"})
        link.text = AtomicString(name)  # a name is plain text, never more Markdown
        return link, m.start(0), m.end(0)


class _DemoteHeadings(Treeprocessor):
    """`#` and `##` would compete with the page's own headings: shift every heading down two."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1] in "123456":
                element.tag = f"h{min(int(element.tag[1]) + 2, 6)}"


class _GuideExtension(Extension):
    def __init__(self, class_names: dict[str, str]) -> None:
        super().__init__()
        self.class_names = class_names

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # No HTML blocks (see the module's docstring): their lines are paragraphs, their tags
        # inline HTML, which nh3 cleans.
        md.preprocessors.deregister("html_block")
        for name, processor, pattern, priority in _LINK_PATTERNS:
            md.inlinePatterns.register(_bounded(processor)(pattern, md), name, priority)
        table = md.parser.blockprocessors["table"]
        md.parser.blockprocessors.register(_TableTest(md.parser, table.config), "table", 75)
        # Above links (160) so `[[…]]` is not read as a reference link; below code spans (190).
        md.inlinePatterns.register(_ClassLinkProcessor(self.class_names, md), "class_link", 175)
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 5)
        md.treeprocessors.register(_InlineSkippingPlainText(md), "inline", 20)
