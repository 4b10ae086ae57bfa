"""
Searching messages: PostgreSQL full-text search when the database is PostgreSQL, a plain
case-insensitive match elsewhere (SQLite), and highlighted snippets that stay safe HTML.

Highlighting never trusts the stored text: the snippet is escaped first, and only the
`<mark>` tags added here survive. On PostgreSQL, `ts_headline` marks the matches with
delimiters made of a random token chosen when the process starts, which no message can
contain on purpose; the escaped headline then has those delimiters turned into `<mark>`.
"""

import re
import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import migrations
from django.db.backends.ddl_references import Statement
from django.db.models import F, Func, Q, TextField, Value
from django.utils.html import escape
from django.utils.safestring import mark_safe

# Stemmed English: "running" finds "runs". The GIN index is built on this same expression.
CONFIG = "english"
QUERY_MAX_LENGTH = settings.SEARCH_QUERY_MAX_LENGTH
MAX_TERMS = 8
SNIPPET_LENGTH = 240

_TOKEN = secrets.token_hex(8)
START, STOP = f"[[hl-{_TOKEN}]]", f"[[/hl-{_TOKEN}]]"


def clean_query(text):
    """The search as typed, trimmed to QUERY_MAX_LENGTH characters ("" for nothing to search)."""
    return (text or "").replace("\x00", "").strip()[:QUERY_MAX_LENGTH]


def body_vector():
    """
    The message body as the full-text search sees it (the index's expression too): dots,
    dashes and underscores read as spaces first, so that a file name (climbing-guide.pdf)
    or a link (example.com/menu) is found by its words, which PostgreSQL's parser would
    otherwise keep as one token.
    """
    words = Func(F("body"), Value(r"[._-]+"), Value(" "), Value("g"), function="regexp_replace", output_field=TextField())
    return SearchVector(words, config=CONFIG)


# The query is read as the index reads the body: between two word characters a dot, dash or
# underscore is a space ("climbing-guide" finds climbing-guide.pdf, which the index holds as
# "climbing" and "guide"). A dash that starts a word stays: web search's "not" (-please).
_JOINERS = re.compile(r"(?<=\w)[._-]+(?=\w)")


def query_words(text):
    return _JOINERS.sub(" ", text)


class PostgreSQLGinIndex(GinIndex):
    """
    A GIN index that only PostgreSQL builds. SQLite has no such index, but rebuilding a table
    (which its migrations do to add or drop a foreign key) would otherwise try to create it
    from the migration state, in PostgreSQL's syntax.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("SELECT 1")
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Statement("SELECT 1")
        return super().remove_sql(model, schema_editor, **kwargs)


def body_index():
    return PostgreSQLGinIndex(body_vector(), name="message_body_search_idx")


def uses_full_text(connection, text):
    """
    Full-text search on PostgreSQL, for a search with words in it; emoji or punctuation alone
    have no words for PostgreSQL to find, so they use the plain match there too.
    """
    return connection.vendor == "postgresql" and re.search(r"\w", text) is not None


def full_text(queryset, text):
    """PostgreSQL: matches of text (web-search syntax: "quotes", or, -not), best first."""
    query = SearchQuery(query_words(text), config=CONFIG, search_type="websearch")
    return (
        queryset.annotate(search=body_vector())
        .filter(search=query)
        .annotate(
            rank=SearchRank(body_vector(), query),
            headline=SearchHeadline("body", query, config=CONFIG, start_sel=START, stop_sel=STOP),
        )
        .order_by("-rank", "-pk")
    )


def plain(queryset, text):
    """Elsewhere: messages containing every word of text, in any case, newest first."""
    matches = Q()
    for term in terms(text):
        matches &= Q(body__icontains=term)
    return queryset.filter(matches).order_by("-pk")


def terms(text):
    """The words of the plain search, split as the full-text search splits them (quotes aside)."""
    return query_words(text.replace('"', " ")).split()[:MAX_TERMS]


def headline_html(headline):
    """PostgreSQL's headline as safe HTML: escaped, with its own delimiters as <mark>."""
    html = escape(" ".join(headline.split()))
    return mark_safe(html.replace(START, "<mark>").replace(STOP, "</mark>"))


def highlight_html(body, text):
    """
    A snippet of body around the first match of text's words, escaped, with every match
    inside `<mark>` (the plain search's highlighting).
    """
    body = " ".join(body.split())
    words = sorted({w for w in terms(text)}, key=len, reverse=True)
    if not words:
        return escape(body[:SNIPPET_LENGTH])
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    first = pattern.search(body)
    start = max(0, first.start() - SNIPPET_LENGTH // 3) if first else 0
    snippet = body[start : start + SNIPPET_LENGTH]
    parts, last = [], 0
    for match in pattern.finditer(snippet):
        parts.append(escape(snippet[last : match.start()]))
        parts.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    parts.append(escape(snippet[last:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_LENGTH < len(body) else ""
    return mark_safe(prefix + "".join(parts) + suffix)


class OnPostgreSQLOnly:
    """A migration operation on an index only PostgreSQL can build (GIN, full text): other
    databases record it in the state and skip it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexOnPostgreSQL(OnPostgreSQLOnly, migrations.AddIndex):
    pass


class RemoveIndexOnPostgreSQL(OnPostgreSQLOnly, migrations.RemoveIndex):
    pass
