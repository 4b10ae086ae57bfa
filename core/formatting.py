"""
Message formatting: a safe Markdown subset rendered to HTML once, when a message is stored or
edited (never on a page view), by markdown-it-py and then cleaned by nh3 (Ammonia).

The subset: **bold**, *italic*, ~~strikethrough~~, `inline code`, code blocks (fenced or
indented), > block quotes, [links](https://...) and bare http(s) addresses, and line breaks
as typed. Nothing else: no headings, lists, tables, images or raw HTML (typed HTML shows as
the text it is). Only http, https and mailto links become anchors, each with
rel="noopener nofollow ugc" and opening in a new tab; anything else stays text.

`@username` of a room member becomes `<span class="mention" data-user-id="<id>">`: the caller
says who may be mentioned (`mentionable`: lower-cased username -> user id), so core knows no
users; the page highlights the reader's own mentions with a per-reader CSS rule.
"""

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline

SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "noopener nofollow ugc"
MENTION = re.compile(r"@([\w.+-]+)")
# What may precede an @mention: not a letter or digit (so "me@example.com" mentions nobody).
MENTION_BEFORE = re.compile(r"[\w.+-]")

TAGS = {"p", "br", "strong", "em", "s", "code", "pre", "blockquote", "a", "span"}
ATTRIBUTES = {"a": {"href", "target"}, "span": {"data-user-id"}}


def _valid_link(url):
    return url.strip().lower().startswith(SCHEMES)


def _mention_rule(state: StateInline, silent: bool):
    """`@username` of someone mentionable (env["mentionable"]): a mention token."""
    if state.src[state.pos] != "@":
        return False
    if state.pos > 0 and MENTION_BEFORE.match(state.src[state.pos - 1]):
        return False
    match = MENTION.match(state.src, state.pos)
    mentionable = state.env.get("mentionable") or {}
    if not match:
        return False
    name = match.group(1).rstrip(".-+")
    user_id = mentionable.get(name.lower())
    if user_id is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.content = name
        token.meta = {"user_id": user_id}
        state.env.setdefault("mentioned", []).append(user_id)
    state.pos += 1 + len(name)
    return True


def _render_mention(self, tokens, idx, options, env):
    token = tokens[idx]
    escaped = escapeHtml(token.content)
    return f'<span class="mention" data-user-id="{int(token.meta["user_id"])}">@{escaped}</span>'


def _parser():
    md = MarkdownIt("zero", {"breaks": True, "linkify": True, "html": False})
    md.enable(["emphasis", "strikethrough", "backticks", "fence", "code", "blockquote", "link", "autolink", "linkify", "newline", "escape", "entity"])
    md.validateLink = _valid_link
    md.inline.ruler.before("emphasis", "mention", _mention_rule)
    md.add_render_rule("mention", _render_mention)
    return md


_md = _parser()


_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes={"*": set(), **ATTRIBUTES},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    allowed_classes={"span": {"mention"}},
    strip_comments=True,
)


def clean(html):
    """Only the tags and attributes the subset makes; links to http(s) and mailto only."""
    return _cleaner.clean(html)


def render(text, mentionable=None):
    """
    The HTML of a message's text, and the ids of the people it mentions (in order, without
    repeats): `(html, mentioned_ids)`.
    """
    env = {"mentionable": mentionable or {}}
    html = clean(_md.render(text or "", env)).strip()
    return html, list(dict.fromkeys(env.get("mentioned", [])))


def render_html(text, mentionable=None):
    return render(text, mentionable)[0]


_LINK = re.compile(r"\[([^\]\n]*)\]\((?:https?://|mailto:)[^)\s]*\)", re.IGNORECASE)
_FENCE = re.compile(r"^\s*```[^\n]*$", re.MULTILINE)
_QUOTE = re.compile(r"^\s*>\s?", re.MULTILINE)
_MARKS = re.compile(r"\*\*|~~|`")


def plain(text):
    """
    The text with the subset's marks taken off, for one line of preview (the room list):
    links show their words, and bold, strikethrough, code and quote marks go. Cheap (no
    parsing): single * and _ stay, as they are often just what was typed.
    """
    text = _LINK.sub(r"\1", text or "")
    text = _FENCE.sub("", text)
    text = _QUOTE.sub("", text)
    return " ".join(_MARKS.sub("", text).split())
