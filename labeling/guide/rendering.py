"""Markdown of the guide to HTML that is safe to put in any page.

Python-Markdown passes raw HTML through, so its output is never trusted: nh3 (ammonia) cleans it
with a small allow-list afterwards. Whatever an author writes, no script, event handler, style,
frame, image or `javascript:` URL reaches the browser.

`[[n02094114]]` links to the class's page with its display name; an unknown wnid stays text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
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
    "del",
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
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
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


def class_names_for(texts: Iterable[str]) -> dict[str, str]:
    """Display names of every class linked as `[[wnid]]` in the texts, in one query."""
    wnids = {wnid for text in texts for wnid in CLASS_LINK_RE.findall(text or "")}
    if not wnids:
        return {}
    return dict(
        Synset.objects.filter(wnid__in=wnids, class_index__isnull=False).values_list(
            "wnid", "display_name"
        )
    )


def markdown_render(text: str, *, class_names: dict[str, str] | None = None) -> SafeString:
    """Sanitized HTML of a guide text. Pass `class_names` (from `class_names_for`) when rendering
    many texts, to resolve all their class links with one query."""
    if not text or not text.strip():
        return mark_safe("")
    if class_names is None:
        class_names = class_names_for([text])
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", _GuideExtension(class_names)],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    html = md.convert(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALIGN_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # cleaned by nh3 just above


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
        # Above links (160) so `[[…]]` is not read as a reference link; below code spans (190).
        md.inlinePatterns.register(_ClassLinkProcessor(self.class_names, md), "class_link", 175)
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 5)
