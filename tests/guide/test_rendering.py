"""Guide Markdown renders to HTML that cannot run script, whatever the author writes."""

from __future__ import annotations

import re

import pytest

from labeling.guide.rendering import class_names_for, markdown_render
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

DANGEROUS = [
    re.compile(
        r"<\s*(script|iframe|img|svg|math|style|object|embed|form|input|meta|link|base|video"
        r"|details|template)\b",
        re.I,
    ),
    re.compile(r"\son[a-z]+\s*=", re.I),  # event handlers
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\s(src|srcdoc|background|action|data|target)\s*=", re.I),
    re.compile(r"(href|src)\s*=\s*\"?\s*(javascript|vbscript|data):", re.I),
    re.compile(r"(href|src)\s*=\s*\"[^\"]*&#", re.I),  # entity-encoded scheme
    re.compile(r"\s(id|data-x)\s*=", re.I),
]


def assert_inert(html: str) -> None:
    for pattern in DANGEROUS:
        assert not pattern.search(html), f"{pattern.pattern!r} matched in {html!r}"


@pytest.mark.parametrize("text", ATTACKS)
def test_no_script_survives_rendering(text):
    html = markdown_render(text, class_names={})
    assert_inert(html)


def test_every_attack_at_once_in_one_document_is_inert():
    assert_inert(markdown_render("\n\n".join(ATTACKS), class_names={}))


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
