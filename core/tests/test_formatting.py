"""The Markdown subset of messages (core/formatting.py): what it formats, and what it never lets through."""

import re
from html.parser import HTMLParser

import pytest

from core.formatting import LINK_REL, render, render_html


def test_the_subset_formats_bold_italic_strikethrough_and_code():
    assert render_html("**bold** *italic* _also_ ~~gone~~ `x = 1`") == (
        "<p><strong>bold</strong> <em>italic</em> <em>also</em> <s>gone</s> <code>x = 1</code></p>"
    )


def test_code_blocks_keep_their_text_as_typed():
    assert render_html("```\n<b>not bold</b> **nor this**\n```") == (
        "<pre><code>&lt;b&gt;not bold&lt;/b&gt; **nor this**\n</code></pre>"
    )


def test_block_quotes_and_line_breaks():
    assert render_html("> she said\n\nand then\nagain") == (
        "<blockquote>\n<p>she said</p>\n</blockquote>\n<p>and then<br>\nagain</p>"
    )


def test_headings_lists_and_images_are_not_part_of_the_subset():
    assert render_html("# title") == "<p># title</p>"
    assert render_html("- item") == "<p>- item</p>"
    html = render_html("![cat](https://example.com/cat.png)")
    assert "<img" not in html


def test_links_keep_a_safe_rel_and_open_in_a_new_tab():
    assert render_html("[docs](https://example.com/a?b=1)") == (
        f'<p><a href="https://example.com/a?b=1" target="_blank" rel="{LINK_REL}">docs</a></p>'
    )
    assert render_html("see https://example.com/x. now") == (
        f'<p>see <a href="https://example.com/x" target="_blank" rel="{LINK_REL}">https://example.com/x</a>. now</p>'
    )
    assert 'href="mailto:bob@example.com"' in render_html("[mail](mailto:bob@example.com)")


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
        "[x](/accounts/logout/)",
        "[x](//evil.example/)",
        "[x](ftp://example.com/)",
        "<javascript:alert(1)>",
    ],
)
def test_only_http_https_and_mailto_links_become_anchors(text):
    assert "<a" not in render_html(text)


class Elements(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


MARKDOWN_XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "**<img src=x onerror=alert(1)>**",
    "[click](javascript:alert(1))",
    '[click](https://example.com" onclick="alert(1))',
    '[click](https://example.com "title" onmouseover="alert(1)")',
    "[<script>alert(1)</script>](https://example.com)",
    "![x](https://example.com/x.png\" onerror=\"alert(1))",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "> <iframe src=javascript:alert(1)>",
    "~~<svg/onload=alert(1)>~~",
    "https://example.com/\"onmouseover=\"alert(1)",
    "<a href=\"https://example.com\" onclick=\"alert(1)\">x</a>",
    '</li><li hx-get="/accounts/logout/" hx-trigger="load">',
    "[x](https://example.com)<!-- <script>alert(1)</script> -->",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "@<script>alert(1)</script>",
]


@pytest.mark.parametrize("payload", MARKDOWN_XSS)
def test_markdown_xss_payloads_render_inert(payload):
    html, _ = render(payload, {"bob": 7})
    for tag, attrs in Elements(html).found:
        assert tag in {"p", "br", "strong", "em", "s", "code", "pre", "blockquote", "a", "span"}, html
        for name, value in attrs.items():
            assert name in {"href", "target", "rel", "class", "data-user-id"}, html
            assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), html
        if tag == "a":
            assert attrs["rel"] == LINK_REL and attrs["href"].startswith(("http://", "https://", "mailto:")), html
    assert not re.search(r"<(script|img|iframe|svg)\b", html), html


def test_mentions_of_the_mentionable_only():
    html, mentioned = render("hi @Bob and @carol, mail bob@example.com, @bob again", {"bob": 7})
    assert mentioned == [7]
    assert html.count('<span class="mention" data-user-id="7">') == 2
    assert "@carol" in html and 'data-user-id="8"' not in html


def test_a_mention_in_code_is_no_mention():
    assert render("`@bob`", {"bob": 7}) == ("<p><code>@bob</code></p>", [])


def test_the_preview_line_shows_the_words_without_the_marks():
    from core.formatting import plain

    assert plain("**bold**, ~~gone~~ and `code`") == "bold, gone and code"
    assert plain("> she said\nthen [the map](https://example.com/map)") == "she said then the map"
    assert plain("```\nx = 1\n```") == "x = 1"
    assert plain("snake_case and 2*3") == "snake_case and 2*3"
    assert plain("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
