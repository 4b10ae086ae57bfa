"""
Searching messages: PostgreSQL full-text search when the database is PostgreSQL, a plain
case-insensitive match elsewhere (SQLite), and highlighted snippets that stay safe HTML.

Chinese (and Japanese, Korean) text has no spaces between words, so PostgreSQL's English
full-text search reads a whole sentence as one token and finds nothing by a word inside it.
A search with CJK characters in it is therefore a substring match, like SQLite's, found on
PostgreSQL through a GIN index of the body's CJK bigrams (every two neighbouring CJK
characters, `chat_cjk_bigrams`, a function made by rooms' migration 0010): a two-character
word is one bigram, a longer one all of its bigrams, and the substring match then keeps
exactly the messages that contain it. (A pg_trgm index cannot serve a two-character word:
LIKE '%微信%' yields no trigram, and PostgreSQL scans every message; bench/queries.py measures
both.)

Highlighting never trusts the stored text: the snippet is escaped first, and only the
`<mark>` tags added here survive. On PostgreSQL, `ts_headline` marks the matches with
delimiters made of a random token chosen when the process starts, which no message can
contain on purpose; the escaped headline then has those delimiters turned into `<mark>`.
"""

import re
import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector, SearchVectorField
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


# Han ideographs (with extension A and the compatibility ones), kana, Hangul syllables.
CJK_RANGES = [(0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF)]
_CJK = "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES)
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
_CJK_RUN = re.compile(f"[{_CJK}]{{2,}}")
# The same class for PostgreSQL's regular expressions (\uXXXX escapes).
CJK_SQL_CLASS = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in CJK_RANGES)

# The body's CJK bigrams as a tsvector ('simple': no stemming, no stop words): "用微信聊" has
# 用微, 微信 and 信聊. IMMUTABLE, so an index can be built on it.
CJK_BIGRAMS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION chat_cjk_bigrams(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT to_tsvector('simple'::regconfig, coalesce(string_agg(substr(m.run[1], i, 2), ' '), ''))
  FROM regexp_matches(body, '[{CJK_SQL_CLASS}]{{2,}}', 'g') AS m(run),
       generate_series(1, length(m.run[1]) - 1) AS i
$$;
"""
DROP_CJK_BIGRAMS_FUNCTION = "DROP FUNCTION IF EXISTS chat_cjk_bigrams(text);"


class CjkBigrams(Func):
    function = "chat_cjk_bigrams"
    output_field = SearchVectorField()


def cjk_index():
    return PostgreSQLGinIndex(CjkBigrams(F("body")), name="message_body_cjk_idx")


def has_cjk(text):
    return _CJK_CHARACTER.search(text) is not None


def cjk_bigrams(text):
    """The bigrams of text's CJK runs of two characters or more, each once, in order."""
    pairs = {}
    for run in _CJK_RUN.findall(text):
        for i in range(len(run) - 1):
            pairs.setdefault(run[i : i + 2], None)
    return list(pairs)


def uses_full_text(connection, text):
    """
    Full-text search on PostgreSQL, for a search with words in it; emoji or punctuation alone
    have no words for PostgreSQL to find, and CJK text has no spaces between its words, so
    they use the plain match there too (CJK through its bigram index: `cjk`).
    """
    return connection.vendor == "postgresql" and re.search(r"\w", text) is not None and not has_cjk(text)


def cjk(queryset, text):
    """
    PostgreSQL, a search with CJK characters: the plain match (every word as a substring),
    narrowed first through the bigram index to the messages holding every bigram of the
    search's CJK words.
    """
    pairs = cjk_bigrams(" ".join(terms(text)))
    if pairs:
        query = SearchQuery(" & ".join(pairs), config="simple", search_type="raw")
        queryset = queryset.alias(cjk=CjkBigrams(F("body"))).filter(cjk=query)  # not selected: computed in the index only
    return plain(queryset, text)


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


class RunSQLOnPostgreSQL(OnPostgreSQLOnly, migrations.RunSQL):
    pass


class RemoveIndexOnPostgreSQL(OnPostgreSQLOnly, migrations.RemoveIndex):
    pass
